"""Serve KubeSpawner's ``profile_list`` and the hub-wide defaults from hubprofiles.

This module gives ``c.KubeSpawner.profile_list`` an async callable that fetches
the live profile list from hubprofiles (``GET .../profile_list``), so that an
edit published in hubprofiles reaches the spawn form without a hub restart. It
also installs an ``auth_state_hook`` that sets the hub-wide defaults
(``GET .../defaults``: the image and the interface, ``default_url``) as the
base of every spawn, before group overrides, ``apply_user_options``, the
``pre_spawn_hook`` and the chosen profile, which all still win.

It needs only the standard library and tornado (JupyterHub ships tornado), and
runs on Python 3.9 or newer. Use it from ``jupyterhub_config.py`` (or a z2jh
``hub.extraConfig`` block)::

    import hubprofiles_hub
    hubprofiles_hub.setup(
        c,
        "http://127.0.0.1:10102/services/hubprofiles/profile_list",
        cache_path="/srv/jupyterhub/hubprofiles-cache.json",
    )

Both feeds are fetched the same way (:class:`FeedClient`):

* With tornado's ``AsyncHTTPClient``, a short timeout and ``If-None-Match``
  set to the ETag of the last good answer. Concurrent calls share one
  request. The event loop is never blocked (the disk cache is read and written
  in a worker thread).
* ``200`` with a usable body: it becomes the last good answer, in memory and,
  when ``cache_path`` is set, on disk (with its ETag; written atomically).
* ``304``: the in-memory answer is still current.
* Anything else (sidecar down, timeout, 5xx, ``503`` nothing published,
  invalid JSON, ...): one warning per change of state (not per call), and the
  call serves the last good answer: from memory, else from ``cache_path``
  (read at cold start), else ``fallback``.
* A circuit breaker: for ``retry_interval`` seconds after a failure, calls
  do not wait for the sidecar; one background request at a time asks again.
  A hung sidecar costs one timeout, not one per spawn.
* Results are deep copies (KubeSpawner mutates what it gets).

The profile list (:class:`ProfileListClient`), called by KubeSpawner at every
render of the spawn form and again at every spawn:

* A usable list is a JSON array of objects, each with a string
  ``display_name``. An empty array is usable only as hubprofiles' own
  publication (a ``200`` with ``X-Hubprofiles-Revision``): a hub with no
  profiles, whose users get the hub's base config and the defaults.
* With no list at all it raises ``tornado.web.HTTPError(503)``: returning
  ``[]`` then would silently spawn with no profile.
* The list is filtered by ``allowed_groups`` for the spawner's user; see
  :func:`filter_profile_list`. If nothing is left, it raises ``HTTPError(403)``.
* At spawn time, options that pick a profile, choice or value the user may
  not use (or that does not exist) are refused with ``HTTPError(400)``
  naming them, not left to fail in KubeSpawner with a ``KeyError``.

The defaults (:class:`DefaultsClient`, applied by :class:`DefaultsHook`): a
JSON object ``{"image": ..., "default_url": ...}``, each key only when set. The
hook sets ``spawner.image`` and ``spawner.default_url`` from it before
anything else of the spawn. With no defaults at all it does nothing:
the hub's own config applies, and a spawn is never blocked.
"""

import asyncio
import contextvars
import copy
import inspect
import json
import logging
import os
import re
import tempfile
import time
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.web import HTTPError

__all__ = [
    "DEFAULT_URL",
    "DefaultsClient",
    "DefaultsHook",
    "FeedClient",
    "ProfileListClient",
    "SpawnForm",
    "defaults_url_for",
    "filter_profile_list",
    "setup",
    "unavailable_option",
    "validate_defaults",
    "validate_profile_list",
]

#: Default logger: a child of JupyterHub's application logger, so that its
#: lines appear in the hub log with the hub's format.
DEFAULT_LOGGER = "JupyterHub.hubprofiles"

# States of a feed, as far as the hub can tell. A warning is logged when the
# state changes to anything but STATE_OK, an info line when it returns to it.
STATE_OK = "ok"
STATE_UNREACHABLE = "unreachable"  # connection refused, timeout, DNS, ...
STATE_NOTHING_PUBLISHED = "nothing published"  # 503 from hubprofiles
STATE_HTTP_ERROR = "http error"  # any other unexpected status
STATE_INVALID = "invalid"  # 200 with a body that is not usable
STATE_ERROR = "error"  # anything unexpected while fetching

CACHE_FORMAT = 1

