"""End to end: a real JupyterHub 3.0 (Debian) whose spawn form and defaults come from hubprofiles.

The hub runs hub/jupyterhub_config.py: DummyAuthenticator, users alice
(admin), bob (gpu-users), carol (staff) and dave (no group), and a stand-in
KubeSpawner whose form lists the profiles that hubprofiles_hub returns and
whose start() applies the chosen profile the way KubeSpawner does, then
records the image and default_url the pod would get (and starts nothing).

HubEndToEnd logs users in, reads /hub/spawn, publishes a new list, stops
hubprofiles, posts a profile hidden from the user (refused with a clear
message on the form), and restarts the hub with hubprofiles still down.
DefaultsEndToEnd spawns: with no profiles at all, with profiles that do and
do not override the hub-wide defaults, and with hubprofiles stopped (before
and after a hub restart).
"""

import html
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from hubprofiles_testing import (
    DOC_PROFILES,
    GROUPS_LIST,
    HUB_DIR,
    REF,
    Sidecar,
    TempDir,
    binary,
    clean_env,
    free_port,
    track,
)

JUPYTERHUB = "/usr/bin/jupyterhub"

# The second publication: "Everyone" is gone, so dave (no group) has nothing.
SECOND_LIST = [
    {"display_name": "Fresh GPU profile", "slug": "fresh", "allowed_groups": ["gpu-users"]},
] + [p for p in GROUPS_LIST if p["slug"] != "everyone"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as an HTTPError we read


class Browser:
    """One user's cookie jar against the hub; never follows redirects."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=20) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def login(self, name):
        # JH 3.0 needs no _xsrf on the login form; later versions do, so send
        # it when the form has one.
        _, _, page = self.request("/hub/login")
        form = {"username": name, "password": "testpass"}
        m = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
        if m:
            form["_xsrf"] = m.group(1)
        status, headers, _ = self.request("/hub/login", form)
        if status != 302:
            raise AssertionError("login as %s: %s, not 302" % (name, status))
        return headers.get("Location")

    def profiles(self):
        """GET /hub/spawn: (status, profile display names in the form, page)."""
        status, _, page = self.request("/hub/spawn")
        shown = re.findall(r'<label class="hubprofiles-profile"><input [^>]*> ([^<]*)</label>', page)
        return status, shown, page

    def post_spawn(self, form):
        """POST the spawn form (with the page's _xsrf when it has one)."""
        _, _, page = self.request("/hub/spawn")
        m = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
        if m:
            form = dict(form, _xsrf=m.group(1))
        return self.request("/hub/spawn", form)


class Hub:
    """/usr/bin/jupyterhub with hub/jupyterhub_config.py, on free loopback ports."""

    def __init__(self, state, profile_list_url):
        self.state = state
        self.ports = (free_port(), free_port(), free_port())
        self.base = "http://127.0.0.1:%d" % self.ports[0]
        self.url = profile_list_url
        self.log_path = os.path.join(state, "hub.log")
        self.proc = None

    def start(self, timeout=60):
        env = clean_env(
            NODE_PATH="/usr/share/nodejs",  # Debian's CHP with nodesource's node
            HUBPROFILES_TEST_URL=self.url,
            HUBPROFILES_TEST_STATE=self.state,
            HUBPROFILES_TEST_PORTS=",".join(map(str, self.ports)),
        )
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [JUPYTERHUB, "-f", str(HUB_DIR / "jupyterhub_config.py")],
            cwd=self.state, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        track(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("jupyterhub exited with %s:\n%s" % (self.proc.returncode, self.log()[-4000:]))
            try:
                with urllib.request.urlopen(self.base + "/hub/api", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("jupyterhub did not answer within %ss:\n%s" % (timeout, self.log()[-4000:]))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # the hub stops its proxy itself
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self._kill_leftover_proxy()
        self.proc = None
        self.log_file.close()

    def _kill_leftover_proxy(self):
        """After a SIGKILL the hub could not stop CHP (it runs in its own session)."""
        try:
            with open(os.path.join(self.state, "proxy.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class HubEndToEnd(unittest.TestCase):
    def setUp(self):
        binary()
        for path in (JUPYTERHUB, "/usr/bin/python3"):
            if not os.access(path, os.X_OK):
                self.fail("%s is missing: apt-get install -y --no-install-recommends jupyterhub" % path)
        self.tmp = TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.side = Sidecar(os.path.join(self.tmp.path, "sidecar"), dev=True).start()
        self.addCleanup(self.side.stop)
        self.side.publish(GROUPS_LIST)
        state = os.path.join(self.tmp.path, "hub")
        os.makedirs(state)
        self.hub = Hub(state, self.side.url).start()
        self.addCleanup(self.hub.stop)

    def browsers(self):
        users = {}
        for name in ("alice", "bob", "carol", "dave"):
            users[name] = Browser(self.hub.base)
            location = users[name].login(name)
            self.assertIn("/hub/", location or "")
        return users

    def assertProfiles(self, browser, expected, what):
        status, shown, page = browser.profiles()
        self.assertEqual(status, 200, "%s: /hub/spawn answered %s:\n%s" % (what, status, page[-2000:]))
        self.assertEqual(shown, expected, what)
        return page

    def assertForbidden(self, browser, what):
        status, shown, page = browser.profiles()
        self.assertEqual(status, 403, "%s: expected 403, got %s" % (what, status))
        self.assertEqual(shown, [])
        self.assertIn("None of this hub", page, what)

    def test_spawn_form_follows_hubprofiles_and_survives_an_outage(self):
        users = self.browsers()

        # 1. The published list, filtered by group; admins see everything.
        page = self.assertProfiles(users["bob"], ["Everyone", "GPU"], "bob (gpu-users)")
        self.assertIn("Base image", page)
        self.assertNotIn("Secret image", page)
        page = self.assertProfiles(users["carol"], ["Everyone", "Staff only"], "carol (staff)")
        self.assertIn("Secret image", page)
        self.assertProfiles(users["dave"], ["Everyone"], "dave (no group)")
        self.assertProfiles(users["alice"], ["Everyone", "GPU", "Staff only"], "alice (admin)")

        # 2. A new publication reaches the form without a hub restart.
        self.side.publish(SECOND_LIST)
        expected_bob = ["Fresh GPU profile", "GPU"]
        self.assertProfiles(users["bob"], expected_bob, "bob after the second publication")
        self.assertForbidden(users["dave"], "dave after the second publication")

        # 3. hubprofiles goes away: the hub keeps offering the last good list.
        self.side.stop()
        for _ in range(2):
            self.assertProfiles(users["bob"], expected_bob, "bob with hubprofiles down")
        self.assertProfiles(users["carol"], ["Staff only"], "carol with hubprofiles down")
        self.assertForbidden(users["dave"], "dave with hubprofiles down")

        log = self.hub.log()
        self.assertEqual(log.count("hubprofiles: cannot use"), 1, "one warning per outage, not per call:\n" + log)
        # One client for the whole hub (not one per spawner): each revision is
        # announced once although four users' spawners called it.
        self.assertEqual(len(re.findall(r"hubprofiles: serving revision \d+", log)), 2, log)
        self.assertNotIn("/defaults", log, "nobody spawned: the defaults were never asked for")

        # A profile hidden from bob's groups, posted anyway (as a script or
        # the REST API could), while hubprofiles is down: the form again with
        # a clear refusal from the cached list, not a 500.
        status, _, page = users["bob"].post_spawn({"profile": "staff-only"})
        self.assertEqual(status, 200, "the refusal is shown on the form:\n" + page[-2000:])
        text = html.unescape(page)
        self.assertIn("HTTP 400", text)
        self.assertIn("There is no server profile 'staff-only' that you can start. You can start: fresh, gpu.", text)
        self.assertNotIn("Unhandled error", text)

        # 4. The hub restarts while hubprofiles is still down: the disk cache.
        self.hub.stop()
        self.hub.start()
        users = self.browsers()
        self.assertProfiles(users["bob"], expected_bob, "bob after a hub restart, hubprofiles down")
        self.assertProfiles(users["alice"], [p["display_name"] for p in SECOND_LIST], "alice after a hub restart")
        self.assertIn("hubprofiles: loaded revision", self.hub.log())


# The hub's own config in jupyterhub_config.py, which the defaults replace.
BASE = {"image": "hub-config/base:1", "default_url": "/hub-config"}
DEFAULTS = {"image": "base", "default_url": "/lab"}


class DefaultsEndToEnd(unittest.TestCase):
    """The hub-wide defaults reach spawns, under the profiles' overrides."""

    def setUp(self):
        binary()
        self.tmp = TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.side = Sidecar(os.path.join(self.tmp.path, "sidecar"), dev=True).start()
        self.addCleanup(self.side.stop)
        # A hub with no profiles at all, but with defaults.
        served = self.side.publish_catalog([], defaults=DEFAULTS)
        self.assertEqual(served, {"image": REF["base"], "default_url": "/lab"})
        self.state = os.path.join(self.tmp.path, "hub")
        os.makedirs(self.state)
        self.hub = Hub(self.state, self.side.url).start()
        self.addCleanup(self.hub.stop)

    def login(self, name):
        browser = Browser(self.hub.base)
        browser.login(name)
        return browser

    def record_path(self, name):
        return os.path.join(self.state, "spawns", name + ".json")

    def wait_for_record(self, name, what, timeout=15):
        """The stand-in KubeSpawner's record of name's spawn (written by start())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.record_path(name)) as f:
                    return json.load(f)
            except FileNotFoundError:
                time.sleep(0.05)
        self.fail("%s: %s's server was never started:\n%s" % (what, name, self.hub.log()[-4000:]))

    def spawn(self, browser, name, profile, what):
        """POST the form with `profile` (and no choice); return what the pod would get."""
        if os.path.exists(self.record_path(name)):
            os.unlink(self.record_path(name))
        status, headers, page = browser.post_spawn({"profile": profile})
        self.assertEqual(status, 302, "%s: POST /hub/spawn answered %s:\n%s" % (what, status, page[-2000:]))
        self.assertIn("/hub/spawn-pending/" + name, headers["Location"], what)
        record = self.wait_for_record(name, what)
        self.assertEqual(record["profile"], profile, what)
        return record

    def assertGets(self, record, image, default_url, what):
        self.assertEqual((record["image"], record["default_url"]), (image, default_url), what)
        self.assertEqual(
            record["previous_hook"], "ran after the defaults: image=%s" % REF["base"],
            "%s: the hub's own pre_spawn_hook must still run, after the defaults" % what,
        )

    def test_defaults_apply_under_profiles_and_through_an_outage(self):
        # (a) No profiles: no form at all; the server starts with the defaults.
        dave = self.login("dave")
        status, headers, page = dave.request("/hub/spawn")
        self.assertEqual(
            status, 302, "no profiles: /hub/spawn must start the server, not show a form:\n" + page[-2000:]
        )
        self.assertIn("/hub/spawn-pending/dave", headers["Location"])
        self.assertNotIn("hubprofiles-form", page)
        record = self.wait_for_record("dave", "no profiles")
        self.assertEqual((record["profile"], record["user_options"]), (None, {}))
        self.assertGets(record, REF["base"], "/lab", "no profiles")

        # (b) Profiles: an override wins over the defaults; no override inherits.
        self.side.publish_catalog(DOC_PROFILES)
        bob, carol, alice = self.login("bob"), self.login("carol"), self.login("alice")
        status, shown, page = bob.profiles()
        self.assertEqual((status, shown), (200, [p["display_name"] for p in DOC_PROFILES]), page[-2000:])
        self.assertGets(self.spawn(bob, "bob", "scipy", "profile with an image"), REF["scipy"], "/lab", "scipy")
        self.assertGets(self.spawn(carol, "carol", "plain", "profile without"), REF["base"], "/lab", "plain")
        self.assertGets(self.spawn(alice, "alice", "r-studio", "profile with both"), REF["r"], "/rstudio", "r-studio")

        # (c) hubprofiles stops: the last good defaults (and list) still apply.
        self.side.stop()
        self.assertGets(self.spawn(dave, "dave", "plain", "hubprofiles down"), REF["base"], "/lab", "down, plain")
        log = self.hub.log()
        self.assertEqual(log.count("hubprofiles: cannot use %s " % self.side.defaults_url), 1, log)
        self.assertIn("serving the last good defaults", log)

        # ... and after a hub restart, from the disk cache.
        self.hub.stop()
        self.hub.start()
        carol = self.login("carol")
        self.assertGets(self.spawn(carol, "carol", "choose", "restarted, hubprofiles down"), REF["r"], "/lab", "choose")
        bob = self.login("bob")
        self.assertGets(self.spawn(bob, "bob", "plain", "restarted, hubprofiles down"), REF["base"], "/lab", "plain")
        log = self.hub.log()
        loaded = r"hubprofiles: loaded revision \d+ \(image %s, default_url /lab\) from the cache" % re.escape(REF["base"])
        self.assertRegex(log, loaded)


if __name__ == "__main__":
    unittest.main()
