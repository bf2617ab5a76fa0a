"""The hub module with the real KubeSpawner 7.1.0 and JupyterHub 5.5.0 (hub/upstream.py).

What KubeSpawner decides (the spawn form, which profile and choice a spawn
gets, what it does with options it cannot find) is its own code here, not a
stand-in; the spawns follow JupyterHub 5.5's ``User.spawn`` order (and
JupyterHub 4's), checked against the real source. The feeds come from the real
hubprofiles binary, with HTTP stubs in front of it for outages.

Run with the other hub tests (``go test ./hub/``; see hub/README.md).
"""

import logging
import os
import time
import unittest

import upstream

upstream.load()  # before anything imports Debian's JupyterHub 3.0

from tornado.web import HTTPError  # noqa: E402
from traitlets.config import Config  # noqa: E402

from hubprofiles_testing import REF, Sidecar, Stub, TempDir, binary, free_port, hubprofiles_hub  # noqa: E402

# The hub's base config (z2jh's singleuser.image and singleuser.defaultUrl).
BASE_IMAGE = "hub-config/base:1"
BASE_URL = "/hub-config"
# The hub-wide defaults published in hubprofiles, and what they give.
DEFAULTS = {"image": "base", "default_url": "/lab"}
LAB = (REF["base"], "/lab")

# A catalog in hubprofiles' document form: profiles with and without an image
# and an interface of their own, a choice hidden from all but staff, a value
# of one's own with a pattern, a profile only staff may start.
PROFILES = [
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
                    {"key": "same", "display_name": "The hub's default", "default": True},
                    {"key": "r", "display_name": "R", "image": "r"},
                    {"key": "secret", "display_name": "Secret env", "allowed_groups": ["staff"], "image": "scipy"},
                ],
                "unlisted_choice": {
                    "enabled": True,
                    "display_name": "Other image",
                    "validation_regex": "^quay\\.io/",
                    "validation_message": "an image on quay.io",
                    "kubespawner_override": {"image": "{value}"},
                },
            }
        ],
    },
    {"slug": "staff-only", "display_name": "Staff only", "allowed_groups": ["staff"], "kubespawner_override": {"cpu_limit": 8}},
]

SPAWNS = {"5.5": upstream.user_spawn_5_5, "4": upstream.user_spawn_4}



# The feeds' timeout in the outage tests: their first requests are healthy
# ones through a stub, which a loaded machine can take over a second to
# answer; a hung sidecar then costs this once per feed.
STUB_TIMEOUT = 5.0

class Base(unittest.IsolatedAsyncioTestCase):
    """One sidecar for the class, with PROFILES and DEFAULTS published."""

    @classmethod
    def setUpClass(cls):
        binary()
        cls.tmp = TempDir()
        cls.side = Sidecar(os.path.join(cls.tmp.path, "sidecar"), dev=True)
        try:
            cls.side.start()
            served = cls.side.publish_catalog(PROFILES, defaults=DEFAULTS)
            assert served == {"image": REF["base"], "default_url": "/lab"}, served
        except BaseException:
            cls.side.stop()
            cls.tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.side.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.logger = logging.getLogger("test.hubprofiles." + self.id())
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        self.records = []
        handler = logging.Handler()
        handler.emit = self.records.append
        self.logger.addHandler(handler)

    def warnings(self):
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]

    def stub(self, target):
        s = Stub(target)
        self.addCleanup(s.stop)
        return s

    def config(self, url=None, **kwargs):
        """A hub config: the base image and interface, then setup()."""
        c = Config()
        c.KubeSpawner.image = BASE_IMAGE
        c.Spawner.default_url = BASE_URL
        kwargs.setdefault("log", self.logger)
        hubprofiles_hub.setup(c, url or self.side.url, **kwargs)
        return c

    def spawner(self, c, name="bob", groups=(), admin=False, **traits):
        """A real KubeSpawner for a user, configured by ``c``."""
        return upstream.make_spawner(user=upstream.User(name, groups, admin), config=c, **traits)

    async def got(self, spawn, spawner, options):
        await spawn(spawner, options)
        return spawner.image, spawner.default_url


class SpawnOrderTests(unittest.TestCase):
    def test_the_replicas_follow_the_real_user_spawn(self):
        # upstream.user_spawn_5_5 and user_spawn_4 copy what User.spawn does
        # before start(); if a JupyterHub changed its order, this fails.
        self.assertEqual(upstream.user_spawn_order(upstream.user_spawn_source()), upstream.USER_SPAWN_5_5)
        debian = "/usr/lib/python3/dist-packages/jupyterhub/user.py"  # JupyterHub 3.0, as 4.x
        self.assertTrue(os.path.exists(debian), "Debian's jupyterhub is missing: apt-get install jupyterhub")
        self.assertEqual(upstream.user_spawn_order(upstream.user_spawn_source(debian)), upstream.USER_SPAWN_4)