#: The feed of the sidecar in the same pod: its feed listener on the pod's
#: loopback, which answers without a login (the public listener does not).
DEFAULT_URL = "http://127.0.0.1:10102/services/hubprofiles/profile_list"

#: Seconds during which a feed that just failed is not waited for (the
#: circuit breaker): calls serve the last good answer at once, and one
#: request at a time asks the sidecar again in the background.
DEFAULT_RETRY_INTERVAL = 30.0

#: The keys of the defaults that :class:`DefaultsHook` sets on the spawner
#: (they are trait names of KubeSpawner). Other keys are ignored, so that a
#: newer hubprofiles can add some without breaking an older hub.
DEFAULT_KEYS = ("image", "default_url")

# The list that SpawnForm has just fetched for a spawner, so that KubeSpawner's
# own rendering (which calls profile_list again) does not fetch it twice.
_PREFETCHED = contextvars.ContextVar("hubprofiles_prefetched", default=None)


def validate_profile_list(data, allow_empty=False):
    """Return why ``data`` is not a usable profile list, or None if it is.

    Usable means: a list of objects, each with a string ``display_name``
    (KubeSpawner raises KeyError at spawn without one), whose
    ``profile_options``, when present, is an object of objects and whose
    ``choices``, when present, is an object. An empty list is refused unless
    ``allow_empty``: KubeSpawner spawns with no profile at all then, which is
    right only when hubprofiles itself publishes no profiles.
    """
    if not isinstance(data, list):
        return "not a JSON array but %s" % type(data).__name__
    if not data and not allow_empty:
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


def validate_defaults(data):
    """Return why ``data`` is not usable hub-wide defaults, or None if it is.

    Usable means: a JSON object whose ``image``, when present, is a non-empty
    string and whose ``default_url``, when present, is a path starting with
    ``/``. ``{}`` is usable: no defaults are set. Other keys are allowed (and
    ignored by the hook).
    """
    if not isinstance(data, dict):
        return "not a JSON object but %s" % type(data).__name__
    image = data.get("image")
    if "image" in data and not (isinstance(image, str) and image.strip()):
        return "image is not a non-empty string"
    url = data.get("default_url")
    if "default_url" in data and not (isinstance(url, str) and url.startswith("/")):
        return "default_url is not a path starting with /"
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


