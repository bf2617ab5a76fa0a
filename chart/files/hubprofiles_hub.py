"""Serve KubeSpawner's ``profile_list`` from the hubprofiles sidecar.

This module gives ``c.KubeSpawner.profile_list`` an async callable that fetches
the live profile list from hubprofiles (``GET .../profile_list``), so that an
edit published in hubprofiles reaches the spawn form without a hub restart.

It needs only the standard library and tornado (JupyterHub ships tornado), and
runs on Python 3.9 or newer. Use it from ``jupyterhub_config.py`` (or a z2jh
``hub.extraConfig`` block)::

    import hubprofiles_hub
    hubprofiles_hub.setup(
        c,
        "http://127.0.0.1:10101/services/hubprofiles/profile_list",
        cache_path="/srv/jupyterhub/hubprofiles-cache.json",
    )

What a call does (KubeSpawner calls it at every render of the spawn form and
again at every spawn):

* It fetches the URL with tornado's ``AsyncHTTPClient``, a short timeout and
  ``If-None-Match`` set to the ETag of the last good list. Concurrent calls
  share one request. The event loop is never blocked (the disk cache is read
  and written in a worker thread).
* ``200``: the body must be a non-empty JSON array of objects, each with a
  string ``display_name``. It becomes the last good list, in memory and, when
  ``cache_path`` is set, on disk (with its ETag; written atomically).
* ``304``: the in-memory list is still current.
* Anything else (sidecar down, timeout, 5xx, ``503`` nothing published,
  invalid JSON, not an array, ...): one warning per change of state (not per
  call), and the call serves the last good list: from memory, else from
  ``cache_path`` (read at cold start), else ``fallback``. With none of these it
  raises ``tornado.web.HTTPError(503)``: an empty list would let KubeSpawner
  spawn with no profile at all.
* The result is a deep copy (KubeSpawner mutates what it gets), filtered by
  ``allowed_groups`` for the spawner's user; see :func:`filter_profile_list`.
  If nothing is left for the user, it raises ``HTTPError(403)``.
"""

import asyncio
import copy
import json
import logging
import os
import tempfile
import time

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.web import HTTPError

__all__ = [
    "ProfileListClient",
    "filter_profile_list",
    "setup",
    "validate_profile_list",
]

#: Default logger: a child of JupyterHub's application logger, so that its
#: lines appear in the hub log with the hub's format.
DEFAULT_LOGGER = "JupyterHub.hubprofiles"

# States of the feed, as far as the hub can tell. A warning is logged when the
# state changes to anything but STATE_OK, an info line when it returns to it.
STATE_OK = "ok"
STATE_UNREACHABLE = "unreachable"  # connection refused, timeout, DNS, ...
STATE_NOTHING_PUBLISHED = "nothing published"  # 503 from hubprofiles
STATE_HTTP_ERROR = "http error"  # any other unexpected status
STATE_INVALID = "invalid"  # 200 with a body that is not a usable list
STATE_ERROR = "error"  # anything unexpected while fetching

CACHE_FORMAT = 1


def validate_profile_list(data):
    """Return why ``data`` is not a usable profile list, or None if it is.

    Usable means: a non-empty list of objects, each with a string
    ``display_name`` (KubeSpawner raises KeyError at spawn without one), whose
    ``profile_options``, when present, is an object of objects and whose
    ``choices``, when present, is an object. An empty list is refused because
    KubeSpawner would spawn with no profile at all.
    """
    if not isinstance(data, list):
        return "not a JSON array but %s" % type(data).__name__
    if not data:
        return "an empty array (KubeSpawner would spawn with no profile)"
    for i, profile in enumerate(data):
        if not isinstance(profile, dict):
            return "item %d is not an object" % i
        if not isinstance(profile.get("display_name"), str):
            return "item %d has no string display_name" % i
        options = profile.get("profile_options")
        if options is None and "profile_options" not in profile:
            continue
        if not isinstance(options, dict):
            return "profile_options of item %d is not an object" % i
        for key, option in options.items():
            if not isinstance(option, dict):
                return "profile_options.%s of item %d is not an object" % (key, i)
            if "choices" in option and not isinstance(option["choices"], dict):
                return "profile_options.%s.choices of item %d is not an object" % (key, i)
    return None


def _allowed(entry, groups):
    """Whether ``entry`` (a profile, choice or unlisted_choice) is open to ``groups``.

    No ``allowed_groups`` key (or null) means everyone. A list means the
    members of any of those groups; a single string is taken as a list of one.
    Any other value lets nobody in: a malformed restriction fails closed.
    """
    allowed = entry.get("allowed_groups")
    if allowed is None:
        return True
    if isinstance(allowed, str):
        return allowed in groups
    if isinstance(allowed, (list, tuple)):
        return any(isinstance(g, str) and g in groups for g in allowed)
    return False


