"""The one caching mechanism of the app: memoisation of DATA functions (never of callbacks), two tiers.

* :func:`per_version` — in this process, a bounded LRU per function, keyed on the store (its root, version,
  public flag and a token of the Store object, never the Store itself: an old version is not kept alive) and
  the other arguments; for cheap-to-hold structures read many times a request (columns as lists, the map's
  choropleth, page components);
* :func:`memoize` — shared by workers, for results worth computing once per version for everyone.

Both are fork-safe: the locks are renewed in a forked child (``os.register_at_fork``), where a lock held by a
thread of the parent would never be released, and the shared backends reopened (a Redis or SQLite connection
must not cross a fork).

``@memoize()`` caches a function's result under a key made of the function (module, name and a hash of its
source: a new release never reads an old release's values), the store version when an argument is a
``store.Store`` (so a newly published version is never served stale values), and the other arguments.

Where values live:

* **diskcache** in ``settings.cache_dir / "data"`` by default: shared by the workers of one machine;
* **Redis** when ``ACCES_SOINS_REDIS_URL`` is set: shared by every worker of every machine.

The cache is an optimisation, never a dependency: if Redis is unreachable the value is computed and a
warning logged. Values are pickled: Redis must be private to the application (see docs/production.md).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import itertools
import logging
import os
import pickle
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

from . import settings as settings_mod

log = logging.getLogger("acces_soins.cache")

PREFIX = "acces-soins:memo:"
DEFAULT_TTL = 24 * 3600          # seconds; keys also change with the store version, so this only bounds size
_MISS = object()
_SIMPLE = (str, int, float, bool, type(None))


class DiskBackend:
    def __init__(self, folder: Path):
        import diskcache

        folder.mkdir(parents=True, exist_ok=True)
        self.cache = diskcache.Cache(str(folder), size_limit=512 * 2**20)

    def get(self, key: str):
        return self.cache.get(key, default=_MISS)

    def set(self, key: str, value, ttl: int) -> None:
        self.cache.set(key, value, expire=ttl)


class RedisBackend:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.errors = redis.exceptions.RedisError

    def get(self, key: str):
        try:
            raw = self.client.get(key)
        except self.errors as exc:
            log.warning("cache Redis indisponible (%s) : valeur recalculée", exc)
            return _MISS
        return _MISS if raw is None else pickle.loads(raw)

    def set(self, key: str, value, ttl: int) -> None:
        try:
            self.client.set(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ex=ttl)
        except self.errors as exc:
            log.warning("cache Redis indisponible (%s) : valeur non conservée", exc)


_BACKENDS: dict[tuple, object] = {}
_LOCK = threading.Lock()
_TOKENS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # Store -> its token (dies with it)
_COUNTER = itertools.count()


class Bounded:
    """A bounded LRU of this process, its lock renewed after a fork: the one in-process store of cached values
    (:func:`per_version`, the map's per-version structures, the CPTS perimeters' bytes)."""

    ALL: "weakref.WeakSet[Bounded]" = weakref.WeakSet()

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        Bounded.ALL.add(self)

    def get(self, key, default=_MISS):
        hit = self.items.get(key, _MISS)           # a read without the lock: a dict lookup is atomic
        if hit is _MISS:
            return default
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
        return hit

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.maxsize:
                self.items.popitem(last=False)

    def get_or_compute(self, key, compute):
        hit = self.get(key)
        if hit is _MISS:
            hit = compute()
            self.put(key, hit)
        return hit

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def _after_fork() -> None:
    global _LOCK
    _LOCK = threading.Lock()
    _BACKENDS.clear()
    for bounded in list(Bounded.ALL):
        bounded.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def store_key(data) -> tuple:
    """What identifies a Store's content in a key: root, version, public flag and the Store object's token (two
    in-memory stores may share a version string: a preview, a test's variant). Holds no reference to it."""
    token = _TOKENS.get(data)
    if token is None:
        with _LOCK:
            token = _TOKENS.setdefault(data, next(_COUNTER))
    return (str(data.root), data.version, bool(data.public), token)


def _store_module():
    """dashboard.store, imported at the first call (it imports this module); kept, because a function-level
    import on every call cost 7 µs, a third of a cached lookup (the build's tracking makes 260 000 of them)."""
    global _STORE
    if _STORE is None:
        from . import store as _STORE
    return _STORE


_STORE = None


def per_version(maxsize: int = 64, current_store: bool = False):
    """Decorator: a bounded in-process LRU (:class:`Bounded`) of a pure function of (store, hashable values).

    The first argument, a Store, is keyed by :func:`store_key`. With ``current_store`` (page builders whose
    first argument is not a Store), the served store (``store.get()``) is keyed instead, and a missing store
    or an unhashable argument computes without caching."""
    def decorate(fn):
        cache = Bounded(maxsize)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            store = _store_module()
            if args and isinstance(args[0], store.Store):
                key = (store_key(args[0]), args[1:], tuple(sorted(kwargs.items())))
            elif current_store:
                try:
                    key = (store_key(store.get()), args, tuple(sorted(kwargs.items())))
                except store.StoreUnavailable:
                    return fn(*args, **kwargs)
            else:
                raise TypeError(f"per_version : {fn.__qualname__} attend un Store en premier argument")
            try:
                hash(key)
            except TypeError:                      # an unhashable argument: computed, not kept
                return fn(*args, **kwargs)
            return cache.get_or_compute(key, lambda: fn(*args, **kwargs))

        wrapper.cache = cache
        wrapper.cache_clear = cache.clear
        wrapper.cache_len = cache.__len__
        return wrapper
    return decorate


def backend():
    """This process's cache backend, chosen from the current settings (one per configuration)."""
    conf = settings_mod.current()
    key = ("redis", conf.redis_url) if conf.redis_url else ("disk", str(conf.cache_dir))
    found = _BACKENDS.get(key)
    if found is None:
        with _LOCK:
            found = _BACKENDS.get(key)
            if found is None:
                found = RedisBackend(conf.redis_url) if conf.redis_url else DiskBackend(conf.cache_dir / "data")
                _BACKENDS[key] = found
    return found


def _part(value) -> str:
    """A stable text for one argument: the store by its version, plain values by repr."""
    from .store import Store

    if isinstance(value, Store):
        # The version id is unique per build (time + content hash): machines serving the same version share keys.
        return f"<store {value.version} public={int(value.public)}>"
    if isinstance(value, _SIMPLE):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        return repr(value)          # a frozen value object such as the settings' Thresholds: its repr is its value
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_part(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_part(k)}:{_part(v)}" for k, v in sorted(value.items(), key=repr)) + "}"
    raise TypeError(f"memoize : argument non pris en charge pour la clé de cache ({type(value).__name__})")


def memoize(ttl: int = DEFAULT_TTL):
    """Decorator for a pure data function of (store, plain values)."""

    def decorate(fn):
        try:
            source = inspect.getsource(fn)
        except OSError:
            source = fn.__qualname__
        name = f"{fn.__module__}.{fn.__qualname__}:{hashlib.sha256(source.encode()).hexdigest()[:12]}"

        def cache_key(*args, **kwargs) -> str:
            parts = [_part(a) for a in args] + [f"{k}={_part(v)}" for k, v in sorted(kwargs.items())]
            return PREFIX + name + ":" + hashlib.sha256("|".join(parts).encode()).hexdigest()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = cache_key(*args, **kwargs)
            where = backend()
            value = where.get(key)
            if value is _MISS:
                log.info("calcul de %s", fn.__qualname__)
                value = wrapper.compute(*args, **kwargs)   # looked up at call time: tests can watch it
                where.set(key, value, ttl)
            return value

        wrapper.compute = fn
        wrapper.cache_key = cache_key
        return wrapper

    return decorate