class FeedClient:
    """What :class:`ProfileListClient` and :class:`DefaultsClient` share: one
    hubprofiles feed, fetched with a last good answer in memory and on disk.

    :param url: the full URL of the feed.
    :param timeout: seconds for connecting and for the whole request. Keep it
        short: the user waits for it.
    :param cache_path: a file that keeps the last good answer (and its ETag)
        over hub restarts, written atomically. None: memory only.
    :param fallback: what to serve when neither the sidecar, memory nor the
        cache has an answer: a value, or the path of a JSON file holding one.
        None, ``""`` and the feed's empty value (``[]``, ``{}``) mean no
        fallback. A value that is not usable raises ValueError here, at hub
        start; a file is read when it is first needed.
    :param log: a ``logging.Logger``; default ``JupyterHub.hubprofiles``.
    :param headers: extra request headers.
    :param token: a hubprofiles API token, sent as ``Authorization: token
        <token>``: for a hub that reads the sidecar's public listener from
        elsewhere. The feed listener in the same pod needs none.
    :param retry_interval: seconds of the circuit breaker. After a failed
        request (no answer, a timeout, an error status other than 503
        nothing published, an unusable body) calls do not wait for the sidecar for this long: they serve the
        last good answer at once. The first call after the interval starts
        one request in the background (and waits for it only when there is
        nothing at all to serve); until one succeeds, a failing sidecar
        gets one request per interval. ``0`` turns the breaker off: every
        call waits for its own request, as before.

    One client serves the whole hub: copying it (traitlets deep-copies config
    values onto each spawner) returns the same object.

    The attributes ``state``, ``etag``, ``revision`` (the
    ``X-Hubprofiles-Revision`` of the last good answer), ``last_status``
    (status of the last response, or None if there was none) and ``source``
    (where the last answer came from: ``"hubprofiles"``, ``"cache"`` or
    ``"fallback"``) describe what the client knows; they are for logs and tests.

    Subclasses say what the feed is: :attr:`noun` and :attr:`cache_key` (for
    log lines and the cache file), :attr:`without_data` (what the hub does
    when there is nothing to serve), :meth:`_problem` (validation) and
    :meth:`_describe` (a summary for log lines).
    """

    #: what the feed holds, in log lines ("the last good <noun>")
    noun = "answer"
    #: the key of the cache document under which the answer is kept
    cache_key = "data"
    #: what the hub does while there is nothing to serve, in the warning
    without_data = "nothing"
    #: the empty value that, as a fallback, means "no fallback"
    empty = None
    #: the info line for a new answer: revision, summary, URL
    announce = "hubprofiles: serving revision %s (%s) from %s"

    def __init__(
        self,
        url,
        *,
        timeout=2.0,
        cache_path=None,
        fallback=None,
        log=None,
        headers=None,
        token=None,
        retry_interval=DEFAULT_RETRY_INTERVAL,
    ):
        self.url = url
        self.timeout = float(timeout)
        self.retry_interval = float(retry_interval)
        if self.retry_interval < 0:
            raise ValueError("hubprofiles retry_interval must be 0 (no circuit breaker) or more, not %r" % retry_interval)
        self.cache_path = os.fspath(cache_path) if cache_path else None
        self.log = log or logging.getLogger(DEFAULT_LOGGER)
        self.headers = dict(headers or {})
        if token:
            self.headers["Authorization"] = "token %s" % token
        # The circuit breaker: None while the feed answers; after a failure,
        # the monotonic time from which one request may ask again.
        self._retry_at = None

        self.state = None
        self.etag = None
        self.revision = None
        self.last_status = None
        self.source = None

        self._data = None  # the last good answer, never handed out as is
        self._cache_task = None  # the cold-start read of cache_path
        self._inflight = None  # the request that concurrent calls share
        self._cache_problem = None  # the last cache error logged

        self._fallback_path = None
        self._fallback = None
        if isinstance(fallback, (str, os.PathLike)) and os.fspath(fallback):
            self._fallback_path = os.fspath(fallback)
        elif not self._no_fallback(fallback):
            problem = self._problem(fallback, None)
            if problem:
                raise ValueError("hubprofiles fallback %s is not usable: %s" % (self.noun, problem))
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
        return "<%s %s state=%s revision=%s>" % (type(self).__name__, self.url, self.state, self.revision)

    @property
    def retry_at(self):
        """While the circuit breaker is open, the ``time.monotonic()`` from
        which the next call asks the sidecar again; None while it is closed."""
        return self._retry_at

    # -- what a subclass says about its feed --------------------------------

    def _problem(self, data, revision):
        """Why ``data`` is not usable, or None. ``revision`` is the
        ``X-Hubprofiles-Revision`` it came with (None for a fallback)."""
        raise NotImplementedError

    def _describe(self, data):
        """A short summary of ``data`` for log lines."""
        raise NotImplementedError

    def _no_fallback(self, value):
        return value is None or value == "" or value == self.empty

    # -- fetching ---------------------------------------------------------

    async def _current(self):
        """The answer to serve (not a copy), or None if there is none at all.

        Reads the cache at cold start, refreshes from the sidecar, then falls
        back to the last good answer and to the fallback.
        """
        await self._cold_start()
        if self._retry_at is None:
            await self._refresh()
        else:
            # The breaker is open: the sidecar failed a moment ago. Serve what
            # there is without waiting; once the interval is over, ask again
            # with one request (shared, in the background).
            probe = self._request() if time.monotonic() >= self._retry_at else None
            if probe is not None and self._data is None and await self._load_fallback() is None:
                await asyncio.shield(probe)  # nothing to serve: worth the wait
        data = self._data
        if data is None:
            data = await self._load_fallback()
            if data is not None:
                self.source = "fallback"
        return data

    async def _cold_start(self):
        """Read ``cache_path`` once, before the first request; concurrent
        first calls wait for the same read."""
        task = self._cache_task
        if task is None:
            task = self._cache_task = asyncio.get_running_loop().create_task(self._load_cache())
        if not task.done():
            await asyncio.shield(task)

    async def _refresh(self):
        """Bring the in-memory answer up to date; never raises.

        Concurrent calls (many users opening the form at once) share one
        request; a caller that is cancelled does not cancel it for the others.
        """
        await asyncio.shield(self._request())

    def _request(self):
        """The request in flight, started if there is none: one at a time."""
        loop = asyncio.get_running_loop()
        task = self._inflight
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._fetch_safely())
            self._inflight = task
        return task

    async def _fetch_safely(self):
        try:
            await self._fetch()
        except Exception as e:  # a bug here must not break the spawn form
            self.log.debug("hubprofiles: unexpected error", exc_info=True)
            self._failed(STATE_ERROR, "%s: %s" % (type(e).__name__, e))

    async def _fetch(self):
        headers = dict(self.headers)
        headers.setdefault("Accept", "application/json")
        if self.etag and self._data is not None:
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

        if code == 304 and self._data is not None:
            # The same body, maybe under a newer revision (the defaults stay
            # the same when only the profiles change): keep the number current.
            revision = response.headers.get("X-Hubprofiles-Revision")
            if revision and revision != self.revision:
                self.revision = revision
                if self.cache_path:
                    await self._save_cache(self._data, self.etag, revision)
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
        """Take a 200 response as the new last good answer if it is usable."""
        try:
            data = json.loads(response.body)
        except ValueError as e:
            self._failed(STATE_INVALID, "the response is not JSON (%s)" % e)
            return
        etag = response.headers.get("ETag")
        revision = response.headers.get("X-Hubprofiles-Revision")
        problem = self._problem(data, revision)
        if problem:
            self._failed(STATE_INVALID, "the response is " + problem)
            return
        changed = data != self._data
        stale_cache = changed or etag != self.etag or revision != self.revision
        self._data, self.etag, self.revision = data, etag, revision
        if changed:
            self.log.info(self.announce, revision or "?", self._describe(data), self.url)
        if stale_cache and self.cache_path:
            await self._save_cache(data, etag, revision)
        self._ok()

    def _ok(self):
        if self.state not in (None, STATE_OK):
            self.log.info("hubprofiles: %s answers again (revision %s)", self.url, self.revision or "?")
        self.state = STATE_OK
        self.source = "hubprofiles"
        self._retry_at = None

    def _failed(self, state, detail):
        """Record a failure, open the breaker; warn only when the state changes.

        "Nothing published" does not open the breaker: it is a quick, sure
        answer, and the first publication should reach the form at once.
        """
        breaks = self.retry_interval > 0 and state != STATE_NOTHING_PUBLISHED
        if breaks:
            self._retry_at = time.monotonic() + self.retry_interval
        if state == self.state:
            self.log.debug("hubprofiles: still %s: %s", state, detail)
            return
        self.state = state
        if self._data is not None:
            serving = "the last good %s (revision %s, from %s)" % (self.noun, self.revision or "?", self.source)
        elif self._fallback is not None or self._fallback_path:
            serving = "the fallback %s" % self.noun
        else:
            serving = self.without_data
        if breaks:
            serving += " without waiting for it; asking again every %g s" % self.retry_interval
        self.log.warning(
            "hubprofiles: cannot use %s (%s: %s); serving %s", self.url, state, detail, serving
        )

    # -- the disk cache and the fallback ----------------------------------

    async def _load_cache(self):
        """At cold start, take the answer kept in ``cache_path``, if usable."""
        if not self.cache_path:
            return
        loop = asyncio.get_running_loop()
        try:
            document = await loop.run_in_executor(None, _read_json, self.cache_path)
        except FileNotFoundError:
            return
        except Exception as e:  # unreadable, not JSON, not UTF-8, ...
            self.log.warning("hubprofiles: ignoring the cache %s: %s", self.cache_path, e)
            return
        if not isinstance(document, dict):
            self.log.warning("hubprofiles: ignoring the cache %s: not a cache document", self.cache_path)
            return
        data, revision = document.get(self.cache_key), document.get("revision")
        problem = self._problem(data, revision)
        if problem:
            self.log.warning(
                "hubprofiles: ignoring the cache %s: its %s is %s", self.cache_path, self.noun, problem
            )
            return
        self._data = data
        self.etag = document.get("etag") or None
        self.revision = revision
        self.source = "cache"
        self.log.info(
            "hubprofiles: loaded revision %s (%s) from the cache %s",
            self.revision or "?",
            self._describe(data),
            self.cache_path,
        )

    async def _save_cache(self, data, etag, revision):
        document = {
            "format": CACHE_FORMAT,
            "url": self.url,
            "etag": etag,
            "revision": revision,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            self.cache_key: data,
        }
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, _write_json_atomically, self.cache_path, document)
        except Exception as e:  # a full disk must not stop the answer from being served
            problem = "%s: %s" % (type(e).__name__, e)
            if problem != self._cache_problem:
                self._cache_problem = problem
                self.log.warning("hubprofiles: cannot write the cache %s: %s", self.cache_path, problem)
            return
        if self._cache_problem:
            self.log.info("hubprofiles: the cache %s is written again", self.cache_path)
        self._cache_problem = None

    async def _load_fallback(self):
        """The fallback: the value given, or read (once) from its file."""
        if self._fallback is not None or not self._fallback_path:
            return self._fallback
        loop = asyncio.get_running_loop()
        try:
            data = await loop.run_in_executor(None, _read_json, self._fallback_path)
        except Exception as e:
            self.log.warning("hubprofiles: cannot read the fallback %s: %s", self._fallback_path, e)
            return None
        problem = self._problem(data, None)
        if problem:
            self.log.warning("hubprofiles: the fallback %s is %s", self._fallback_path, problem)
            return None
        self._fallback = data
        return data