class DefaultsOrderTests(Base):
    """The hub-wide defaults are the base of a spawn: everything else wins."""

    async def test_profiles_choices_and_values_of_ones_own_win_over_the_defaults(self):
        cases = [
            ({"profile": "plain"}, LAB, "nothing else sets them: the defaults"),
            ({}, LAB, "the default profile (plain)"),
            ({"profile": "scipy"}, (REF["scipy"], "/lab"), "a profile's image"),
            ({"profile": "r-studio"}, (REF["r"], "/rstudio"), "a profile's image and interface"),
            ({"profile": "choose"}, LAB, "the default choice sets nothing"),
            ({"profile": "choose", "env": "r"}, (REF["r"], "/lab"), "a choice's image"),
            (
                {"profile": "choose", "env--unlisted-choice": "quay.io/mine/custom:1"},
                ("quay.io/mine/custom:1", "/lab"),
                "a value of one's own",
            ),
        ]
        c = self.config()
        for version, spawn in SPAWNS.items():
            for options, want, what in cases:
                with self.subTest(jupyterhub=version, options=options):
                    self.assertEqual(await self.got(spawn, self.spawner(c), options), want, what)

    async def test_group_overrides_and_apply_user_options_win_on_jupyterhub_5(self):
        c = self.config()
        overrides = {
            "01-rstudio": {"groups": ["rstudio-users"], "spawner_override": {"default_url": "/rstudio"}},
            "02-gpu-image": {"groups": ["gpu"], "spawner_override": {"image": "gpu/image:1"}},
        }

        def apply_user_options(spawner, options):
            if "url" in options:
                spawner.default_url = options["url"]

        def spawner(groups):
            return self.spawner(c, groups=groups, group_overrides=overrides, apply_user_options=apply_user_options)

        spawn = upstream.user_spawn_5_5
        self.assertEqual(await self.got(spawn, spawner(["rstudio-users"]), {"profile": "plain"}), (REF["base"], "/rstudio"))
        self.assertEqual(await self.got(spawn, spawner(["gpu"]), {"profile": "plain"}), ("gpu/image:1", "/lab"))
        self.assertEqual(await self.got(spawn, spawner([]), {"profile": "plain", "url": "/vscode"}), (REF["base"], "/vscode"))
        self.assertEqual(await self.got(spawn, spawner([]), {"profile": "plain"}), LAB, "no group, no option: the defaults")
        # KubeSpawner applies the profile last: its own image wins over a group's.
        self.assertEqual(await self.got(spawn, spawner(["gpu"]), {"profile": "scipy"}), (REF["scipy"], "/lab"))

    async def test_as_a_pre_spawn_hook_the_defaults_overwrote_group_overrides(self):
        # What issue 12 found, kept as a witness: the same hook run where the
        # module used to put it (JupyterHub 5.5 runs it after the group
        # overrides) turns a group's /rstudio into /lab.
        c = self.config()
        hook = c.KubeSpawner.auth_state_hook
        overrides = {"01-rstudio": {"groups": ["rstudio-users"], "spawner_override": {"default_url": "/rstudio"}}}
        s = self.spawner(c, groups=["rstudio-users"], group_overrides=overrides, pre_spawn_hook=hook, auth_state_hook=None)
        s._start_pending = True  # as User.spawn sets it (spawn_5_5 leaves it out)
        await upstream.spawn_5_5(s, {"profile": "plain"})
        self.assertEqual(s.default_url, "/lab")

    async def test_the_hubs_own_hooks_still_run_after_the_defaults(self):
        seen = []

        def own_auth_state_hook(spawner, auth_state):
            seen.append(("auth_state_hook", spawner.image, auth_state))

        def own_pre_spawn_hook(spawner):
            seen.append(("pre_spawn_hook", spawner.image))
            spawner.default_url = "/from-the-hub"

        c = Config()
        c.KubeSpawner.image = BASE_IMAGE
        c.Spawner.auth_state_hook = own_auth_state_hook
        c.Spawner.pre_spawn_hook = own_pre_spawn_hook
        hubprofiles_hub.setup(c, self.side.url, log=self.logger)
        s = self.spawner(c)
        await upstream.user_spawn_5_5(s, {"profile": "plain"}, auth_state={"k": "v"})
        self.assertEqual(seen, [("auth_state_hook", REF["base"], {"k": "v"}), ("pre_spawn_hook", REF["base"])])
        self.assertEqual(s.default_url, "/from-the-hub")

    async def test_no_defaults_published_leaves_the_base_config(self):
        tmp = TempDir()
        self.addCleanup(tmp.cleanup)
        side = Sidecar(os.path.join(tmp.path, "empty"), dev=False)
        self.addCleanup(side.stop)
        side.start()  # nothing published: both feeds answer 503
        c = self.config(side.url, fallback=[{"display_name": "Fallback", "slug": "fallback"}])
        for version, spawn in SPAWNS.items():
            with self.subTest(jupyterhub=version):
                self.assertEqual(await self.got(spawn, self.spawner(c), {}), (BASE_IMAGE, BASE_URL))

    async def test_the_spawn_page_does_not_wait_for_the_defaults(self):
        # JupyterHub 5.5 runs the auth_state_hook before it renders the form
        # too; the hook then does nothing, so the form costs no defaults request.
        lists = self.stub(self.side.url)
        defaults = self.stub(self.side.defaults_url)
        c = self.config(lists.url, defaults_url=defaults.url)
        form = await upstream.render_spawn_page_5_5(self.spawner(c))
        self.assertIn("Plain", form)
        self.assertEqual((len(lists.requests), len(defaults.requests)), (1, 0))
        s = self.spawner(c)
        await upstream.user_spawn_5_5(s, {"profile": "plain"})
        self.assertEqual((s.image, s.default_url), LAB)
        self.assertEqual((len(lists.requests), len(defaults.requests)), (2, 1))


