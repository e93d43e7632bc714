"""Background-callback manager (slow work: territory PDF, big exports).

DiskcacheManager on one machine (default); CeleryManager + Redis when ACCES_SOINS_REDIS_URL is set
(several workers or machines must see the same jobs).
"""
from __future__ import annotations

from dash import DiskcacheManager

from .settings import Settings


def background_manager(conf: Settings):
    import diskcache

    conf.cache_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(conf.cache_dir / "jobs")), expire=3600)