class ProfileListClient(FeedClient):
    """An async ``profile_list`` callable backed by hubprofiles' ``profile_list``.

    :param url: the full URL of hubprofiles' ``profile_list`` (for the chart:
        ``http://127.0.0.1:<port>/services/hubprofiles/profile_list``).
    :param fallback: a profile list, or the path of a JSON file holding one.
        None, ``[]`` or ``""``: no fallback (raise HTTPError(503) instead), so
        ``z2jh.get_config("singleuser.profileList") or []`` can be passed as
        is. A non-empty list that is not usable raises ValueError here.
    :param filter_groups: filter by ``allowed_groups`` against the user's
        JupyterHub groups (see :func:`filter_profile_list`).
    :param admins_see_all: hub admins get the whole list, unfiltered.

    ``timeout``, ``cache_path``, ``log`` and ``headers``: see :class:`FeedClient`.

    An empty list is served only when hubprofiles publishes one: a ``200``
    whose ``X-Hubprofiles-Revision`` says it is a published revision (or the
    cache written from such an answer). KubeSpawner then spawns with the
    hub's base config (plus the defaults of :class:`DefaultsHook`). An empty
    ``200`` without that header, or an empty fallback, is not trusted: it
    would let every user spawn with no profile.
    """

    noun = "list"
    cache_key = "profile_list"
    without_data = "nothing: spawns fail with 503 until it answers"
    empty = []

    def __init__(
        self,
        url,
        *,
        timeout=2.0,
        cache_path=None,
        fallback=None,
        filter_groups=True,
        admins_see_all=True,
        **kwargs
    ):
        self.filter_groups = filter_groups
        self.admins_see_all = admins_see_all
        super().__init__(url, timeout=timeout, cache_path=cache_path, fallback=fallback, **kwargs)

    def _problem(self, data, revision):
        if data == [] and revision is None:
            return "an empty array, which only a published hubprofiles revision (with X-Hubprofiles-Revision) may be"
        return validate_profile_list(data, allow_empty=True)

    def _describe(self, data):
        return "%d profiles" % len(data)

    async def __call__(self, spawner):
        """Return the profile list for ``spawner``'s user (a fresh deep copy).

        Raises ``tornado.web.HTTPError(503)`` when no list is available at all
        and ``HTTPError(403)`` when the user's groups allow none of the profiles.
        """
        prefetched = _PREFETCHED.get()
        if prefetched is not None and prefetched[0] is self and prefetched[1] is spawner:
            return copy.deepcopy(prefetched[2])
        profiles = await self._current()
        if profiles is None:
            raise HTTPError(
                503,
                "%s",
                "No server profiles are available right now: hubprofiles (%s) did not give a "
                "list (%s) and there is no cached or fallback list. Try again in a minute; "
                "tell a hub admin if this lasts." % (self.url, self.state or "not asked"),
            )
        result = self._for_user(profiles, spawner)
        if _spawning(spawner):
            # KubeSpawner's load_user_options is asking, with the options of
            # this spawn already in spawner.user_options. It would index the
            # list with them and fail with a bare KeyError (a 500) on a
            # choice that is hidden from the user or does not exist.
            problem = unavailable_option(result, getattr(spawner, "user_options", None))
            if problem:
                raise HTTPError(400, "%s", problem)
        return result

    def _for_user(self, profiles, spawner):
        """A deep copy of ``profiles``, filtered for ``spawner.user``."""
        user = getattr(spawner, "user", None)
        if not profiles or not self.filter_groups or (self.admins_see_all and getattr(user, "admin", False)):
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


