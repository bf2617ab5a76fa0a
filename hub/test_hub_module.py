"""Tests of chart/files/hubprofiles_hub.py against the real hubprofiles binary.

Run from the repository root with Debian's Python (it has tornado):

    HUBPROFILES_BIN=/path/to/hubprofiles /usr/bin/python3 -m unittest discover -s hub -v

`go test ./hub/` builds the binary and does this.
"""

import asyncio
import copy
import json
import logging
import os
import time
import unittest

from tornado.web import HTTPError

from hubprofiles_testing import (
    DEV_NAMES,
    DOC_PROFILES,
    GROUPS_LIST,
    REF,
    HungListener,
    Sidecar,
    Stub,
    TempDir,
    apply_profile,
    binary,
    fake_spawner,
    free_port,
    http_get,
    hubprofiles_hub,
    names,
)

ProfileListClient = hubprofiles_hub.ProfileListClient
DefaultsClient = hubprofiles_hub.DefaultsClient
DefaultsHook = hubprofiles_hub.DefaultsHook

# The hub-wide defaults the defaults tests publish, and what the feed serves.
DEFAULTS = {"image": "base", "default_url": "/lab"}
SERVED = {"image": REF["base"], "default_url": "/lab"}
BASE_IMAGE = "hub-config/base:1"  # fake_spawner's image: the hub's own config

# Seconds allowed beyond the client's timeout: enough for a 2-core machine
# at load 20, still far below the hang these tests guard against.
SLACK = 5.0

# The client timeout of tests whose first request is a healthy one through a
# stub: a loaded machine can take well over half a second to answer it, and
# the hang that follows waits this long only once.
LOADED_TIMEOUT = 5.0


class Base(unittest.IsolatedAsyncioTestCase):
    """A temporary directory, a per-test logger, and cleanup of what a test starts."""

    def setUp(self):
        binary()  # fail early and clearly without $HUBPROFILES_BIN
        self.tmp = TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.cache = os.path.join(self.tmp.path, "cache", "profile_list.json")
        os.makedirs(os.path.dirname(self.cache))
        self.logger = logging.getLogger("test.hubprofiles." + self.id())
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        self.records = []
        handler = logging.Handler()
        handler.emit = self.records.append
        self.logger.addHandler(handler)

    def sidecar(self, dev=True, data_dir=None, port=None, feed_port=None):
        s = Sidecar(data_dir or os.path.join(self.tmp.path, "data"), dev=dev, port=port, feed_port=feed_port)
        self.addCleanup(s.stop)
        return s.start()

    def stub(self, target=None):
        s = Stub(target)
        self.addCleanup(s.stop)
        return s

    # The tests of what one request does turn the circuit breaker off, so
    # that every call asks the sidecar; BreakerTests test it.
    def client(self, url, **kw):
        kw.setdefault("log", self.logger)
        kw.setdefault("retry_interval", 0)
        return ProfileListClient(url, **kw)

    def defaults_client(self, url, **kw):
        kw.setdefault("log", self.logger)
        kw.setdefault("retry_interval", 0)
        return DefaultsClient(url, **kw)

    def warnings(self):
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]

    def infos(self):
        return [r.getMessage() for r in self.records if r.levelno == logging.INFO]


class FetchTests(Base):
    async def test_fetches_the_live_list_and_writes_the_cache(self):
        side = self.sidecar()
        client = self.client(side.url, cache_path=self.cache)
        got = await client(fake_spawner())
        self.assertEqual(names(got), DEV_NAMES)

        status, headers, body = http_get(side.url)
        self.assertEqual(status, 200)
        self.assertEqual(got, json.loads(body))
        self.assertEqual(client.etag, headers["ETag"])
        self.assertEqual(client.revision, headers["X-Hubprofiles-Revision"])
        self.assertEqual((client.state, client.source, client.last_status), ("ok", "hubprofiles", 200))

        with open(self.cache) as f:
            cached = json.load(f)
        self.assertEqual(cached["profile_list"], got)
        self.assertEqual(cached["etag"], headers["ETag"])
        self.assertEqual(cached["revision"], headers["X-Hubprofiles-Revision"])
        self.assertEqual(os.listdir(os.path.dirname(self.cache)), ["profile_list.json"], "temp file left behind")
        self.assertEqual(self.warnings(), [])

    async def test_second_call_is_answered_304_and_results_are_copies(self):
        side = self.sidecar()
        stub = self.stub(side.url)  # to see the If-None-Match the module sends
        client = self.client(stub.url)
        before = side.feed_counts()

        first = await client(fake_spawner())
        second = await client(fake_spawner())
        after = side.feed_counts()
        self.assertEqual(after.get(200, 0) - before.get(200, 0), 1)
        self.assertEqual(after.get(304, 0) - before.get(304, 0), 1, "the server did not answer 304")
        self.assertEqual(stub.requests, [(None, 200), (client.etag, 304)])
        self.assertEqual(client.last_status, 304)
        self.assertEqual(first, second)
        self.assertEqual(names(second), DEV_NAMES)

        # KubeSpawner mutates what it gets: that must not reach the next call.
        first[0]["display_name"] = "changed"
        second.clear()
        third = await client(fake_spawner())
        self.assertEqual(names(third), DEV_NAMES)

    async def test_a_new_publication_replaces_the_list(self):
        side = self.sidecar()
        client = self.client(side.url, cache_path=self.cache)
        await client(fake_spawner())
        old_etag = client.etag
        revision = side.publish([{"display_name": "Only one", "slug": "one"}])

        got = await client(fake_spawner())
        self.assertEqual(names(got), ["Only one"])
        self.assertEqual(client.revision, str(revision))
        self.assertNotEqual(client.etag, old_etag)
        with open(self.cache) as f:
            self.assertEqual(names(json.load(f)["profile_list"]), ["Only one"])

    async def test_concurrent_calls_share_one_request(self):
        side = self.sidecar()
        client = self.client(side.url)
        before = side.feed_counts()
        results = await asyncio.gather(*(client(fake_spawner()) for _ in range(20)))
        after = side.feed_counts()
        self.assertEqual(sum(after.values()) - sum(before.values()), 1)
        for r in results:
            self.assertEqual(names(r), DEV_NAMES)
        self.assertEqual(len({id(r) for r in results}), 20, "callers must get their own copies")

    async def test_deepcopy_returns_the_same_client(self):
        # traitlets deep-copies config values onto each spawner.
        client = self.client("http://127.0.0.1:9/profile_list")
        self.assertIs(copy.deepcopy(client), client)
        self.assertIs(copy.copy(client), client)