def filter_profile_list(profiles, groups):
    """Return the part of ``profiles`` that members of ``groups`` may use.

    The input is not changed; the result shares nothing with it. The rules
    follow the 2i2c ``allowed_groups`` convention:

    * A profile whose ``allowed_groups`` does not intersect ``groups`` is
      dropped.
    * In each option of ``profile_options``, choices whose ``allowed_groups``
      does not intersect ``groups`` are dropped.
    * An ``unlisted_choice`` (free-text value) whose ``allowed_groups`` does not
      intersect ``groups`` is replaced by ``{"enabled": false}``.
    * If that filtering leaves an option with no choice and no enabled
      ``unlisted_choice``, the user could not pick anything valid for it, so
      the whole profile is dropped.

    ``default`` marks are left alone: if the default choice or profile was
    dropped, KubeSpawner makes the first remaining one the default.
    ``allowed_groups`` keys are kept (KubeSpawner ignores them).
    """
    groups = set(groups)
    result = []
    for profile in profiles:
        if not isinstance(profile, dict) or not _allowed(profile, groups):
            continue
        profile = copy.deepcopy(profile)
        if _filter_options(profile, groups):
            result.append(profile)
    return result


def _filter_options(profile, groups):
    """Filter the options of ``profile`` in place; False if the profile must go."""
    options = profile.get("profile_options")
    if not isinstance(options, dict):
        return True
    for option in options.values():
        if not isinstance(option, dict):
            continue
        changed = False
        unlisted = option.get("unlisted_choice")
        if isinstance(unlisted, dict) and not _allowed(unlisted, groups):
            option["unlisted_choice"] = unlisted = {"enabled": False}
            changed = True
        choices = option.get("choices")
        if isinstance(choices, dict):
            kept = {k: c for k, c in choices.items() if not isinstance(c, dict) or _allowed(c, groups)}
            if len(kept) != len(choices):
                option["choices"] = kept
                changed = True
        else:
            kept = {}
        free_text = isinstance(unlisted, dict) and bool(unlisted.get("enabled"))
        if changed and not kept and not free_text:
            return False
    return True


