"""Helpers for the hub-side tests: the real hubprofiles binary, HTTP stubs, fakes.

Imported by test_hub_module.py and test_hub_e2e.py (run with
``/usr/bin/python3 -m unittest discover -s hub -v`` from the repository root,
or through ``go test ./hub/``). The binary comes from ``$HUBPROFILES_BIN``.
"""

import atexit
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

HUB_DIR = Path(__file__).resolve().parent
REPO = HUB_DIR.parent
MODULE_DIR = REPO / "chart" / "files"

sys.path.insert(0, str(MODULE_DIR))
import hubprofiles_hub  # noqa: E402  (the module under test)

# The two profiles that `serve --dev` publishes into an empty database.
DEV_NAMES = ["Small", "Large, with a GPU"]

# A list in the 2i2c allowed_groups convention, published by the group tests.
GROUPS_LIST = [
    {
        "display_name": "Everyone",
        "slug": "everyone",
        "default": True,
        "profile_options": {
            "image": {
                "display_name": "Image",
                "choices": {
                    "base": {"display_name": "Base image", "kubespawner_override": {"image": "base:1"}},
                    "secret": {
                        "display_name": "Secret image",
                        "allowed_groups": ["staff"],
                        "kubespawner_override": {"image": "secret:1"},
                    },
                },
                "unlisted_choice": {
                    "enabled": True,
                    "display_name": "Other image",
                    "allowed_groups": ["staff"],
                    "kubespawner_override": {"image": "{value}"},
                },
            }
        },
    },
    {
        "display_name": "GPU",
        "slug": "gpu",
        "allowed_groups": ["gpu-users"],
        "kubespawner_override": {"cpu_limit": 4},
    },
    {
        "display_name": "Staff only",
        "slug": "staff-only",
        "allowed_groups": ["staff"],
        "kubespawner_override": {"cpu_limit": 8},
    },
]


# The image catalog of the defaults tests (a hubprofiles document's "images").
IMAGES = [
    {"slug": "base", "display_name": "Base", "ref": "quay.io/jupyter/base-notebook:2025-06-02"},
    {"slug": "scipy", "display_name": "SciPy", "ref": "quay.io/jupyter/scipy-notebook:2025-06-02"},
    {"slug": "r", "display_name": "R", "ref": "quay.io/jupyter/r-notebook:2025-06-02"},
]
REF = {im["slug"]: im["ref"] for im in IMAGES}

# Profiles in the document's own form: "image" names a catalog image slug.
# "plain" has no image and no interface of its own, so it inherits the
# defaults; "scipy" overrides the image; "r-studio" overrides both; "choose"
# has a choice that overrides the image and one that does not.
DOC_PROFILES = [
    {"slug": "plain", "display_name": "Plain", "default": True, "kubespawner_override": {"cpu_limit": 1}},
    {"slug": "scipy", "display_name": "SciPy", "image": "scipy"},
    {"slug": "r-studio", "display_name": "RStudio", "image": "r", "default_url": "/rstudio"},
    {
        "slug": "choose",
        "display_name": "Choose",
        "options": [
            {
                "key": "env",
                "display_name": "Environment",
                "choices": [
                    {"key": "r", "display_name": "R", "default": True, "image": "r"},
                    {"key": "same", "display_name": "The hub's default"},
                ],
            }
        ],
    },
]


# Everything started here, stopped at interpreter exit too: a test interrupted
# by SIGINT (the Go driver's timeout) never reaches its cleanups.
_running = []


def _stop_everything():
    for thing in reversed(_running):
        try:
            thing.stop()
        except Exception:
            pass


atexit.register(_stop_everything)


def track(thing):
    """Stop `thing` (it has .stop()) at interpreter exit if a test did not."""
    _running.append(thing)
    return thing


def binary():
    """The hubprofiles binary under test, from $HUBPROFILES_BIN."""
    path = os.environ.get("HUBPROFILES_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(
            "HUBPROFILES_BIN must name the hubprofiles binary (it is %r); "
            "run `go test ./hub/`, or `go build -o /tmp/hubprofiles ./cmd/hubprofiles` and "
            "HUBPROFILES_BIN=/tmp/hubprofiles /usr/bin/python3 -m unittest discover -s hub -v" % path
        )
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra):
    """os.environ without variables that would change how hubprofiles runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "HUBPROFILES_", "JPY_"))}
    env.update(extra)
    return env


def http_get(url, headers=None, timeout=5):
    """GET url: (status, headers, body) without raising on HTTP errors."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def names(profiles):
    return [p["display_name"] for p in profiles]