class OutageTests(Base):
    async def test_sidecar_stopped_serves_the_last_good_list_and_warns_once(self):
        side = self.sidecar()
        client = self.client(side.url)
        good = await client(fake_spawner())

        side.stop()
        for _ in range(3):
            self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual(client.state, "unreachable")
        self.assertIsNone(client.last_status, "no HTTP response at all")
        warnings = self.warnings()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("unreachable", warnings[0])
        self.assertIn("last good list", warnings[0])

        # Back on the same port and database: the same revision, so 304.
        self.sidecar(data_dir=side.data_dir, port=side.port, feed_port=side.feed_port)
        self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual((client.state, client.last_status), ("ok", 304))
        self.assertTrue(any("answers again" in m for m in self.infos()), self.infos())
        self.assertEqual(len(self.warnings()), 1)

    async def test_slow_sidecar_returns_the_last_good_list_within_the_timeout(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url)
        good = await client(fake_spawner())

        client.timeout = 0.5  # only now: the first answer may be slow on a loaded machine
        stub.mode = "hang"
        for _ in range(2):
            t0 = time.monotonic()
            got = await client(fake_spawner())
            elapsed = time.monotonic() - t0
            self.assertEqual(got, good)
            self.assertLess(elapsed, 0.5 + SLACK)
            self.assertGreaterEqual(elapsed, 0.4, "it should have waited for the timeout")
        self.assertEqual(client.state, "unreachable")
        self.assertEqual(len(self.warnings()), 1, self.warnings())

    async def test_listener_that_never_answers_at_cold_start_uses_the_disk_cache(self):
        side = self.sidecar()
        await self.client(side.url, cache_path=self.cache)(fake_spawner())
        hung = HungListener()
        self.addCleanup(hung.stop)

        client = self.client(hung.url, timeout=0.5, cache_path=self.cache)
        t0 = time.monotonic()
        got = await client(fake_spawner())
        self.assertLess(time.monotonic() - t0, 0.5 + SLACK)
        self.assertEqual(names(got), DEV_NAMES)
        self.assertEqual((client.state, client.source), ("unreachable", "cache"))

    async def test_bad_answers_serve_the_last_good_list_and_warn_once_per_state(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url)
        good = await client(fake_spawner())

        steps = [
            # mode, expected state, expected number of warnings so far
            ("500", "http error", 1),
            ("500", "http error", 1),
            ("invalid-json", "invalid", 2),
            ("invalid-json", "invalid", 2),
            ("not-array", "invalid", 2),
            ("no-display-name", "invalid", 2),
            ("empty-array", "invalid", 2),
            ("500", "http error", 3),
            ("proxy", "ok", 3),
        ]
        for mode, state, n_warnings in steps:
            with self.subTest(mode=mode):
                stub.mode = mode
                self.assertEqual(await client(fake_spawner()), good)
                self.assertEqual(client.state, state)
                self.assertEqual(len(self.warnings()), n_warnings, self.warnings())
        self.assertIn("HTTP 500", self.warnings()[0])
        self.assertIn("not JSON", self.warnings()[1])
        self.assertEqual(client.last_status, 304, "the invalid answers must not replace the ETag")