class RefusalTests(Base):
    """Options that pick what the user may not use: a clear 400, not a KeyError."""

    async def refused(self, options, name="bob", groups=()):
        s = self.spawner(self.config(), name=name, groups=groups)
        with self.assertRaises(HTTPError) as cm:
            await upstream.user_spawn_5_5(s, options)
        self.assertEqual(cm.exception.status_code, 400)
        return cm.exception.log_message % cm.exception.args

    async def test_a_hidden_or_unknown_choice_is_refused_naming_option_and_choice(self):
        for choice in ("secret", "no-such-choice"):
            with self.subTest(choice=choice):
                message = await self.refused({"profile": "choose", "env": choice})
                self.assertIn("The choice %r of the option 'env' (Environment)" % choice, message)
                self.assertIn("is not available to you. You can pick: same, r.", message)
                self.assertNotIn("Secret env", message)

    async def test_a_hidden_or_unknown_profile_is_refused(self):
        for slug in ("staff-only", "no-such-profile"):
            with self.subTest(slug=slug):
                message = await self.refused({"profile": slug})
                self.assertIn("There is no server profile %r that you can start." % slug, message)
                self.assertIn("You can start: plain, scipy, r-studio, choose.", message)

    async def test_a_value_of_ones_own_must_match_its_pattern(self):
        message = await self.refused({"profile": "choose", "env--unlisted-choice": "docker.io/evil:1"})
        self.assertIn("is not accepted: an image on quay.io", message)
        message = await self.refused({"profile": "choose", "env": ["r"]})
        self.assertIn("The choice ['r']", message)

    async def test_what_the_user_may_use_works(self):
        c = self.config()
        got = await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "choose", "env": "r"})
        self.assertEqual(got, (REF["r"], "/lab"))
        carol = self.spawner(c, name="carol", groups=["staff"])
        self.assertEqual(await self.got(upstream.user_spawn_5_5, carol, {"profile": "choose", "env": "secret"}), (REF["scipy"], "/lab"))
        alice = self.spawner(c, name="alice", admin=True)
        self.assertEqual(await self.got(upstream.user_spawn_4, alice, {"profile": "choose", "env": "secret"}), (REF["scipy"], "/lab"))
        carol = self.spawner(c, name="carol", groups=["staff"])
        await upstream.user_spawn_5_5(carol, {"profile": "staff-only"})
        self.assertEqual(carol.cpu_limit, 8)

    async def test_kubespawner_alone_fails_with_a_bare_key_error(self):
        # The witness: the list the module gives bob, handed to KubeSpawner
        # as a static list, and the hidden choice picked through the API.
        client = hubprofiles_hub.ProfileListClient(self.side.url, log=self.logger)
        visible = await client(upstream.make_spawner(user=upstream.User("bob")))
        s = upstream.make_spawner(user=upstream.User("bob"), profile_list=visible)
        with self.assertRaises(KeyError):
            await upstream.spawn_5_5(s, {"profile": "choose", "env": "secret"})

    async def test_the_spawn_form_with_stale_options_is_not_refused(self):
        # JupyterHub keeps a user's last options; the form must still render
        # (KubeSpawner then does not preselect them) after a group change.
        s = self.spawner(self.config())
        s.user_options = {"profile": "choose", "env": "secret"}
        form = await upstream.render_spawn_page_5_5(s)
        self.assertIn("Choose", form)
        self.assertNotIn("Secret env", form)


