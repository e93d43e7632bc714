"""Background-callback manager (slow work: territory PDF, big exports).

DiskcacheManager on one machine (default); CeleryManager + Redis when ACCES_SOINS_REDIS_URL is set
(several workers or machines must see the same jobs).

With Redis, the jobs run in a Celery worker: ``make worker``, i.e.
``celery -A dashboard.worker:celery_app worker`` (:mod:`dashboard.worker`, which builds the app: this module
is imported by the app factory and must not import it back).
"""
from __future__ import annotations

import functools

from dash import DiskcacheManager

from .settings import Settings

JOB_EXPIRE = 3600   # seconds a finished job's result is kept


@functools.lru_cache(maxsize=None)
def celery_for(redis_url: str):
    """One Celery app per Redis URL and process: broker and result backend both on Redis."""
    from celery import Celery

    app = Celery("acces_soins", broker=redis_url, backend=redis_url)
    app.conf.update(result_expires=JOB_EXPIRE, task_track_started=True, broker_connection_retry_on_startup=True,
                    worker_prefetch_multiplier=1, task_acks_late=False)
    return app


def background_manager(conf: Settings):
    if conf.redis_url:
        from dash import CeleryManager

        return CeleryManager(celery_for(conf.redis_url), expire=JOB_EXPIRE)
    import diskcache

    conf.cache_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(conf.cache_dir / "jobs")), expire=3600)

