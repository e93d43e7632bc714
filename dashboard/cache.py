"""Memoisation of DATA functions (never of callbacks), shared by workers.

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
import logging
import pickle
import threading
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