class ProfileListClient:
    """An async ``profile_list`` callable backed by the hubprofiles feed.

    :param url: the full URL of hubprofiles' ``profile_list`` (for the chart:
        ``http://127.0.0.1:<port>/services/hubprofiles/profile_list``).
    :param timeout: seconds for connecting and for the whole request. Keep it
        short: the user waits for it on every spawn form.
    :param cache_path: a file that keeps the last good list (and its ETag) over
        hub restarts, written atomically. None: memory only.
    :param fallback: what to serve when neither the sidecar, memory nor the
        cache has a list: a profile list, or the path of a JSON file holding
        one. None, ``[]`` or ``""``: no fallback (raise HTTPError(503)
        instead), so ``z2jh.get_config("singleuser.profileList") or []`` can
        be passed as is. A non-empty list that is not usable raises ValueError
        here, at hub start.
    :param filter_groups: filter by ``allowed_groups`` against the user's
        JupyterHub groups (see :func:`filter_profile_list`).
    :param admins_see_all: hub admins get the whole list, unfiltered.
    :param log: a ``logging.Logger``; default ``JupyterHub.hubprofiles``.
    :param headers: extra request headers, e.g.
        ``{"Authorization": "token ..."}``.

    One client serves the whole hub: copying it (traitlets deep-copies config
    values onto each spawner) returns the same object.

    The attributes ``state``, ``etag``, ``revision`` (the
    ``X-Hubprofiles-Revision`` of the last good list), ``last_status`` (status
    of the last response, or None if there was none) and ``source`` (where the
    last list came from: ``"hubprofiles"``, ``"cache"`` or ``"fallback"``)
    describe what the client knows; they are for logs and tests.
    """

    def __init__(
        self,
        url,
        *,
        timeout=2.0,
        cache_path=None,
        fallback=None,
        filter_groups=True,
        admins_see_all=True,
        log=None,
        headers=None,
    ):
        self.url = url
        self.timeout = float(timeout)
        self.cache_path = os.fspath(cache_path) if cache_path is not None else None
        self.filter_groups = filter_groups
        self.admins_see_all = admins_see_all
        self.log = log or logging.getLogger(DEFAULT_LOGGER)
        self.headers = dict(headers or {})

        self.state = None
        self.etag = None
        self.revision = None
        self.last_status = None
        self.source = None

        self._profiles = None  # the last good list, never handed out as is
        self._cache_task = None  # the cold-start read of cache_path
        self._inflight = None  # the request that concurrent calls share
        self._cache_problem = None  # the last cache error logged

        self._fallback_path = None
        self._fallback = None
        if isinstance(fallback, (str, os.PathLike)) and os.fspath(fallback):
            self._fallback_path = os.fspath(fallback)
        elif fallback is not None and fallback != [] and fallback != "":
            problem = validate_profile_list(fallback)
            if problem:
                raise ValueError("hubprofiles fallback list is not usable: " + problem)
            self._fallback = copy.deepcopy(fallback)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        # traitlets deep-copies config values onto every Configurable, so
        # without this each spawner would get its own client: its own memory
        # copy, ETag and warning state (and a pending request cannot be
        # copied at all). One client is shared by the whole hub.
        return self

    def __repr__(self):
        return "<ProfileListClient %s state=%s revision=%s>" % (self.url, self.state, self.revision)

    async def __call__(self, spawner):
        """Return the profile list for ``spawner``'s user (a fresh deep copy).

        Raises ``tornado.web.HTTPError(503)`` when no list is available at all
        and ``HTTPError(403)`` when the user's groups allow none of the profiles.
        """
        await self._cold_start()
        await self._refresh()

        profiles = self._profiles
        if profiles is None:
            profiles = await self._load_fallback()
            if profiles is not None:
                self.source = "fallback"
        if profiles is None:
            raise HTTPError(
                503,
                "%s",
                "No server profiles are available right now: hubprofiles (%s) did not give a "
                "list (%s) and there is no cached or fallback list. Try again in a minute; "
                "tell a hub admin if this lasts." % (self.url, self.state or "not asked"),
            )
        return self._for_user(profiles, spawner)

    # -- fetching ---------------------------------------------------------

    async def _cold_start(self):
        """Read ``cache_path`` once, before the first request; concurrent
        first calls wait for the same read."""
        task = self._cache_task
        if task is None:
            task = self._cache_task = asyncio.get_running_loop().create_task(self._load_cache())
        if not task.done():
            await asyncio.shield(task)

    async def _refresh(self):
        """Bring the in-memory list up to date; never raises.

        Concurrent calls (many users opening the form at once) share one
        request; a caller that is cancelled does not cancel it for the others.
        """
        loop = asyncio.get_running_loop()
        task = self._inflight
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._fetch_safely())
            self._inflight = task
        await asyncio.shield(task)

    async def _fetch_safely(self):
        try:
            await self._fetch()
        except Exception as e:  # a bug here must not break the spawn form
            self.log.debug("hubprofiles: unexpected error", exc_info=True)
            self._failed(STATE_ERROR, "%s: %s" % (type(e).__name__, e))

    async def _fetch(self):
        headers = dict(self.headers)
        headers.setdefault("Accept", "application/json")
        if self.etag and self._profiles is not None:
            headers["If-None-Match"] = self.etag
        request = HTTPRequest(
            self.url,
            headers=headers,
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
            follow_redirects=False,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as e:  # refused, DNS, timeout (raised by some clients)
            self.last_status = None
            self._failed(STATE_UNREACHABLE, "%s: %s" % (type(e).__name__, e))
            return
        self.last_status = response.code
        code = response.code

        if code == 304 and self._profiles is not None:
            self._ok()
            return
        if code == 200:
            await self._accept(response)
            return
        if code == 599:  # tornado: no HTTP response (timeout, connection error)
            self._failed(STATE_UNREACHABLE, str(response.error))
        elif code == 503 and _error_code(response.body) == "nothing_published":
            self._failed(STATE_NOTHING_PUBLISHED, "hubprofiles has no published revision yet (503)")
        else:
            self._failed(STATE_HTTP_ERROR, "HTTP %d %s" % (code, _snippet(response.body)))

    async def _accept(self, response):
        """Take a 200 response as the new last good list if it is usable."""
        try:
            data = json.loads(response.body)
        except ValueError as e:
            self._failed(STATE_INVALID, "the response is not JSON (%s)" % e)
            return
        problem = validate_profile_list(data)
        if problem:
            self._failed(STATE_INVALID, "the response is " + problem)
            return
        etag = response.headers.get("ETag")
        revision = response.headers.get("X-Hubprofiles-Revision")
        changed = data != self._profiles
        stale_cache = changed or etag != self.etag or revision != self.revision
        self._profiles, self.etag, self.revision = data, etag, revision
        if changed:
            self.log.info(
                "hubprofiles: serving revision %s (%d profiles) from %s",
                revision or "?",
                len(data),
                self.url,
            )
        if stale_cache and self.cache_path:
            await self._save_cache(data, etag, revision)
        self._ok()

    def _ok(self):
        if self.state not in (None, STATE_OK):
            self.log.info("hubprofiles: %s answers again (revision %s)", self.url, self.revision or "?")
        self.state = STATE_OK
        self.source = "hubprofiles"

    def _failed(self, state, detail):
        """Record a failure; warn only when the state changes."""
        if state == self.state:
            self.log.debug("hubprofiles: still %s: %s", state, detail)
            return
        self.state = state
        if self._profiles is not None:
            serving = "the last good list (revision %s, from %s)" % (self.revision or "?", self.source)
        elif self._fallback is not None or self._fallback_path:
            serving = "the fallback list"
        else:
            serving = "nothing: spawns fail with 503 until it answers"
        self.log.warning(
            "hubprofiles: cannot use %s (%s: %s); serving %s", self.url, state, detail, serving
        )

    # -- the disk cache and the fallback ----------------------------------

    async def _load_cache(self):
        """At cold start, take the list kept in ``cache_path``, if usable."""
        if not self.cache_path:
            return
        loop = asyncio.get_running_loop()
        try:
            data = await loop.run_in_executor(None, _read_json, self.cache_path)
        except FileNotFoundError:
            return
        except Exception as e:  # unreadable, not JSON, not UTF-8, ...
            self.log.warning("hubprofiles: ignoring the cache %s: %s", self.cache_path, e)
            return
        profiles = data.get("profile_list") if isinstance(data, dict) else None
        problem = validate_profile_list(profiles)
        if problem:
            self.log.warning("hubprofiles: ignoring the cache %s: its list is %s", self.cache_path, problem)
            return
        self._profiles = profiles
        self.etag = data.get("etag") or None
        self.revision = data.get("revision")
        self.source = "cache"
        self.log.info(
            "hubprofiles: loaded revision %s (%d profiles) from the cache %s",
            self.revision or "?",
            len(profiles),
            self.cache_path,
        )

    async def _save_cache(self, profiles, etag, revision):
        document = {
            "format": CACHE_FORMAT,
            "url": self.url,
            "etag": etag,
            "revision": revision,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "profile_list": profiles,
        }
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, _write_json_atomically, self.cache_path, document)
        except Exception as e:  # a full disk must not stop the list from being served
            problem = "%s: %s" % (type(e).__name__, e)
            if problem != self._cache_problem:
                self._cache_problem = problem
                self.log.warning("hubprofiles: cannot write the cache %s: %s", self.cache_path, problem)
            return
        if self._cache_problem:
            self.log.info("hubprofiles: the cache %s is written again", self.cache_path)
        self._cache_problem = None

    async def _load_fallback(self):
        """The fallback list: the one given, or read (once) from its file."""
        if self._fallback is not None or not self._fallback_path:
            return self._fallback
        loop = asyncio.get_running_loop()
        try:
            data = await loop.run_in_executor(None, _read_json, self._fallback_path)
        except Exception as e:
            self.log.warning("hubprofiles: cannot read the fallback %s: %s", self._fallback_path, e)
            return None
        problem = validate_profile_list(data)
        if problem:
            self.log.warning("hubprofiles: the fallback %s is %s", self._fallback_path, problem)
            return None
        self._fallback = data
        return data

    # -- per user ---------------------------------------------------------

    def _for_user(self, profiles, spawner):
        """A deep copy of ``profiles``, filtered for ``spawner.user``."""
        user = getattr(spawner, "user", None)
        if not self.filter_groups or (self.admins_see_all and getattr(user, "admin", False)):
            return copy.deepcopy(profiles)
        groups = _group_names(user)
        result = filter_profile_list(profiles, groups)
        if not result:
            name = getattr(user, "name", None) or "this user"
            raise HTTPError(
                403,
                "%s",
                "None of this hub's server profiles is open to %s (groups: %s). "
                "Ask a hub admin to add you to a group that may use one."
                % (name, ", ".join(sorted(groups)) or "none"),
            )
        return result


def setup(c, url, **kwargs):
    """Make ``c.KubeSpawner.profile_list`` a :class:`ProfileListClient`.

    ``c`` is the config object of ``jupyterhub_config.py``; ``kwargs`` go to
    :class:`ProfileListClient`. Returns the client.
    """
    client = ProfileListClient(url, **kwargs)
    c.KubeSpawner.profile_list = client
    return client


def _group_names(user):
    names = set()
    for group in getattr(user, "groups", None) or ():
        name = getattr(group, "name", group)
        if isinstance(name, str):
            names.add(name)
    return names


def _error_code(body):
    """The ``error.code`` of a hubprofiles JSON error body, if any."""
    try:
        error = json.loads(body or b"").get("error")
        return error.get("code") if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        return None


def _snippet(body, limit=200):
    text = (body or b"").decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."


def _read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def _write_json_atomically(path, document):
    """Write ``document`` to ``path`` through a temporary file and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".hubprofiles-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
