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
    GROUPS_LIST,
    HungListener,
    Sidecar,
    Stub,
    TempDir,
    binary,
    fake_spawner,
    free_port,
    http_get,
    hubprofiles_hub,
    names,
)

ProfileListClient = hubprofiles_hub.ProfileListClient

SLACK = 1.0  # seconds allowed beyond the client's timeout


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

    def sidecar(self, dev=True, data_dir=None, port=None):
        s = Sidecar(data_dir or os.path.join(self.tmp.path, "data"), dev=dev, port=port)
        self.addCleanup(s.stop)
        return s.start()

    def stub(self, target=None):
        s = Stub(target)
        self.addCleanup(s.stop)
        return s

    def client(self, url, **kw):
        kw.setdefault("log", self.logger)
        return ProfileListClient(url, **kw)

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

    async def test_setup_assigns_kubespawner_profile_list(self):
        from traitlets.config import Config

        c = Config()
        client = hubprofiles_hub.setup(c, "http://127.0.0.1:9/profile_list", timeout=0.5, filter_groups=False)
        self.assertIs(c.KubeSpawner.profile_list, client)
        self.assertEqual((client.timeout, client.filter_groups), (0.5, False))


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
        self.sidecar(data_dir=side.data_dir, port=side.port)
        self.assertEqual(await client(fake_spawner()), good)
        self.assertEqual((client.state, client.last_status), ("ok", 304))
        self.assertTrue(any("answers again" in m for m in self.infos()), self.infos())
        self.assertEqual(len(self.warnings()), 1)

    async def test_slow_sidecar_returns_the_last_good_list_within_the_timeout(self):
        side = self.sidecar()
        stub = self.stub(side.url)
        client = self.client(stub.url, timeout=0.5)
        good = await client(fake_spawner())

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
        for bad in (None, {}, [], ["x"], [{"display_name": 1}], [{"display_name": "A", "profile_options": []}],
                    [{"display_name": "A", "profile_options": {"o": {"choices": []}}}]):
            with self.subTest(bad=bad):
                self.assertIsNotNone(ok(bad))


if __name__ == "__main__":
    unittest.main()