def unavailable_option(profiles, user_options):
    """Why ``user_options`` pick something ``profiles`` does not offer, or None.

    ``profiles`` is the list as the user may see it (filtered by group), and
    ``user_options`` what a spawn asks for (from the form, or as JSON through
    the REST API): ``{"profile": slug, "<option>": choice,
    "<option>--unlisted-choice": value}``. A profile, a choice or a value of
    one's own that is hidden from the user gets the same answer as one that
    does not exist, so the message tells nothing about what others can use.
    Only what KubeSpawner would trip over is checked; other keys are its
    business (it ignores them).
    """
    if not profiles or not isinstance(user_options, dict) or not user_options:
        return None
    slug = user_options.get("profile")
    if slug:
        slugs = [p.get("slug") for p in profiles]
        if not isinstance(slug, str):
            return "The profile to start must be a string, not %s." % type(slug).__name__
        matches = [p for p in profiles if p.get("slug") == slug]
        if not matches:
            if not all(isinstance(x, str) for x in slugs):
                return None  # KubeSpawner makes the missing slugs; it decides
            return "There is no server profile %r that you can start. You can start: %s." % (
                slug,
                ", ".join(slugs),
            )
        profile = matches[0]
    else:
        # As KubeSpawner: the default profile, else the first one.
        profile = next((p for p in profiles if p.get("default")), profiles[0])
    name = profile.get("display_name") or profile.get("slug")
    options = profile.get("profile_options")
    for key, option in (options.items() if isinstance(options, dict) else ()):
        if not isinstance(option, dict):
            continue
        label = "option %r (%s) of the profile %r" % (key, option.get("display_name") or key, name)
        own = user_options.get(key + "--unlisted-choice")
        choice = user_options.get(key)
        if own:
            unlisted = option.get("unlisted_choice")
            if not (isinstance(unlisted, dict) and unlisted.get("enabled")):
                return "A value of your own for the %s is not available to you." % label
            if not isinstance(own, str):
                return "Your own value for the %s must be a string, not %s." % (label, type(own).__name__)
            regex = unlisted.get("validation_regex")
            if isinstance(regex, str) and regex:
                try:
                    matched = re.match(regex, own)
                except re.error:
                    matched = True  # hubprofiles refuses such a list; KubeSpawner decides
                if not matched:
                    why = unlisted.get("validation_message")
                    return "Your own value %r for the %s is not accepted%s." % (
                        own,
                        label,
                        ": %s" % why if isinstance(why, str) and why else "",
                    )
            continue
        if not choice:
            continue
        choices = option.get("choices")
        choices = choices if isinstance(choices, dict) else {}
        if not isinstance(choice, str) or choice not in choices:
            return "The choice %r of the %s is not available to you. You can pick: %s." % (
                choice,
                label,
                ", ".join(choices) or "nothing but a value of your own",
            )
    return None