class BreakerTests(Base):
    """The circuit breaker: after a failure, calls serve the last good list
    without waiting, and one background request at a time asks again."""

    async def wait_for(self, condition, what, timeout=20):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                self.fail("%s did not happen within %s s" % (what, timeout))
            await asyncio.sleep(0.02)

    async def test_a_hung_sidecar_costs_one_timeout_per_interval_not_one_per_call(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url, timeout=LOADED_TIMEOUT, retry_interval=60)
        good = await client(fake_spawner())
        self.assertEqual(len(stub.requests), 1)

        stub.mode = "hang"
        self.assertEqual(await client(fake_spawner()), good)  # waits for the timeout once
        self.assertEqual((client.state, len(stub.requests)), ("unreachable", 2))
        self.assertIsNotNone(client.retry_at)

        # The breaker is open: 50 calls (many users opening the form) get the
        # last good list, and none of them reaches the sidecar.
        t0 = time.monotonic()
        for _ in range(50):
            self.assertEqual(await client(fake_spawner()), good)
        elapsed = time.monotonic() - t0
        self.assertEqual(len(stub.requests), 2, "no request while the breaker is open")
        self.assertLess(elapsed, 0.5 * 50 / 2, "calls must not wait for the timeout")  # a sanity bound only
        warnings = self.warnings()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("without waiting for it; asking again every 60 s", warnings[0])

    async def test_after_the_interval_one_background_request_asks_again(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url, timeout=LOADED_TIMEOUT, retry_interval=0.2)
        good = await client(fake_spawner())
        stub.mode = "hang"
        await client(fake_spawner())
        self.assertEqual(len(stub.requests), 2)

        # The interval is over: calls still do not wait, and they share one
        # request (in the background) however many they are.
        due = client.retry_at
        await self.wait_for(lambda: time.monotonic() >= due, "the end of the interval")
        results = await asyncio.gather(*(client(fake_spawner()) for _ in range(10)))
        self.assertEqual(results, [good] * 10)
        await self.wait_for(lambda: len(stub.requests) == 3, "the background request")
        self.assertEqual(client.state, "unreachable", "the background request is still hanging")

        # The sidecar answers again: the next background request closes the
        # breaker, and from then on calls wait for their request as before.
        stub.mode = "proxy"
        await self.wait_for(lambda: client.retry_at > due, "the timeout of the background request")
        await self.wait_for(lambda: time.monotonic() >= client.retry_at, "the end of the next interval")
        self.assertEqual(await client(fake_spawner()), good)
        await self.wait_for(lambda: client.state == "ok", "the sidecar seen back")
        self.assertIsNone(client.retry_at)
        side.publish([{"display_name": "After the outage", "slug": "after"}])
        self.assertEqual(names(await client(fake_spawner())), ["After the outage"])
        self.assertTrue(any("answers again" in m for m in self.infos()), self.infos())

    async def test_errors_open_the_breaker_too(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        for mode in ("500", "503"):
            with self.subTest(mode=mode):
                stub.mode = "proxy"
                client = self.client(stub.url, retry_interval=60)
                good = await client(fake_spawner())
                stub.mode = mode
                before = len(stub.requests)
                for _ in range(5):
                    self.assertEqual(await client(fake_spawner()), good)
                self.assertEqual(len(stub.requests) - before, 1, "one request, then the breaker is open")
                self.assertEqual(client.state, "http error")

    async def test_with_nothing_to_serve_a_call_waits_only_for_the_request_of_its_interval(self):
        stub = self.stub()
        stub.mode = "hang"
        client = self.client(stub.url, timeout=0.5, retry_interval=60)
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)
        for _ in range(5):
            t0 = time.monotonic()
            with self.assertRaises(HTTPError):
                await client(fake_spawner())
            self.assertLess(time.monotonic() - t0, 0.5, "the breaker is open: no wait")
        self.assertEqual(len(stub.requests), 1)

    async def test_the_defaults_feed_has_the_same_breaker(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        stub = self.stub(side.defaults_url)
        client = self.defaults_client(stub.url, timeout=LOADED_TIMEOUT, retry_interval=60)
        self.assertEqual(await client(), SERVED)
        stub.mode = "hang"
        for _ in range(10):
            self.assertEqual(await client(), SERVED)
        self.assertEqual(len(stub.requests), 2)

    async def test_nothing_published_does_not_open_the_breaker(self):
        side = self.sidecar(dev=False)
        client = self.client(side.url, retry_interval=60, fallback=[{"display_name": "Fallback"}])
        self.assertEqual(names(await client(fake_spawner())), ["Fallback"])
        self.assertEqual(client.state, "nothing published")
        self.assertIsNone(client.retry_at)
        # The first publication reaches the next call, not one interval later
        # (the server picks a CLI import up within its poll interval).
        side.import_publish([{"display_name": "Published", "slug": "published"}])
        deadline = time.monotonic() + 10
        while names(await client(fake_spawner())) != ["Published"] and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        self.assertEqual((client.state, client.source), ("ok", "hubprofiles"))

    async def test_retry_interval_0_asks_at_every_call(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url, retry_interval=0)
        good = await client(fake_spawner())
        stub.mode = "500"
        for _ in range(3):
            self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual(len(stub.requests), 4)
        self.assertIsNone(client.retry_at)


class TokenTests(Base):
    async def test_a_token_is_sent_to_both_feeds(self):
        from traitlets.config import Config

        side = self.sidecar()
        stub = self.stub(side.url)
        c = Config()
        client = hubprofiles_hub.setup(c, stub.url, token="s3cret-token", log=self.logger, retry_interval=0)
        self.assertEqual(names(await client(fake_spawner())), DEV_NAMES)
        self.assertEqual(stub.headers[-1].get("Authorization"), "token s3cret-token")
        self.assertEqual(c.KubeSpawner.auth_state_hook.client.headers, {"Authorization": "token s3cret-token"})
        self.assertNotIn("s3cret", repr(client))

    async def test_without_a_token_no_authorization_is_sent(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        await self.client(stub.url)(fake_spawner())
        self.assertNotIn("Authorization", stub.headers[-1])


class RobustnessTests(Base):
    async def test_a_cache_that_cannot_be_written_does_not_stop_serving(self):
        side = self.sidecar()
        cache = os.path.join(self.tmp.path, "no-such-dir", "cache.json")
        client = self.client(side.url, cache_path=cache)
        self.assertEqual(names(await client(fake_spawner())), DEV_NAMES)
        self.assertEqual(client.state, "ok")
        self.assertTrue(any("cannot write the cache" in m for m in self.warnings()), self.warnings())

    async def test_an_unexpected_error_serves_the_last_good_list(self):
        side = self.sidecar()
        client = self.client(side.url)
        good = await client(fake_spawner())
        side.publish([{"display_name": "Next"}])  # so that the next answer is a 200

        async def broken(response):
            raise RuntimeError("a bug")

        client._accept = broken
        self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual(client.state, "error")
        self.assertIn("RuntimeError: a bug", self.warnings()[-1])


class NothingPublishedTests(Base):
    """A hubprofiles without --dev and with an empty database answers 503."""

    async def test_without_fallback_raises_503(self):
        side = self.sidecar(dev=False)
        self.assertEqual(http_get(side.url)[0], 503)
        client = self.client(side.url)
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)
        self.assertIn("No server profiles are available", str(cm.exception))
        self.assertEqual(client.state, "nothing published")
        self.assertEqual(len(self.warnings()), 1)

    async def test_with_a_fallback_list_then_the_first_publication(self):
        side = self.sidecar(dev=False)
        fallback = [{"display_name": "Fallback", "slug": "fallback"}]
        client = self.client(side.url, fallback=fallback, cache_path=self.cache)
        got = await client(fake_spawner())
        self.assertEqual(names(got), ["Fallback"])
        self.assertEqual((client.state, client.source), ("nothing published", "fallback"))
        got[0]["display_name"] = "mutated"
        fallback[0]["display_name"] = "mutated too"
        self.assertEqual(names(await client(fake_spawner())), ["Fallback"])
        self.assertFalse(os.path.exists(self.cache), "a fallback is not a last good list")

        # Publishing with the CLI on the same database: the server picks it up
        # within its poll interval (2 s).
        side.import_publish([{"display_name": "Published", "slug": "published"}])
        deadline = time.monotonic() + 10
        while True:
            got = await client(fake_spawner())
            if names(got) == ["Published"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        self.assertEqual(names(got), ["Published"])
        self.assertEqual((client.state, client.source), ("ok", "hubprofiles"))
        self.assertTrue(os.path.exists(self.cache))

    async def test_with_a_fallback_file(self):
        side = self.sidecar(dev=False)
        path = os.path.join(self.tmp.path, "fallback.json")
        with open(path, "w") as f:
            json.dump([{"display_name": "From a file"}], f)
        client = self.client(side.url, fallback=path)
        self.assertEqual(names(await client(fake_spawner())), ["From a file"])


class ColdStartTests(Base):
    async def test_disk_cache_when_the_sidecar_is_down(self):
        side = self.sidecar()
        first = self.client(side.url, cache_path=self.cache)
        good = await first(fake_spawner())
        side.stop()

        client = self.client(side.url, cache_path=self.cache, fallback=[{"display_name": "Not this"}])
        self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual((client.source, client.etag, client.revision), ("cache", first.etag, first.revision))
        self.assertTrue(any("loaded revision" in m for m in self.infos()))

    async def test_concurrent_first_calls_all_wait_for_the_disk_cache(self):
        side = self.sidecar()
        good = await self.client(side.url, cache_path=self.cache)(fake_spawner())
        side.stop()
        client = self.client(side.url, cache_path=self.cache)
        results = await asyncio.gather(*(client(fake_spawner()) for _ in range(10)))
        self.assertEqual(results, [good] * 10)

    async def test_disk_cache_is_revalidated_with_its_etag(self):
        side = self.sidecar()
        await self.client(side.url, cache_path=self.cache)(fake_spawner())
        before = side.feed_counts()

        client = self.client(side.url, cache_path=self.cache)
        self.assertEqual(names(await client(fake_spawner())), DEV_NAMES)
        after = side.feed_counts()
        self.assertEqual(after.get(304, 0) - before.get(304, 0), 1)
        self.assertEqual(after.get(200, 0), before.get(200, 0))
        self.assertEqual((client.source, client.last_status), ("hubprofiles", 304))

    async def test_no_cache_no_sidecar_uses_the_fallback_else_503(self):
        url = "http://127.0.0.1:%d/profile_list" % free_port()  # nobody listens
        client = self.client(url, cache_path=self.cache, fallback=[{"display_name": "Fallback"}])
        self.assertEqual(names(await client(fake_spawner())), ["Fallback"])

        client = self.client(url, cache_path=self.cache)
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)

        client = self.client(url, fallback=os.path.join(self.tmp.path, "missing.json"))
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)

    async def test_a_corrupt_cache_is_ignored(self):
        with open(self.cache, "w") as f:
            f.write('{"profile_list": [')
        url = "http://127.0.0.1:%d/profile_list" % free_port()
        client = self.client(url, cache_path=self.cache, fallback=[{"display_name": "Fallback"}])
        self.assertEqual(names(await client(fake_spawner())), ["Fallback"])
        self.assertTrue(any("ignoring the cache" in m for m in self.warnings()), self.warnings())

    def test_an_unusable_fallback_list_is_refused_at_once(self):
        for bad in ([{"slug": "no-name"}], {"display_name": "not a list"}, [{"display_name": "A"}, "x"]):
            with self.assertRaises(ValueError):
                ProfileListClient("http://127.0.0.1:9/", fallback=bad)

    async def test_an_empty_fallback_means_none(self):
        # The chart passes z2jh.get_config("singleuser.profileList") or [].
        url = "http://127.0.0.1:%d/profile_list" % free_port()
        for empty in (None, [], ""):
            with self.subTest(fallback=empty):
                client = self.client(url, fallback=empty)
                with self.assertRaises(HTTPError) as cm:
                    await client(fake_spawner())
                self.assertEqual(cm.exception.status_code, 503)


