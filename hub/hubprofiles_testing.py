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