class DefaultsClient(FeedClient):
    """The hub-wide defaults from hubprofiles' ``defaults`` feed.

    :param url: the full URL of hubprofiles' ``defaults`` (for the chart:
        ``http://127.0.0.1:<port>/services/hubprofiles/defaults``).
    :param fallback: defaults to use while hubprofiles has never answered
        (and the cache has none): an object like ``{"image": "...",
        "default_url": "/lab"}``, or the path of a JSON file holding one.
        None, ``{}`` or ``""``: no fallback; the hub's own config applies.

    ``timeout``, ``cache_path``, ``log`` and ``headers``: see :class:`FeedClient`.

    Calling it returns a deep copy of the defaults, or None when there are none
    at all (nothing published, no cache, no fallback). It never raises.
    """

    noun = "defaults"
    cache_key = "defaults"
    announce = "hubprofiles: hub-wide defaults of revision %s (%s) from %s"
    without_data = "nothing: servers start with the hub's own image and default_url until it answers"
    empty = {}

    def __init__(self, url, *, timeout=2.0, cache_path=None, fallback=None, **kwargs):
        super().__init__(url, timeout=timeout, cache_path=cache_path, fallback=fallback, **kwargs)
        self._apply_problems = set()  # trait errors already logged

    def _problem(self, data, revision):
        return validate_defaults(data)

    def _describe(self, data):
        parts = ["%s %s" % (k, data[k]) for k in DEFAULT_KEYS if k in data]
        return ", ".join(parts) or "none set"

    async def __call__(self, spawner=None):
        """Return the defaults (a fresh deep copy), or None if there are none."""
        data = await self._current()
        return copy.deepcopy(data) if data is not None else None

    async def apply(self, spawner):
        """Set ``spawner.image`` and ``spawner.default_url`` from the defaults.

        Returns what was set (a dict, maybe empty), or None when no defaults
        are known. Never raises: a value the spawner refuses is logged (once)
        and skipped, so that the spawn goes on with the hub's own value.
        """
        try:
            defaults = await self()
        except Exception as e:  # a bug here must not block a spawn
            self.log.warning("hubprofiles: not applying the defaults: %s: %s", type(e).__name__, e)
            return None
        if defaults is None:
            self.log.debug("hubprofiles: no defaults known (%s); the hub's own config applies", self.state)
            return None
        applied = {}
        for key in DEFAULT_KEYS:
            if key not in defaults:
                continue
            try:
                setattr(spawner, key, defaults[key])
            except Exception as e:  # e.g. a TraitError
                problem = "%s=%r: %s: %s" % (key, defaults[key], type(e).__name__, e)
                if problem not in self._apply_problems:
                    self._apply_problems.add(problem)
                    self.log.warning("hubprofiles: cannot set the default %s", problem)
                continue
            applied[key] = defaults[key]
        self.log.debug("hubprofiles: defaults for %s: %s", _spawner_name(spawner), applied or "none set")
        return applied


