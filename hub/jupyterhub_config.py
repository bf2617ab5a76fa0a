"""JupyterHub 3.0 config for the end-to-end test (test_hub_e2e.py).

KubeSpawner is not packaged in Debian, so a small stand-in named
``KubeSpawner`` is defined here: it has a configurable ``profile_list`` and an
async ``options_form`` that awaits ``self.profile_list(self)`` and renders the
display names, the way KubeSpawner's form does. ``hubprofiles_hub.setup(c, ...)``
then configures it exactly as it would the real one (``c.KubeSpawner.profile_list``).

The test passes everything that varies through the environment:

HUBPROFILES_TEST_URL    the sidecar's profile_list URL
HUBPROFILES_TEST_STATE  directory for the hub's database, pid files and the cache
HUBPROFILES_TEST_PORTS  "public,proxy_api,hub" ports on 127.0.0.1
"""

import html
import os
import sys

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import maybe_future
from traitlets import Any, default

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


class KubeSpawner(LocalProcessSpawner):
    """Stands in for KubeSpawner: the profile_list trait and a form made from it."""

    profile_list = Any(None, config=True, help="A list of profiles, or a callable returning one.")

    @default("options_form")
    def _options_form_default(self):
        return self._render_profile_form

    async def _render_profile_form(self, spawner):
        profiles = self.profile_list
        if callable(profiles):
            profiles = await maybe_future(profiles(self))
        parts = []
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
        return "\n".join(parts)

    async def start(self):
        raise RuntimeError("this test hub never spawns")


c.JupyterHub.spawner_class = KubeSpawner

hubprofiles_hub.setup(
    c,
    os.environ["HUBPROFILES_TEST_URL"],
    timeout=1.0,
    cache_path=os.path.join(state, "hubprofiles-cache.json"),
)
