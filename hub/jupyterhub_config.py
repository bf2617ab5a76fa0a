"""JupyterHub 3.0 config for the end-to-end tests (test_hub_e2e.py).

KubeSpawner is not packaged in Debian, so a small stand-in named
``KubeSpawner`` is defined here. It copies what KubeSpawner does with a
profile list, in KubeSpawner's order, and nothing else:

* the ``profile_list`` trait and the ``image`` trait;
* the default ``options_form``: for a callable list,
  ``_render_options_form_dynamically``, which awaits ``profile_list`` and
  renders a form, even for an empty list (a wrapper with no profile in it);
* ``options_from_form``: ``{"profile": slug, "<option>": choice}``;
* ``start()``: loads the user's options like KubeSpawner's
  ``load_user_options`` (the chosen profile's ``kubespawner_override``, then
  each option's choice), after JupyterHub has run the ``pre_spawn_hook``.
  Instead of creating a pod it writes what the pod would get (image,
  default_url, profile, ...) to ``$HUBPROFILES_TEST_STATE/spawns/<user>.json``,
  and fails the spawn a moment later (after JupyterHub has redirected to the
  spawn-pending page), so that nothing runs.

``hubprofiles_hub.setup(c, ...)`` then configures it exactly as it would the
real one (``c.KubeSpawner.profile_list``, ``options_form`` and
``auth_state_hook``). A ``pre_spawn_hook`` of the hub's own is configured
too, so the test sees that it still runs, after the defaults.

The test passes everything that varies through the environment:

HUBPROFILES_TEST_URL    the sidecar's profile_list URL
HUBPROFILES_TEST_STATE  directory for the hub's database, pid files, the cache and spawns/
HUBPROFILES_TEST_PORTS  "public,proxy_api,hub" ports on 127.0.0.1
"""

import asyncio
import html
import json
import os
import sys

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import maybe_future
from traitlets import Any, Unicode, default

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "chart", "files"))
import hubprofiles_hub  # noqa: E402

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)
state = os.environ["HUBPROFILES_TEST_STATE"]
public, proxy_api, hub = (int(p) for p in os.environ["HUBPROFILES_TEST_PORTS"].split(","))

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = public
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = hub
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % proxy_api
c.ConfigurableHTTPProxy.auth_token = "proxy-token-0123456789abcdef"
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret = bytes.fromhex("ab" * 32)
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")

c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = "testpass"
c.Authenticator.admin_users = {"alice"}
c.Authenticator.allowed_users = {"alice", "bob", "carol", "dave"}
c.JupyterHub.load_groups = {"gpu-users": ["bob"], "staff": ["carol"]}


# The hub's base config, which the hub-wide defaults replace and profiles
# override in turn.
BASE_IMAGE = "hub-config/base:1"
BASE_DEFAULT_URL = "/hub-config"
c.Spawner.default_url = BASE_DEFAULT_URL

# Spawns fail this long after start() is called: longer than the one second
# JupyterHub waits before it redirects to the spawn-pending page.
FAIL_AFTER = 1.5


class KubeSpawner(LocalProcessSpawner):
    """Stands in for KubeSpawner: profile_list, its form, and the order in
    which the chosen profile is applied."""

    profile_list = Any(None, config=True, help="A list of profiles, or a callable returning one.")
    image = Unicode(BASE_IMAGE, config=True, help="The image of the user's pod.")

    @default("options_form")
    def _options_form_default(self):
        # As KubeSpawner: no list, no form; a callable is asked at each render.
        if not self.profile_list:
            return ""
        if callable(self.profile_list):
            return self._render_options_form_dynamically
        return self._render_options_form(self.profile_list)

    async def _get_profile_list(self):
        profiles = self.profile_list
        if callable(profiles):
            profiles = await maybe_future(profiles(self))
        return profiles or []

    async def _render_options_form_dynamically(self, current_spawner):
        profiles = await maybe_future(self.profile_list(current_spawner))
        return self._render_options_form(profiles)

    def _render_options_form(self, profiles):
        # Like KubeSpawner's form.html: the wrapper is there even when the
        # list is empty.
        parts = ['<div class="hubprofiles-form">']
        for p in profiles:
            slug = p.get("slug") or p["display_name"]
            parts.append(
                '<label class="hubprofiles-profile"><input type="radio" name="profile" value="%s"> %s</label>'
                % (html.escape(slug), html.escape(p["display_name"]))
            )
            for key, option in (p.get("profile_options") or {}).items():
                parts.append('<select name="profile-option-%s--%s">' % (html.escape(slug), html.escape(key)))
                for choice_key, choice in (option.get("choices") or {}).items():
                    parts.append(
                        '<option value="%s">%s</option>'
                        % (html.escape(choice_key), html.escape(choice.get("display_name", choice_key)))
                    )
                parts.append("</select>")
        parts.append("</div>")
        return "\n".join(parts)

    def options_from_form(self, formdata):
        profile = formdata.get("profile", [None])[0]
        options = {"profile": profile} if profile else {}
        prefix = "profile-option-%s--" % profile
        for key, values in formdata.items():
            if key.startswith(prefix):
                options[key[len(prefix):]] = values[0]
        return options

    async def load_user_options(self):
        """KubeSpawner's order: the profile's override, then each option's
        chosen (else default, else first) choice's override."""
        profiles = await self._get_profile_list()
        if not profiles:
            return None  # no profiles: the base config (and the defaults) stay
        slug = self.user_options.get("profile")
        if slug:
            matches = [p for p in profiles if (p.get("slug") or p["display_name"]) == slug]
            if not matches:
                raise ValueError("No such profile: %s" % slug)
            profile = matches[0]
        else:
            profile = next((p for p in profiles if p.get("default")), profiles[0])
        self._apply_overrides(profile.get("kubespawner_override") or {})
        for key, option in (profile.get("profile_options") or {}).items():
            choices = option.get("choices") or {}
            choice = self.user_options.get(key)
            if choice not in choices:
                choice = next((k for k, ch in choices.items() if ch.get("default")), next(iter(choices), None))
            if choice is not None:
                self._apply_overrides(choices[choice].get("kubespawner_override") or {})
        return profile.get("slug") or profile["display_name"]

    def _apply_overrides(self, overrides):
        for k, v in overrides.items():
            current = getattr(self, k, None)
            if isinstance(v, dict) and isinstance(current, dict):
                current.update(v)
            else:
                setattr(self, k, v)

    async def start(self):
        profile = await self.load_user_options()
        record = {
            "user": self.user.name,
            "profile": profile,
            "user_options": self.user_options,
            "image": self.image,
            "default_url": self.default_url,
            "previous_hook": self.environment.get("HUBPROFILES_TEST_PREVIOUS_HOOK"),
        }
        spawns = os.path.join(state, "spawns")
        os.makedirs(spawns, exist_ok=True)
        tmp = os.path.join(spawns, ".%s.json" % self.user.name)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(spawns, "%s.json" % self.user.name))
        await asyncio.sleep(FAIL_AFTER)
        raise RuntimeError("the test hub records spawns and never starts a server")


def previous_hook(spawner):
    """The hub's own pre_spawn_hook: it must still run, and see the defaults."""
    spawner.environment["HUBPROFILES_TEST_PREVIOUS_HOOK"] = "ran after the defaults: image=%s" % spawner.image


c.Spawner.pre_spawn_hook = previous_hook

c.JupyterHub.spawner_class = KubeSpawner

hubprofiles_hub.setup(
    c,
    os.environ["HUBPROFILES_TEST_URL"],
    timeout=1.0,
    cache_path=os.path.join(state, "hubprofiles-cache.json"),
)