class GroupTests(Base):
    """allowed_groups on profiles, choices and unlisted_choice (2i2c convention)."""

    async def asyncSetUp(self):
        self.side = self.sidecar()
        self.side.publish(GROUPS_LIST)

    async def test_profiles_and_choices_are_filtered_by_group(self):
        client = self.client(self.side.url)

        bob = await client(fake_spawner("bob", groups=["gpu-users"]))
        self.assertEqual(names(bob), ["Everyone", "GPU"])
        image = bob[0]["profile_options"]["image"]
        self.assertEqual(list(image["choices"]), ["base"])
        self.assertEqual(image["unlisted_choice"], {"enabled": False})

        carol = await client(fake_spawner("carol", groups=["staff", "unrelated"]))
        self.assertEqual(names(carol), ["Everyone", "Staff only"])
        image = carol[0]["profile_options"]["image"]
        self.assertEqual(list(image["choices"]), ["base", "secret"])
        self.assertTrue(image["unlisted_choice"]["enabled"])

        nobody = await client(fake_spawner("dave"))
        self.assertEqual(names(nobody), ["Everyone"])

    async def test_admins(self):
        client = self.client(self.side.url)
        alice = await client(fake_spawner("alice", admin=True))
        self.assertEqual(alice, GROUPS_LIST)

        strict = self.client(self.side.url, admins_see_all=False)
        self.assertEqual(names(await strict(fake_spawner("alice", admin=True))), ["Everyone"])

    async def test_filter_groups_off(self):
        client = self.client(self.side.url, filter_groups=False)
        self.assertEqual(await client(fake_spawner("dave")), GROUPS_LIST)

    async def test_nothing_left_raises_403(self):
        self.side.publish([p for p in GROUPS_LIST if p.get("allowed_groups")])
        client = self.client(self.side.url)
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner("dave", groups=["students"]))
        self.assertEqual(cm.exception.status_code, 403)
        self.assertIn("dave", str(cm.exception))
        self.assertIn("students", str(cm.exception))
        # Not a feed problem: no warning, and others still get their list.
        self.assertEqual(self.warnings(), [])
        self.assertEqual(names(await client(fake_spawner("bob", groups=["gpu-users"]))), ["GPU"])


