"""Run the real KubeSpawner 7.1.0 and JupyterHub 5.5.0 profile code, without a cluster.

The hub image of zero-to-jupyterhub 4.4.0 runs JupyterHub 5.5.0, KubeSpawner
7.1.0 and python-slugify 8.0.4 (with text-unidecode). Unmodified copies of them
sit in ``../shared/upstream/`` beside the checkout (``$HUBPROFILES_UPSTREAM``
overrides the place). This module puts them first on ``sys.path`` (ahead of
Debian's JupyterHub 3.0 and python-slugify 4.0) and lets tests use KubeSpawner's
own code for what it decides: initialising a profile list, rendering its spawn
form (``form.html``, Jinja2 without autoescaping), reading a form back, and
loading the chosen profile onto a spawner in JupyterHub 5.5's order.

Only the modules that talk to Kubernetes are stubbed: ``kubernetes_asyncio``
(its models are never built by the profile code) and ``escapism`` (not in
Debian). A spawner is built with ``_mock=True``, as KubeSpawner's own tests do,
and its Kubernetes client set-up is replaced by a no-op.

Needs Debian's ``/usr/bin/python3`` with ``python3-traitlets``,
``python3-jinja2``, ``python3-tornado``, ``python3-text-unidecode``,
``python3-yaml`` and the packages ``jupyterhub`` pulls in (SQLAlchemy, ...).
Import fails with a clear message when the upstream copies are missing.
"""

import importlib.abc
import importlib.machinery
import os
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("HUBPROFILES_UPSTREAM") or REPO.parent / "shared" / "upstream")
VERSIONS = {
    "kubespawner": "7.1.0",
    "jupyterhub": "5.5.0",
    "slugify": "8.0.4",
}
_PATHS = [
    UPSTREAM / "python-slugify-8.0.4",
    UPSTREAM / "jupyterhub-5.5.0",
    UPSTREAM / "kubespawner-7.1.0",
]


class _StubModule(types.ModuleType):
    """A module whose every public attribute is an inert class."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        stub = type(name, (), {"__init__": lambda self, *a, **k: None})
        setattr(self, name, stub)
        return stub


def _escape(s, safe=None, escape_char="_"):
    # escapism.escape's contract: characters outside ``safe`` become
    # escape_char + two hex digits. Used only for label and pod names.
    safe = set(safe or "abcdefghijklmnopqrstuvwxyz0123456789")
    out = []
    for byte in s.encode("utf-8"):
        c = chr(byte)
        out.append(c if c in safe and c != escape_char else "%s%02x" % (escape_char, byte))
    return "".join(out)


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds exactly the Kubernetes-only modules and returns stubs for them.

    Placed last on ``sys.meta_path``, so a real installation wins.
    """

    def find_spec(self, name, path, target=None):
        if name == "escapism" or name == "kubernetes_asyncio" or name.startswith("kubernetes_asyncio."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module):
        if module.__name__ == "escapism":
            module.escape = _escape


_loaded = None


def load():
    """Import the upstream KubeSpawner and return its ``KubeSpawner`` class."""
    global _loaded
    if _loaded is not None:
        return _loaded
    for p in _PATHS:
        if not p.is_dir():
            raise RuntimeError(
                "upstream code missing: %s (the tests read ../shared/upstream beside the "
                "checkout, or $HUBPROFILES_UPSTREAM)" % p
            )
    for p in reversed(_PATHS):
        sys.path.insert(0, str(p))
    for name in ("jupyterhub", "kubespawner", "slugify"):
        loaded = sys.modules.get(name)
        if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(str(UPSTREAM)):
            raise RuntimeError("%s was imported from %s before hub/upstream.py could load %s" % (name, loaded.__file__, UPSTREAM))
    if not any(isinstance(f, _StubFinder) for f in sys.meta_path):
        sys.meta_path.append(_StubFinder())
    import jupyterhub
    import kubespawner
    import kubespawner.spawner
    import slugify

    got = {
        "kubespawner": kubespawner.__version__,
        "jupyterhub": jupyterhub.__version__,
        "slugify": slugify.__version__,
    }
    if got != VERSIONS:
        raise RuntimeError("expected upstream versions %s, loaded %s" % (VERSIONS, got))
    # The spawner's constructor would load a kubeconfig and start a client.
    kubespawner.spawner.load_config = lambda *a, **k: None
    kubespawner.spawner.shared_client = lambda *a, **k: None
    _loaded = kubespawner.KubeSpawner
    return _loaded


class Group:
    """What KubeSpawner and JupyterHub read of a group: its name."""

    def __init__(self, name):
        self.name = name


class User:
    """What the profile code reads of a user (name, id, url, groups, admin)."""

    def __init__(self, name="alice", groups=(), admin=False):
        self.name = name
        self.id = 1
        self.url = "/user/%s/" % name
        self.admin = admin
        self.groups = [Group(g) for g in groups]


class Hub:
    public_host = ""
    url = "http://127.0.0.1:8081/hub/"
    base_url = "/hub/"
    api_url = "http://127.0.0.1:8081/hub/api"