class SpawnFormTests(Base):
    """The spawn form as KubeSpawner renders it, through SpawnForm, with the
    sidecar up, down, hung and degraded."""

    async def test_the_form_is_filtered_by_group(self):
        c = self.config()
        bob = await upstream.render_spawn_page_5_5(self.spawner(c))
        for shown in ("Plain", "SciPy", "RStudio", "Choose", "The hub&#39;s default", "Other image"):
            self.assertTrue(shown in bob or shown.replace("&#39;", "'") in bob, shown)
        self.assertNotIn("Staff only", bob)
        self.assertNotIn("Secret env", bob)
        carol = await upstream.render_spawn_page_5_5(self.spawner(c, name="carol", groups=["staff"]))
        self.assertIn("Staff only", carol)
        self.assertIn("Secret env", carol)

    async def outage(self, mode, timeout=None):
        """Render and spawn once with the sidecar up, then switch the stubs to
        ``mode``; return (config, stubs, the good form)."""
        lists = self.stub(self.side.url)
        defaults = self.stub(self.side.defaults_url)
        c = self.config(lists.url, defaults_url=defaults.url, timeout=timeout or STUB_TIMEOUT)
        good = await upstream.render_spawn_page_5_5(self.spawner(c))
        self.assertEqual(await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "plain"}), LAB)
        lists.mode = defaults.mode = mode
        return c, (lists, defaults), good

    async def test_sidecar_down_the_last_good_list_and_defaults(self):
        c, stubs, good = await self.outage("proxy")
        for s in stubs:
            s.stop()  # connection refused from now on
        self.assertEqual(await upstream.render_spawn_page_5_5(self.spawner(c)), good)
        self.assertEqual(await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "choose", "env": "r"}), (REF["r"], "/lab"))
        self.assertEqual(await self.got(upstream.user_spawn_4, self.spawner(c), {"profile": "plain"}), LAB)

    async def test_hub_restarted_while_the_sidecar_is_down_the_disk_cache(self):
        tmp = TempDir()
        self.addCleanup(tmp.cleanup)
        cache = os.path.join(tmp.path, "hubprofiles-profile-list.json")
        c = self.config(cache_path=cache)
        good = await upstream.render_spawn_page_5_5(self.spawner(c))
        await upstream.user_spawn_5_5(self.spawner(c), {})  # the defaults reach their cache too

        down = "http://127.0.0.1:%d/services/hubprofiles/profile_list" % free_port()
        c = self.config(down, cache_path=cache)  # a new hub process: nothing in memory
        self.assertEqual(await upstream.render_spawn_page_5_5(self.spawner(c)), good)
        self.assertEqual(await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "plain"}), LAB)
        self.assertEqual(c.KubeSpawner.profile_list.source, "cache")
        self.assertEqual(c.KubeSpawner.auth_state_hook.client.source, "cache")

    async def test_sidecar_hung_costs_one_timeout_then_nothing(self):
        c, (lists, defaults), good = await self.outage("hang")
        requests = (len(lists.requests), len(defaults.requests))
        self.assertEqual(requests, (2, 1))

        t0 = time.monotonic()
        self.assertEqual(await upstream.render_spawn_page_5_5(self.spawner(c)), good)  # waits once
        self.assertEqual(await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "plain"}), LAB)  # defaults: once
        first = time.monotonic() - t0

        t0 = time.monotonic()
        for _ in range(10):
            self.assertEqual(await upstream.render_spawn_page_5_5(self.spawner(c)), good)
            self.assertEqual(await self.got(upstream.user_spawn_5_5, self.spawner(c), {"profile": "scipy"}), (REF["scipy"], "/lab"))
        rest = time.monotonic() - t0
        self.assertEqual((len(lists.requests), len(defaults.requests)), (3, 2), "one hung request per feed, then none")
        # Sanity bounds only (the request counts above are the test): the
        # first render and spawn waited for the timeout, the 20 later ones did not.
        self.assertGreaterEqual(first, 2 * STUB_TIMEOUT * 0.9)
        self.assertLess(rest, 20 * STUB_TIMEOUT / 2)

    async def test_database_down_the_sidecar_answers_503_and_the_last_good_list_serves(self):
        c, (lists, defaults), good = await self.outage("503")
        self.assertEqual(await upstream.render_spawn_page_5_5(self.spawner(c)), good)
        s = self.spawner(c)
        self.assertEqual(await self.got(upstream.user_spawn_5_5, s, {"profile": "r-studio"}), (REF["r"], "/rstudio"))
        self.assertEqual(c.KubeSpawner.profile_list.state, "http error")
        self.assertTrue(any("HTTP 503" in w and "last good list" in w for w in self.warnings()), self.warnings())


if __name__ == "__main__":
    unittest.main()