class EmptyListTests(Base):
    """A hub with no profiles: hubprofiles publishes [] and the hub serves it."""

    async def test_a_published_empty_list_is_served_cached_and_survives_an_outage(self):
        side = self.sidecar()
        side.publish_catalog([])
        status, headers, body = http_get(side.url)
        self.assertEqual((status, body), (200, b"[]"))

        client = self.client(side.url, cache_path=self.cache)
        self.assertEqual(await client(fake_spawner("dave", groups=["students"])), [], "no 403 for an empty list")
        self.assertEqual((client.state, client.revision), ("ok", headers["X-Hubprofiles-Revision"]))
        with open(self.cache) as f:
            self.assertEqual(json.load(f)["profile_list"], [])
        self.assertEqual(self.warnings(), [])

        # An empty list replaces a list with profiles, and back.
        side.publish_catalog(DOC_PROFILES)
        self.assertEqual(names(await client(fake_spawner())), [p["display_name"] for p in DOC_PROFILES])
        side.publish_catalog([])
        self.assertEqual(await client(fake_spawner()), [])

        # A hub restart while hubprofiles is down: [] from the cache, not the
        # fallback (the cache holds what hubprofiles last published).
        side.stop()
        cold = self.client(side.url, cache_path=self.cache, fallback=[{"display_name": "Not this"}])
        self.assertEqual(await cold(fake_spawner()), [])
        self.assertEqual((cold.source, cold.state), ("cache", "unreachable"))

    async def test_an_empty_array_without_a_revision_is_not_trusted(self):
        # Something that is not hubprofiles answering [] (a wrong URL, a
        # proxy's placeholder) must not make every spawn profile-less.
        stub = self.stub()
        stub.mode = "empty-array"
        client = self.client(stub.url)
        with self.assertRaises(HTTPError) as cm:
            await client(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)
        self.assertEqual(client.state, "invalid")
        self.assertIn("only a published hubprofiles revision", self.warnings()[0])

        stub.mode = "empty-published"  # the same body with X-Hubprofiles-Revision
        self.assertEqual(await client(fake_spawner()), [])
        self.assertEqual((client.state, client.revision), ("ok", "99"))

    async def test_an_empty_cache_written_by_hand_is_ignored(self):
        with open(self.cache, "w") as f:
            json.dump({"profile_list": [], "etag": None, "revision": None}, f)
        url = "http://127.0.0.1:%d/profile_list" % free_port()
        client = self.client(url, cache_path=self.cache, fallback=[{"display_name": "Fallback"}])
        self.assertEqual(names(await client(fake_spawner())), ["Fallback"])
        self.assertTrue(any("ignoring the cache" in m for m in self.warnings()), self.warnings())

    async def test_an_empty_fallback_file_is_no_fallback(self):
        path = os.path.join(self.tmp.path, "fallback.json")
        with open(path, "w") as f:
            f.write("[]")
        url = "http://127.0.0.1:%d/profile_list" % free_port()
        with self.assertRaises(HTTPError) as cm:
            await self.client(url, fallback=path)(fake_spawner())
        self.assertEqual(cm.exception.status_code, 503)


