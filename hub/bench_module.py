"""How long the hub module makes a spawn-form render and a spawn take.

Runs the real KubeSpawner 7.1.0 under JupyterHub 5.5's spawn order
(hub/upstream.py) with the module wired by ``setup()``, against the real
hubprofiles binary, and times, per iteration, on a fresh spawner:

* a spawn-form render: what JupyterHub 5.5's spawn page does (the
  ``auth_state_hook``, then ``get_options_form()``: the module's SpawnForm,
  which fetches the list and has KubeSpawner render it), and apart from it
  the module's part of it (the hook and the list fetch, without
  KubeSpawner's template, whose time swamps it on a loaded machine);
* a spawn: ``upstream.user_spawn_5_5`` (the hooks, then KubeSpawner's
  ``load_user_options``, which calls the profile list).

The reference is the same KubeSpawner with the same list given statically
(no module, no request): the difference is what the module adds. Each case
runs with the circuit breaker (``retry_interval=30``, the default) and
without it (``retry_interval=0``, what the module did before), and the
sidecar healthy, down (connection refused) and hung (a listener that
accepts and never answers), with the module's default timeout of 2 s. Down
and hung start from the disk cache of a healthy run, as a hub would.

    go build -o /tmp/hubprofiles ./cmd/hubprofiles
    HUBPROFILES_BIN=/tmp/hubprofiles /usr/bin/python3 hub/bench_module.py [iterations]

Prints a Markdown table (milliseconds). The figures in docs/benchmarks.md
come from it.
"""

import asyncio
import json
import logging
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import upstream  # noqa: E402

upstream.load()

from traitlets.config import Config  # noqa: E402

from hubprofiles_testing import HungListener, Sidecar, TempDir, free_port, http_get, hubprofiles_hub  # noqa: E402
from test_hub_kubespawner import DEFAULTS, PROFILES  # noqa: E402

SLOW_ITERATIONS = 5  # for the cases that wait for a timeout at every call


def config(url, cache, retry_interval):
    c = Config()
    c.KubeSpawner.image = "hub-config/base:1"
    c.Spawner.default_url = "/hub-config"
    log = logging.getLogger("bench.hubprofiles")
    log.disabled = True
    hubprofiles_hub.setup(c, url, cache_path=cache, retry_interval=retry_interval, log=log)
    return c


def static_config(profiles):
    c = Config()
    c.KubeSpawner.image = "hub-config/base:1"
    c.Spawner.default_url = "/hub-config"
    c.KubeSpawner.profile_list = profiles
    return c


def spawner(c):
    return upstream.make_spawner(user=upstream.User("bob", ["g"]), config=c)


async def timed(n, make, action):
    times = []
    for _ in range(n):
        s = make()
        t0 = time.perf_counter()
        await action(s)
        times.append(time.perf_counter() - t0)
    return times


def summary(times):
    v = sorted(times)
    pick = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]  # noqa: E731
    return "%.2f / %.2f / %.2f" % (pick(0.5) * 1e3, pick(0.99) * 1e3, v[-1] * 1e3)


async def module_part_of_render(s):
    """What the module does during a form render: the auth_state_hook (a
    no-op then) and the list SpawnForm fetches before KubeSpawner renders it."""
    await s.run_auth_state_hook(None)
    await s.profile_list(s)


async def case(n, c, module=True):
    """The three timings of one row, with how many calls waited for the
    timeout (over 1 s) and how long the row took (seconds): with the
    breaker, at most one call per feed (the list, the defaults) per
    retry interval may wait."""
    t0 = time.perf_counter()
    part = await timed(n, lambda: spawner(c), module_part_of_render) if module else None
    render = await timed(n, lambda: spawner(c), upstream.render_spawn_page_5_5)
    spawn = await timed(n, lambda: spawner(c), lambda s: upstream.user_spawn_5_5(s, {"profile": "choose", "env": "r"}))
    waits = sum(1 for t in (part or []) + render + spawn if t > 1.0)
    return part, render, spawn, waits, time.perf_counter() - t0


async def main(n):
    tmp = TempDir(prefix="hubprofiles-bench-")
    side = Sidecar(os.path.join(tmp.path, "sidecar"), dev=True)
    hung = HungListener()
    rows = []
    try:
        side.start()
        side.publish_catalog(PROFILES, defaults=DEFAULTS)
        served = json.loads(http_get(side.url)[2])
        cache = os.path.join(tmp.path, "cache.json")

        # Prime the disk cache (list and defaults) from the healthy sidecar.
        await upstream.user_spawn_5_5(spawner(config(side.url, cache, 30)), {})

        await case(20, static_config(served), module=False)  # warm up (imports, templates) first
        rows.append(("static list in KubeSpawner (reference)", "-", *(await case(n, static_config(served), False))))
        down = "http://127.0.0.1:%d/profile_list" % free_port()
        for name, url in (("healthy", side.url), ("down (refused)", down), ("hung", hung.url)):
            for interval in (30, 0):
                iterations = SLOW_ITERATIONS if (name == "hung" and interval == 0) else n
                c = config(url, cache, interval)
                rows.append((name, "on (30 s)" if interval else "off", *(await case(iterations, c))))
    finally:
        hung.stop()
        side.stop()
        tmp.cleanup()

    print("KubeSpawner %s, JupyterHub %s order, Python %s, %s, %d CPUs; timeout 2 s" % (
        upstream.VERSIONS["kubespawner"], upstream.VERSIONS["jupyterhub"], platform.python_version(),
        platform.machine(), os.cpu_count()))
    print()
    print("| sidecar | breaker | n | the module's part of a form render | whole form render | spawn | calls over 1 s / row's time |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, breaker, part, render, spawn, waits, took in rows:
        print("| %s | %s | %d | %s | %s | %s | %d / %.0f s |" % (
            name, breaker, len(render), summary(part) if part else "-", summary(render), summary(spawn), waits, took))
    print()
    print("Cells: p50 / p99 / max, milliseconds. The module's part is the auth_state_hook (the defaults)")
    print("and the list fetch: all the module does in a form render, and in a spawn too (KubeSpawner's")
    print("load_user_options calls the list once), so it is what the module adds to either.")

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