class DefaultsHook:
    """The hook that sets the hub-wide defaults as a spawn's base values,
    then calls the hook it replaces. :func:`setup` makes it the
    ``auth_state_hook``.

    The defaults must be a base that everything else a spawn applies wins
    over. JupyterHub's ``User.spawn`` runs, in this order: the
    ``auth_state_hook``; then (5.1 and newer) the ``group_overrides`` and
    ``apply_user_options``; then the ``pre_spawn_hook``; then
    ``Spawner.start``, where KubeSpawner applies the chosen profile's and
    choices' ``kubespawner_override``. The ``auth_state_hook`` is the one
    place that comes before all of them in JupyterHub 3, 4 and 5: set there,
    the defaults replace only the hub's configured ``image`` and
    ``default_url``. (As a ``pre_spawn_hook`` they overwrote JupyterHub 5's
    group overrides and ``apply_user_options``.)

    JupyterHub 5 also runs the ``auth_state_hook`` before it renders the
    spawn form; the hook then does nothing (the spawner is not starting, see
    :func:`_spawning`), so the form does not wait for the defaults.

    ``previous`` (an existing hook, sync or async) is called after the
    defaults are set, with the same arguments, so it can still change them;
    its errors propagate as they did before. The hook also works as a
    ``pre_spawn_hook`` (called with the spawner alone), as in earlier
    versions of this module.

    :param client: a :class:`DefaultsClient`.
    :param previous: the hook that was configured before, or None.
    """

    def __init__(self, client, previous=None):
        self.client = client
        self.previous = previous

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self  # one hook and one client for the whole hub

    def __repr__(self):
        return "<DefaultsHook %r previous=%r>" % (self.client, self.previous)

    async def __call__(self, spawner, *args):
        if getattr(spawner, "_start_pending", None) is not False:
            await self.client.apply(spawner)
        if self.previous is not None:
            result = self.previous(spawner, *args)
            if inspect.isawaitable(result):
                await result


class SpawnForm:
    """KubeSpawner's spawn form, but none at all when the profile list is empty.

    KubeSpawner renders its form (with no profile in it) even for an empty
    list, so a hub without profiles would show a form with nothing to choose
    but the Start button. Set as ``c.KubeSpawner.options_form``, this returns
    ``""`` for an empty list, and JupyterHub then starts the server at once
    with the hub's base config. A non-empty list is rendered by KubeSpawner
    as usual (its ``_render_options_form_dynamically``, which honours
    ``profile_form_template`` and jupyterhub-fancy-profiles), from the list
    this call has just fetched: the feed is not asked twice.

    :param client: the :class:`ProfileListClient` of ``c.KubeSpawner.profile_list``.
    """

    def __init__(self, client):
        self.client = client

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return "<SpawnForm %r>" % (self.client,)

    async def __call__(self, spawner):
        profiles = await self.client(spawner)  # 503 and 403 propagate, as without this
        if not profiles:
            return ""
        render = getattr(spawner, "_render_options_form_dynamically", None)
        if render is None:
            raise HTTPError(
                500, "%s", "hubprofiles' SpawnForm needs KubeSpawner (%s has no profile form)" % type(spawner).__name__
            )
        token = _PREFETCHED.set((self.client, spawner, profiles))
        try:
            result = render(spawner)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            _PREFETCHED.reset(token)