class DefaultsFeedTests(Base):
    """DefaultsClient: the same fetching, caching and fallback as the list."""

    async def test_fetches_the_defaults_and_writes_the_cache(self):
        side = self.sidecar()
        self.assertEqual(side.publish_catalog(DOC_PROFILES, defaults=DEFAULTS), SERVED)
        status, headers, body = http_get(side.defaults_url)
        self.assertEqual(headers["Cache-Control"], "no-cache")

        client = self.defaults_client(side.defaults_url, cache_path=self.cache)
        got = await client()
        self.assertEqual(got, SERVED)
        self.assertEqual(got, json.loads(body))
        self.assertEqual((client.etag, client.revision), (headers["ETag"], headers["X-Hubprofiles-Revision"]))
        self.assertEqual((client.state, client.source, client.last_status), ("ok", "hubprofiles", 200))
        with open(self.cache) as f:
            cached = json.load(f)
        self.assertEqual(
            (cached["defaults"], cached["etag"], cached["revision"]),
            (SERVED, headers["ETag"], headers["X-Hubprofiles-Revision"]),
        )
        self.assertEqual(os.listdir(os.path.dirname(self.cache)), ["profile_list.json"], "temp file left behind")
        self.assertTrue(any("hub-wide defaults of revision" in m for m in self.infos()), self.infos())
        self.assertEqual(self.warnings(), [])

    async def test_none_set_is_an_empty_object(self):
        side = self.sidecar()  # --dev publishes its example list, without defaults
        client = self.defaults_client(side.defaults_url)
        self.assertEqual(await client(), {})
        spawner = fake_spawner()
        self.assertEqual(await client.apply(spawner), {})
        self.assertEqual((spawner.image, spawner.default_url), (BASE_IMAGE, ""))

    async def test_second_call_is_answered_304_and_results_are_copies(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        stub = self.stub(side.defaults_url)
        client = self.defaults_client(stub.url)
        before = side.feed_counts("defaults")
        first = await client()
        first["image"] = "mutated"
        second = await client()
        after = side.feed_counts("defaults")
        self.assertEqual(second, SERVED)
        self.assertEqual(stub.requests, [(None, 200), (client.etag, 304)])
        self.assertEqual(after.get(304, 0) - before.get(304, 0), 1, "the server did not answer 304")

    async def test_concurrent_calls_share_one_request(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        client = self.defaults_client(side.defaults_url)
        before = side.feed_counts("defaults")
        results = await asyncio.gather(*(client() for _ in range(20)))
        after = side.feed_counts("defaults")
        self.assertEqual(sum(after.values()) - sum(before.values()), 1)
        self.assertEqual(results, [SERVED] * 20)
        self.assertEqual(len({id(r) for r in results}), 20, "callers must get their own copies")

    async def test_a_new_publication_replaces_the_defaults(self):
        side = self.sidecar()
        side.publish_catalog(DOC_PROFILES, defaults=DEFAULTS)
        client = self.defaults_client(side.defaults_url, cache_path=self.cache)
        await client()
        old_etag = client.etag
        side.set_defaults(image="r")
        self.assertEqual(await client(), {"image": REF["r"]})
        self.assertNotEqual(client.etag, old_etag)
        with open(self.cache) as f:
            self.assertEqual(json.load(f)["defaults"], {"image": REF["r"]})

    async def test_unchanged_defaults_under_a_new_revision_are_a_304_with_its_number(self):
        side = self.sidecar()
        side.publish_catalog(DOC_PROFILES, defaults=DEFAULTS)
        client = self.defaults_client(side.defaults_url, cache_path=self.cache)
        await client()
        first = client.revision
        side.publish_catalog(DOC_PROFILES[:1])  # the profiles change, the defaults do not
        live = http_get(side.url)[1]["X-Hubprofiles-Revision"]
        self.assertNotEqual(live, first)
        self.assertEqual(await client(), SERVED)
        self.assertEqual((client.last_status, client.revision), (304, live))
        with open(self.cache) as f:
            self.assertEqual(json.load(f)["revision"], live)

    async def test_sidecar_stopped_serves_the_last_good_defaults_and_warns_once(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        client = self.defaults_client(side.defaults_url)
        await client()
        side.stop()
        for _ in range(3):
            self.assertEqual(await client(), SERVED)
        self.assertEqual((client.state, client.source), ("unreachable", "hubprofiles"))
        warnings = self.warnings()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("the last good defaults", warnings[0])

        self.sidecar(data_dir=side.data_dir, port=side.port, feed_port=side.feed_port)
        self.assertEqual(await client(), SERVED)
        self.assertEqual((client.state, client.last_status), ("ok", 304))

    async def test_bad_answers_serve_the_last_good_defaults_and_warn_once_per_state(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        stub = self.stub(side.defaults_url)
        client = self.defaults_client(stub.url)
        self.assertEqual(await client(), SERVED)
        steps = [
            ("500", "http error", 1),
            ("invalid-json", "invalid", 2),
            ("bad-image", "invalid", 2),
            ("bad-default-url", "invalid", 2),
            ("empty-array", "invalid", 2),  # [] is not an object
            ("hang", "unreachable", 3),
            ("proxy", "ok", 3),
        ]
        for mode, state, n_warnings in steps:
            with self.subTest(mode=mode):
                stub.mode = mode
                # Only the hanging stub needs the timeout to end the call;
                # the others get room for a loaded machine, where a short
                # timeout would turn a bad answer into "unreachable".
                client.timeout = 0.3 if mode == "hang" else 30
                self.assertEqual(await client(), SERVED)
                self.assertEqual(client.state, state)
                self.assertEqual(len(self.warnings()), n_warnings, self.warnings())
        logged = " ".join(r.getMessage() for r in self.records)
        self.assertIn("image is not a non-empty string", logged)
        self.assertIn("default_url is not a path", logged)
        self.assertIn("not a JSON object but list", logged)

    async def test_cold_start_uses_the_cache_then_revalidates_it(self):
        side = self.sidecar()
        side.publish_catalog([], defaults=DEFAULTS)
        await self.defaults_client(side.defaults_url, cache_path=self.cache)()

        before = side.feed_counts("defaults")
        warm = self.defaults_client(side.defaults_url, cache_path=self.cache)
        self.assertEqual(await warm(), SERVED)
        self.assertEqual(side.feed_counts("defaults").get(304, 0) - before.get(304, 0), 1)

        side.stop()
        cold = self.defaults_client(side.defaults_url, cache_path=self.cache, fallback={"image": "not/this:1"})
        self.assertEqual(await cold(), SERVED)
        self.assertEqual((cold.source, cold.state), ("cache", "unreachable"))
        self.assertTrue(any("loaded revision" in m for m in self.infos()))

    async def test_nothing_published_gives_the_fallback_else_none(self):
        side = self.sidecar(dev=False)
        self.assertEqual(http_get(side.defaults_url)[0], 503)

        client = self.defaults_client(side.defaults_url, cache_path=self.cache)
        for _ in range(3):
            self.assertIsNone(await client())
        self.assertEqual(client.state, "nothing published")
        warnings = self.warnings()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("servers start with the hub's own image and default_url", warnings[0])

        fallback = {"image": "fallback/image:1"}
        with_fallback = self.defaults_client(side.defaults_url, cache_path=self.cache, fallback=fallback)
        got = await with_fallback()
        self.assertEqual((got, with_fallback.source), (fallback, "fallback"))
        got["image"] = "mutated"
        fallback["image"] = "mutated too"
        self.assertEqual(await with_fallback(), {"image": "fallback/image:1"})
        self.assertFalse(os.path.exists(self.cache), "a fallback is not a last good answer")

        path = os.path.join(self.tmp.path, "defaults.json")
        with open(path, "w") as f:
            json.dump({"default_url": "/tree"}, f)
        self.assertEqual(await self.defaults_client(side.defaults_url, fallback=path)(), {"default_url": "/tree"})

    def test_fallback_values(self):
        for empty in (None, {}, ""):
            with self.subTest(fallback=empty):
                self.assertIsNone(DefaultsClient("http://127.0.0.1:9/defaults", fallback=empty)._fallback)
        for bad in ([], {"image": ""}, {"default_url": "lab"}, {"image": None}):
            with self.subTest(fallback=bad):
                with self.assertRaises(ValueError):
                    DefaultsClient("http://127.0.0.1:9/defaults", fallback=bad)

    def test_deepcopy_returns_the_same_objects(self):
        client = DefaultsClient("http://127.0.0.1:9/defaults")
        hook = DefaultsHook(client)
        self.assertIs(copy.deepcopy(client), client)
        self.assertIs(copy.deepcopy(hook), hook)
        self.assertIs(copy.deepcopy({"hook": hook})["hook"].client, client)


class DefaultsHookTests(Base):
    """The defaults hook, followed by a profile's overrides (the order with
    the real KubeSpawner and JupyterHub is in test_hub_kubespawner.py)."""

    async def asyncSetUp(self):
        self.side = self.sidecar()
        self.side.publish_catalog(DOC_PROFILES, defaults=DEFAULTS)

    async def spawn(self, hook, profiles, slug=None, choice=None):
        """JupyterHub runs the hook, then KubeSpawner's start() evaluates
        profile_list and applies the chosen profile and choice."""
        spawner = fake_spawner()
        await hook(spawner)
        apply_profile(spawner, await profiles(spawner), slug, choice)
        return spawner.image, spawner.default_url

    async def test_the_hook_sets_image_and_default_url(self):
        hook = DefaultsHook(self.defaults_client(self.side.defaults_url))
        spawner = fake_spawner()
        self.assertIsNone(await hook(spawner))
        self.assertEqual((spawner.image, spawner.default_url), (SERVED["image"], "/lab"))

    async def test_a_profile_override_wins_and_a_profile_without_one_inherits(self):
        hook = DefaultsHook(self.defaults_client(self.side.defaults_url))
        profiles = self.client(self.side.url)
        self.assertEqual(await self.spawn(hook, profiles, "plain"), (REF["base"], "/lab"))
        self.assertEqual(await self.spawn(hook, profiles), (REF["base"], "/lab"), "the default profile: plain")
        self.assertEqual(await self.spawn(hook, profiles, "scipy"), (REF["scipy"], "/lab"))
        self.assertEqual(await self.spawn(hook, profiles, "r-studio"), (REF["r"], "/rstudio"))
        # A choice's override (profile_options) wins too; a choice without
        # one inherits.
        self.assertEqual(await self.spawn(hook, profiles, "choose", choice="r"), (REF["r"], "/lab"))
        self.assertEqual(await self.spawn(hook, profiles, "choose", choice="same"), (REF["base"], "/lab"))

    async def test_with_hubprofiles_stopped_the_last_good_defaults_still_apply(self):
        cache = self.cache
        hook = DefaultsHook(self.defaults_client(self.side.defaults_url, cache_path=cache))
        profiles = self.client(self.side.url, cache_path=os.path.join(self.tmp.path, "cache", "list.json"))
        self.assertEqual(await self.spawn(hook, profiles, "plain"), (REF["base"], "/lab"))
        self.side.stop()
        self.assertEqual(await self.spawn(hook, profiles, "plain"), (REF["base"], "/lab"))
        self.assertEqual(await self.spawn(hook, profiles, "scipy"), (REF["scipy"], "/lab"))

        # And after a hub restart, from the disk cache.
        cold_hook = DefaultsHook(self.defaults_client(self.side.defaults_url, cache_path=cache))
        cold_profiles = self.client(self.side.url, cache_path=os.path.join(self.tmp.path, "cache", "list.json"))
        self.assertEqual(await self.spawn(cold_hook, cold_profiles, "plain"), (REF["base"], "/lab"))
        self.assertEqual(cold_hook.client.source, "cache")

    async def test_no_defaults_at_all_leaves_the_spawner_alone_and_logs_once(self):
        side = self.sidecar(dev=False, data_dir=os.path.join(self.tmp.path, "empty"))
        hook = DefaultsHook(self.defaults_client(side.defaults_url))
        for _ in range(3):
            spawner = fake_spawner(default_url="/hub-config")
            await hook(spawner)
            self.assertEqual((spawner.image, spawner.default_url), (BASE_IMAGE, "/hub-config"))
        self.assertEqual(len(self.warnings()), 1, self.warnings())

    async def test_the_previous_hook_runs_after_the_defaults(self):
        seen = []

        def sync_hook(spawner):
            seen.append(("sync", spawner.image))
            spawner.default_url = "/from-the-hook"

        async def async_hook(spawner):
            await asyncio.sleep(0)
            seen.append(("async", spawner.image))

        client = self.defaults_client(self.side.defaults_url)
        for previous, kind in ((sync_hook, "sync"), (async_hook, "async")):
            spawner = fake_spawner()
            await DefaultsHook(client, previous)(spawner)
            self.assertEqual(seen[-1], (kind, SERVED["image"]))
        self.assertEqual(spawner.default_url, "/lab")

        def failing_hook(spawner):
            raise RuntimeError("the hub's own hook fails")

        with self.assertRaisesRegex(RuntimeError, "own hook"):
            await DefaultsHook(client, failing_hook)(fake_spawner())

    async def test_a_value_the_spawner_refuses_is_skipped(self):
        class Refuses:
            user = fake_spawner().user
            default_url = ""

            @property
            def image(self):
                return BASE_IMAGE

            @image.setter
            def image(self, value):
                raise ValueError("not an image this spawner takes")

        hook = DefaultsHook(self.defaults_client(self.side.defaults_url))
        for _ in range(2):
            spawner = Refuses()
            await hook(spawner)
            self.assertEqual((spawner.image, spawner.default_url), (BASE_IMAGE, "/lab"))
        warnings = self.warnings()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("cannot set the default image", warnings[0])


class SetupTests(Base):
    """setup(): profile_list, options_form and the chained auth_state_hook."""

    def config(self):
        from traitlets.config import Config

        return Config()

    def test_setup_wires_everything(self):
        c = self.config()
        client = hubprofiles_hub.setup(
            c, "http://127.0.0.1:9/services/hubprofiles/profile_list", timeout=0.5, filter_groups=False,
            cache_path=os.path.join(self.tmp.path, "list.json"), headers={"X-Test": "1"}, log=self.logger,
            retry_interval=7,
        )
        self.assertIs(c.KubeSpawner.profile_list, client)
        self.assertEqual((client.timeout, client.filter_groups, client.retry_interval), (0.5, False, 7))
        self.assertIsInstance(c.KubeSpawner.options_form, hubprofiles_hub.SpawnForm)
        self.assertIs(c.KubeSpawner.options_form.client, client)
        hook = c.KubeSpawner.auth_state_hook
        self.assertIsInstance(hook, DefaultsHook)
        self.assertIsNone(hook.previous)
        self.assertNotIn("pre_spawn_hook", c.KubeSpawner, "the pre_spawn_hook is the hub's own")
        defaults = hook.client
        self.assertEqual(defaults.url, "http://127.0.0.1:9/services/hubprofiles/defaults")
        self.assertEqual(defaults.cache_path, os.path.join(self.tmp.path, "list.defaults.json"))
        self.assertEqual((defaults.timeout, defaults.headers, defaults.log), (0.5, {"X-Test": "1"}, self.logger))
        self.assertEqual(defaults.retry_interval, 7)

    def test_the_default_url_is_the_feed_listener_in_the_pod(self):
        c = self.config()
        client = hubprofiles_hub.setup(c)
        self.assertEqual(client.url, "http://127.0.0.1:10102/services/hubprofiles/profile_list")
        self.assertEqual(client.retry_interval, 30)
        self.assertEqual(c.KubeSpawner.auth_state_hook.client.url, "http://127.0.0.1:10102/services/hubprofiles/defaults")
        self.assertEqual(client.headers, {}, "the feed listener needs no token")

    def test_setup_keeps_an_existing_hook(self):
        def spawner_hook(spawner, auth_state):
            pass

        def kube_hook(spawner, auth_state):
            pass

        c = self.config()
        c.Spawner.auth_state_hook = spawner_hook
        hubprofiles_hub.setup(c, "http://127.0.0.1:9/profile_list")
        self.assertIs(c.KubeSpawner.auth_state_hook.previous, spawner_hook)

        c = self.config()
        c.Spawner.auth_state_hook = spawner_hook
        c.KubeSpawner.auth_state_hook = kube_hook  # the one KubeSpawner uses
        hubprofiles_hub.setup(c, "http://127.0.0.1:9/profile_list")
        self.assertIs(c.KubeSpawner.auth_state_hook.previous, kube_hook)
        hubprofiles_hub.setup(c, "http://127.0.0.1:9/profile_list")  # twice: not chained to itself
        self.assertIs(c.KubeSpawner.auth_state_hook.previous, kube_hook)

    def test_setup_options(self):
        c = self.config()
        hubprofiles_hub.setup(c, "http://127.0.0.1:9/profile_list", defaults_url=False, skip_empty_form=False)
        self.assertNotIn("auth_state_hook", c.KubeSpawner)
        self.assertNotIn("options_form", c.KubeSpawner)

        c = self.config()
        c.Spawner.options_form = "<p>the hub's own form</p>"
        hubprofiles_hub.setup(
            c, "http://127.0.0.1:9/profile_list", defaults_url="http://127.0.0.1:9/elsewhere",
            defaults_cache_path=os.path.join(self.tmp.path, "d.json"), defaults_fallback={"default_url": "/lab"},
        )
        self.assertNotIn("options_form", c.KubeSpawner, "an options_form of the hub's own is left alone")
        defaults = c.KubeSpawner.auth_state_hook.client
        self.assertEqual(defaults.url, "http://127.0.0.1:9/elsewhere")
        self.assertEqual(defaults.cache_path, os.path.join(self.tmp.path, "d.json"))
        self.assertEqual(defaults._fallback, {"default_url": "/lab"})

        c = self.config()
        hubprofiles_hub.setup(c, "http://127.0.0.1:9/feed", log=self.logger)
        self.assertNotIn("auth_state_hook", c.KubeSpawner)
        self.assertIn("cannot tell the defaults URL", self.warnings()[0])

        with self.assertRaisesRegex(ValueError, "retry_interval"):
            hubprofiles_hub.setup(self.config(), retry_interval=-1)

    def test_defaults_url_for(self):
        f = hubprofiles_hub.defaults_url_for
        self.assertEqual(f("http://h:1/services/hubprofiles/profile_list"), "http://h:1/services/hubprofiles/defaults")
        self.assertEqual(f("http://h/profile_list?x=1"), "http://h/defaults?x=1")
        self.assertIsNone(f("http://h/services/hubprofiles/"))
        self.assertIsNone(f("http://h/my_profile_list"))


class SpawnFormTests(Base):
    """SpawnForm: no form for an empty list; KubeSpawner's form otherwise,
    from one request."""

    def spawner(self, client):
        spawner = fake_spawner()
        spawner.profile_list = client
        spawner.rendered = []

        async def render(current_spawner):  # KubeSpawner's, in outline
            profiles = await spawner.profile_list(current_spawner)
            spawner.rendered.append(profiles)
            return "<form>%s</form>" % ",".join(names(profiles))

        spawner._render_options_form_dynamically = render
        return spawner

    async def test_empty_list_no_form_else_one_request(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url)
        form = hubprofiles_hub.SpawnForm(client)

        spawner = self.spawner(client)
        self.assertEqual(await form(spawner), "<form>Small,Large, with a GPU</form>")
        self.assertEqual(len(stub.requests), 1, "the form must not fetch the list twice")
        self.assertEqual(await spawner.profile_list(spawner), spawner.rendered[0], "outside the form: fetched again")
        self.assertEqual(len(stub.requests), 2)

        side.publish_catalog([])
        spawner = self.spawner(client)
        self.assertEqual(await form(spawner), "")
        self.assertEqual(spawner.rendered, [], "KubeSpawner's form is not rendered at all")

    async def test_errors_propagate(self):
        url = "http://127.0.0.1:%d/profile_list" % free_port()
        client = self.client(url)
        with self.assertRaises(HTTPError) as cm:
            await hubprofiles_hub.SpawnForm(client)(self.spawner(client))
        self.assertEqual(cm.exception.status_code, 503)


class FilterRuleTests(unittest.TestCase):
    """filter_profile_list and validate_profile_list on their own."""

    def option(self, choices, unlisted=None):
        o = {"display_name": "Opt", "choices": choices}
        if unlisted is not None:
            o["unlisted_choice"] = unlisted
        return o

    def test_option_left_without_choices_drops_the_profile(self):
        profiles = [
            {"display_name": "A", "profile_options": {"o": self.option({"x": {"allowed_groups": ["g"]}})}},
            {"display_name": "B"},
        ]
        self.assertEqual(names(hubprofiles_hub.filter_profile_list(profiles, [])), ["B"])
        self.assertEqual(names(hubprofiles_hub.filter_profile_list(profiles, ["g"])), ["A", "B"])

    def test_option_left_with_only_free_text_keeps_the_profile(self):
        profiles = [{"display_name": "A", "profile_options": {"o": self.option(
            {"x": {"allowed_groups": ["g"]}}, {"enabled": True, "kubespawner_override": {"image": "{value}"}})}}]
        got = hubprofiles_hub.filter_profile_list(profiles, [])
        self.assertEqual(got[0]["profile_options"]["o"]["choices"], {})
        self.assertTrue(got[0]["profile_options"]["o"]["unlisted_choice"]["enabled"])

    def test_unfiltered_options_are_left_alone(self):
        # An option that had no choices to begin with is the admin's business.
        profiles = [{"display_name": "A", "profile_options": {"o": self.option({})}}]
        self.assertEqual(hubprofiles_hub.filter_profile_list(profiles, []), profiles)

    def test_allowed_groups_values(self):
        def visible(allowed, groups):
            return bool(hubprofiles_hub.filter_profile_list([{"display_name": "A", "allowed_groups": allowed}], groups))

        self.assertTrue(visible(None, []))
        self.assertFalse(visible([], ["g"]))
        self.assertTrue(visible(["g", "h"], ["h"]))
        self.assertTrue(visible("g", ["g"]))
        self.assertFalse(visible("g", ["gg"]))
        self.assertFalse(visible(42, ["42"]), "a malformed restriction fails closed")

    def test_input_is_not_changed(self):
        profiles = copy.deepcopy(GROUPS_LIST)
        got = hubprofiles_hub.filter_profile_list(profiles, [])
        self.assertEqual(profiles, GROUPS_LIST)
        got[0]["display_name"] = "x"
        self.assertEqual(profiles, GROUPS_LIST)

    def test_validate(self):
        ok = hubprofiles_hub.validate_profile_list
        self.assertIsNone(ok(GROUPS_LIST))
        self.assertIsNone(ok([], allow_empty=True))
        for bad in (None, {}, [], ["x"], [{"display_name": 1}], [{"display_name": "A", "profile_options": []}],
                    [{"display_name": "A", "profile_options": {"o": {"choices": []}}}]):
            with self.subTest(bad=bad):
                self.assertIsNotNone(ok(bad))


if __name__ == "__main__":
    unittest.main()