def make_spawner(user=None, **traits):
    """Build a real KubeSpawner for ``user`` (a :class:`User`) with ``traits`` set."""
    KubeSpawner = load()
    return KubeSpawner(_mock=True, user=user or User(), hub=Hub(), **traits)


def render_form(profile_list, user_options=None, user=None):
    """KubeSpawner's spawn form for ``profile_list`` as a user's browser gets it."""
    spawner = make_spawner(user=user)
    if user_options:
        spawner.user_options = user_options
    return spawner._render_options_form(profile_list)


def options_from_form(formdata, user=None):
    """KubeSpawner's reading of a submitted form (``{name: [values]}``)."""
    return make_spawner(user=user).options_from_form(formdata)


async def spawn_5_5(spawner, user_options):
    """Do what JupyterHub 5.5's ``User.spawn`` and KubeSpawner's ``_start`` do
    with the options, in their order, up to the point where the pod is built:

    ``spawner.user_options = options``; ``apply_group_overrides()``;
    ``_run_apply_user_options(options)``; ``run_pre_spawn_hook()`` (awaited
    when it returns an awaitable); then KubeSpawner's ``load_user_options()``
    (the first thing its ``_start`` does). Returns the spawner.
    """
    import inspect

    spawner.user_options = dict(user_options or {})
    await spawner.apply_group_overrides()
    await spawner._run_apply_user_options(spawner.user_options)
    result = spawner.run_pre_spawn_hook()
    if inspect.isawaitable(result):
        await result
    await spawner.load_user_options()
    return spawner


# The steps of JupyterHub's User.spawn that touch the spawner before
# KubeSpawner's start(), in the order of each version's source. test_hub_
# kubespawner.py checks USER_SPAWN_5_5 against the real user.py of 5.5.0
# (and the JupyterHub 3 order against Debian's), so the replica below cannot
# drift from the code it stands for.
USER_SPAWN_5_5 = (
    "_start_pending = True",
    "run_auth_state_hook",
    "apply_group_overrides",
    "_run_apply_user_options",
    "run_pre_spawn_hook",
    "spawner.start()",
)
USER_SPAWN_4 = (
    "_start_pending = True",
    "run_auth_state_hook",
    "run_pre_spawn_hook",
    "spawner.start()",
)


def user_spawn_order(source):
    """The steps of USER_SPAWN_5_5 found in ``source`` (a ``User.spawn``),
    in the order they first appear."""
    found = [(source.find(step), step) for step in USER_SPAWN_5_5 if step in source]
    return tuple(step for _, step in sorted(found))


def user_spawn_source(user_py=None):
    """The source of ``User.spawn`` in a JupyterHub ``user.py``, read
    without importing it (default: the real JupyterHub 5.5.0)."""
    import ast

    path = Path(user_py or UPSTREAM / "jupyterhub-5.5.0" / "jupyterhub" / "user.py")
    text = path.read_text()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.name == "User":
            for item in node.body:
                if isinstance(item, ast.AsyncFunctionDef) and item.name == "spawn":
                    return ast.get_source_segment(text, item)
    raise RuntimeError("no User.spawn in %s" % path)


async def user_spawn_5_5(spawner, user_options, auth_state=None):
    """All that JupyterHub 5.5's ``User.spawn`` does to the spawner before
    ``start()``, and KubeSpawner's ``load_user_options`` (the first step of
    its ``_start``): ``spawn_5_5`` plus the two steps it leaves out,
    ``_start_pending`` (set for the whole spawn, cleared after it) and the
    ``auth_state_hook`` (run before the group overrides). Returns the spawner.
    """
    import inspect

    spawner.user_options = dict(user_options or {})
    spawner._start_pending = True
    try:
        await spawner.run_auth_state_hook(auth_state)
        await spawner.apply_group_overrides()
        await spawner._run_apply_user_options(spawner.user_options)
        result = spawner.run_pre_spawn_hook()
        if inspect.isawaitable(result):
            await result
        await spawner.load_user_options()
    finally:
        spawner._start_pending = False
    return spawner


async def user_spawn_4(spawner, user_options, auth_state=None):
    """The same in JupyterHub 4's (and 3's) order: no group overrides and no
    ``apply_user_options``; the ``auth_state_hook``, the ``pre_spawn_hook``,
    then ``start()``. Returns the spawner."""
    import inspect

    spawner.user_options = dict(user_options or {})
    spawner._start_pending = True
    try:
        await spawner.run_auth_state_hook(auth_state)
        result = spawner.run_pre_spawn_hook()
        if inspect.isawaitable(result):
            await result
        await spawner.load_user_options()
    finally:
        spawner._start_pending = False
    return spawner


async def render_spawn_page_5_5(spawner, auth_state=None):
    """What JupyterHub 5.5's spawn page (handlers/pages.py) does before it
    shows the form: the ``auth_state_hook``, then the spawner's own
    ``get_options_form()``. Returns the form's HTML."""
    await spawner.run_auth_state_hook(auth_state)
    return await spawner.get_options_form()