def defaults_url_for(url):
    """The ``defaults`` URL next to a ``profile_list`` URL, or None.

    ``http://host/services/hubprofiles/profile_list`` gives
    ``http://host/services/hubprofiles/defaults`` (a query string is kept);
    a URL whose path does not end in ``/profile_list`` gives None.
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.path.endswith("/profile_list"):
        return None
    path = parts.path[: -len("profile_list")] + "defaults"
    return urllib.parse.urlunsplit(parts._replace(path=path))


def setup(
    c,
    url=DEFAULT_URL,
    *,
    defaults_url=None,
    defaults_cache_path=None,
    defaults_fallback=None,
    skip_empty_form=True,
    **kwargs
):
    """Connect KubeSpawner to hubprofiles: the profile list, the spawn form
    and the hub-wide defaults.

    * ``c.KubeSpawner.profile_list`` becomes a :class:`ProfileListClient` of
      ``url`` (by default :data:`DEFAULT_URL`, the feed listener of the
      sidecar in the same pod); ``kwargs`` go to it (``timeout``,
      ``cache_path``, ``fallback``, ``token``, ``retry_interval``, ...).
    * With ``skip_empty_form`` (the default), ``c.KubeSpawner.options_form``
      becomes a :class:`SpawnForm`, so that a hub with no profiles shows no
      form, unless ``options_form`` is configured already (then it is left
      alone).
    * ``c.KubeSpawner.auth_state_hook`` becomes a :class:`DefaultsHook` of a
      :class:`DefaultsClient` of ``defaults_url``, which calls the hook
      configured before (``c.KubeSpawner.auth_state_hook``, else
      ``c.Spawner.auth_state_hook``) after applying the defaults. Call
      ``setup`` after assigning your own ``auth_state_hook``; one assigned
      later replaces this one. ``pre_spawn_hook`` is left alone.
      ``defaults_url=None`` derives it from ``url`` (see
      :func:`defaults_url_for`); ``defaults_url=False`` installs no hook.
      The client shares ``timeout``, ``log``, ``headers`` (and the token)
      and ``retry_interval`` with the list's; its cache is
      ``defaults_cache_path``, by default next to ``cache_path`` (``x.json``
      gives ``x.defaults.json``); ``defaults_fallback`` is its fallback.

    ``c`` is the config object of ``jupyterhub_config.py``. Returns the
    :class:`ProfileListClient`; the :class:`DefaultsHook` is
    ``c.KubeSpawner.auth_state_hook`` and its client is ``.client``.
    """
    client = ProfileListClient(url, **kwargs)
    c.KubeSpawner.profile_list = client

    if skip_empty_form and not _configured(c, "options_form"):
        c.KubeSpawner.options_form = SpawnForm(client)

    if defaults_url is None:
        defaults_url = defaults_url_for(url)
        if defaults_url is None:
            client.log.warning(
                "hubprofiles: cannot tell the defaults URL from %s (it does not end in /profile_list): "
                "the hub-wide defaults are not applied; pass defaults_url=..., or defaults_url=False",
                url,
            )
    if defaults_url:
        if defaults_cache_path is None and client.cache_path:
            root, ext = os.path.splitext(client.cache_path)
            defaults_cache_path = root + ".defaults" + (ext or ".json")
        defaults = DefaultsClient(
            defaults_url,
            timeout=client.timeout,
            cache_path=defaults_cache_path,
            fallback=defaults_fallback,
            log=client.log,
            headers=client.headers,  # with the token's Authorization, if any
            retry_interval=client.retry_interval,
        )
        previous = _configured(c, "auth_state_hook")
        if isinstance(previous, DefaultsHook):  # setup() called twice
            previous = previous.previous
        c.KubeSpawner.auth_state_hook = DefaultsHook(defaults, previous)
    return client


def _configured(c, name):
    """The value of ``name`` in ``c.KubeSpawner``, else ``c.Spawner``, else None
    (the more specific section wins, as in traitlets)."""
    for section in ("KubeSpawner", "Spawner"):
        if section in c and name in c[section]:
            return c[section][name]
    return None


def _spawning(spawner):
    """Whether JupyterHub is starting ``spawner`` right now.

    ``User.spawn`` sets the spawner's ``_start_pending`` before it runs
    the hooks and ``start`` and clears it after (JupyterHub 3.0 and 5.5.0, read); it
    is False while the spawn form is rendered. A private attribute, but the
    only sign of it a hook or a profile_list callable gets.
    """
    return getattr(spawner, "_start_pending", None) is True


def _spawner_name(spawner):
    return getattr(spawner, "_log_name", None) or getattr(getattr(spawner, "user", None), "name", None) or "?"


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