class Sidecar:
    """The real hubprofiles server on free loopback ports, prefix /.

    dev=True: `serve --dev` (an empty database starts with the example list
    published; the REST API needs no login). dev=False: plain `serve`, so an
    empty database serves 503 nothing-published.

    `url`, `defaults_url` and the metrics are the feeds as the hub module
    reads them: on the feed listener (its own free port) when the binary has
    one, else on the public listener (`base`, which also serves the API).
    """

    def __init__(self, data_dir, dev=True, port=None, feed_port=None):
        self.data_dir = str(data_dir)
        self.dev = dev
        self.port = port or free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        # The hub reads the feeds on the feed listener (no login), as the
        # chart's module does on 127.0.0.1:10102; the public listener wants
        # a viewer for them outside dev mode.
        self.feed_port = feed_port or free_port()
        self.feed_base = "http://127.0.0.1:%d/" % self.feed_port
        self.url = self.feed_base + "profile_list"
        self.defaults_url = self.feed_base + "defaults"
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "hubprofiles-%d.log" % self.port)

    def start(self, timeout=15):
        os.makedirs(self.data_dir, exist_ok=True)
        args = [binary(), "serve", "--listen", "127.0.0.1:%d" % self.port, "--feed-listen", "127.0.0.1:%d" % self.feed_port,
                "--prefix", "/", "--data-dir", self.data_dir]
        if self.dev:
            args.insert(2, "--dev")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=clean_env(), cwd=self.data_dir)
        track(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hubprofiles exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                if all(http_get(b + "healthz", timeout=1)[0] == 200 for b in {self.base, self.feed_base}):
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("hubprofiles did not answer /healthz within %ss:\n%s" % (timeout, self.log()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def log(self):
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def feed_counts(self, feed="profile_list"):
        """hubprofiles_<feed>_responses_total by status code, from /metrics."""
        status, _, body = http_get(self.feed_base + "metrics")
        assert status == 200, status
        counts = {}
        pattern = r'^hubprofiles_%s_responses_total\{code="(\d+)"\} (\S+)$' % feed
        for m in re.finditer(pattern, body.decode(), re.M):
            counts[int(m.group(1))] = int(float(m.group(2)))
        return counts

    def request(self, method, path, body=None, headers=None):
        """A REST API call (dev mode: no login needed): (status, headers, JSON body)."""
        req = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers=dict({"Content-Type": "application/json"}, **(headers or {})),
            method=method,
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s %s" % (method, path, e.code, e.read().decode(errors="replace")))

    def publish_catalog(self, profiles=(), images=IMAGES, defaults=None):
        """Publish a hubprofiles document (images, profiles in the document's
        form) and then the hub-wide defaults ({"image": slug, "default_url":
        path}; None leaves them as they are), each as a published revision.
        Returns what the defaults feed serves then."""
        document = {"schema_version": 1, "images": list(images), "node_groups": [], "profiles": list(profiles)}
        self.request("POST", "api/v1/import?publish=true", document)
        if defaults is not None:
            self.set_defaults(**defaults)
        status, _, body = http_get(self.defaults_url)
        assert status == 200, (status, body)
        return json.loads(body)

    def set_defaults(self, image=None, default_url=None):
        """PUT the hub-wide defaults and publish them; check the feed serves them."""
        body = {k: v for k, v in (("image", image), ("default_url", default_url)) if v}
        self.request("PUT", "api/v1/defaults?publish=true", body)
        want = {}
        if image:
            want["image"] = self.request("GET", "api/v1/images/" + image)[2]["ref"]
        if default_url:
            want["default_url"] = default_url
        status, _, served = http_get(self.defaults_url)
        if status != 200 or json.loads(served) != want:
            raise RuntimeError(
                "after PUT defaults %s, %s serves %s %s, not %s" % (body, self.defaults_url, status, served, want)
            )

    def publish(self, profile_list):
        """Publish a list through the REST API (dev mode: no login needed)."""
        req = urllib.request.Request(
            self.base + "api/v1/import?publish=true",
            data=json.dumps(profile_list).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = json.loads(r.read())
        return body["revision"]["id"]

    def import_publish(self, profile_list):
        """Publish with the CLI (`import FILE --publish`) on this database."""
        path = os.path.join(self.data_dir, "import-%d.json" % time.monotonic_ns())
        with open(path, "w") as f:
            json.dump(profile_list, f)
        out = subprocess.run(
            [binary(), "import", path, "--publish", "--data-dir", self.data_dir],
            capture_output=True, text=True, env=clean_env(), timeout=30,
        )
        if out.returncode != 0:
            raise RuntimeError("hubprofiles import failed (%d): %s%s" % (out.returncode, out.stdout, out.stderr))


class Stub:
    """A local HTTP server standing in front of (or instead of) hubprofiles.

    mode "proxy" forwards GETs to `target` and relays the answer; it also
    records every request's If-None-Match and every status it relays. The
    other modes answer by themselves: "500", "503" (a sidecar whose
    database is down, with no list in memory), "invalid-json", "not-array",
    "no-display-name", "empty-array" (no revision header), "empty-published"
    (with X-Hubprofiles-Revision), "bad-image" and "bad-default-url" (for the
    defaults feed), or "hang" (read the request, never answer, until stop()).
    """

    def __init__(self, target=None):
        self.target = target
        self.mode = "proxy"
        self.requests = []  # (If-None-Match, status relayed or answered)
        self.headers = []  # every request's headers, as a dict
        self.release = threading.Event()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                inm = self.headers.get("If-None-Match")
                stub.headers.append(dict(self.headers.items()))
                mode = stub.mode
                if mode == "hang":
                    stub.requests.append((inm, None))
                    stub.release.wait(60)
                    return
                if mode == "proxy":
                    status, headers, body = http_get(stub.target, {"If-None-Match": inm} if inm else None)
                    keep = {k: headers[k] for k in ("ETag", "X-Hubprofiles-Revision", "Content-Type") if headers.get(k)}
                else:
                    status, keep = 200, {"Content-Type": "application/json"}
                    body = {
                        "500": b'{"error": "boom"}',
                        "invalid-json": b'[{"display_name": "Broken"',
                        "not-array": b'{"profiles": [{"display_name": "Wrapped"}]}',
                        "no-display-name": b'[{"slug": "x"}]',
                        "empty-array": b"[]",
                        "bad-image": b'{"image": 5}',
                        "bad-default-url": b'{"default_url": "lab"}',
                        "empty-published": b"[]",
                        "503": b'{"error": {"code": "database_unavailable", "message": "the database is down"}}',
                    }[mode]
                    if mode in ("500", "503"):
                        status = int(mode)
                    if mode == "empty-published":  # as hubprofiles says it
                        keep["X-Hubprofiles-Revision"] = "99"
                stub.requests.append((inm, status))
                self.send_response(status)
                for k, v in keep.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/profile_list" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class HungListener:
    """A TCP port that completes the handshake (kernel backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d/profile_list" % self.sock.getsockname()[1]

    def stop(self):
        self.sock.close()


def fake_spawner(name="bob", groups=(), admin=False, image="hub-config/base:1", default_url=""):
    """What the module reads and sets of a spawner: user.name, user.admin,
    user.groups[].name, and the image and default_url traits (with the hub's
    base config as their values)."""
    user = types.SimpleNamespace(
        name=name,
        admin=admin,
        groups=[types.SimpleNamespace(name=g) for g in groups],
    )
    return types.SimpleNamespace(user=user, name="", image=image, default_url=default_url)


def apply_profile(spawner, profiles, slug=None, choice=None):
    """What KubeSpawner's load_user_options does after the pre_spawn_hook:
    the chosen (else default, else first) profile's kubespawner_override,
    then, for each option, the override of `choice` if it is one of its
    choices, else of its default (else first) choice; with setattr.
    Returns the profile, or None for an empty list (the base config stays)."""
    if not profiles:
        return None
    if slug:
        profile = next(p for p in profiles if p.get("slug") == slug)
    else:
        profile = next((p for p in profiles if p.get("default")), profiles[0])
    for key, value in (profile.get("kubespawner_override") or {}).items():
        setattr(spawner, key, value)
    for option in (profile.get("profile_options") or {}).values():
        choices = option.get("choices") or {}
        if choice not in choices:
            choice = next((k for k, c in choices.items() if c.get("default")), next(iter(choices), None))
        for key, value in ((choices.get(choice) or {}).get("kubespawner_override") or {}).items():
            setattr(spawner, key, value)
    return profile


class TempDir:
    """A temporary directory removed by cleanup(), unless $HUBPROFILES_TEST_KEEP is set."""

    def __init__(self, prefix="hubprofiles-hub-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def cleanup(self):
        if os.environ.get("HUBPROFILES_TEST_KEEP"):
            print("kept %s" % self.path, file=sys.stderr)
            return
        shutil.rmtree(self.path, ignore_errors=True)
