"""The Celery worker's entry point: ``celery -A dashboard.worker:celery_app worker`` (``make worker``).

Dash registers one Celery task per background callback when the callback module is imported *and* a manager
exists, so ``celery_app`` is resolved lazily: it builds the Dash app (pages, callbacks, CeleryManager) in the
worker before handing the Celery app over. Apart from :mod:`dashboard.jobs` (imported by the app factory), so
that no import circle joins the two.
"""
from __future__ import annotations


def __getattr__(name: str):
    if name == "celery_app":
        from . import settings
        from .jobs import celery_for
        from .webapp import create_app

        conf = settings.current()
        if not conf.redis_url:
            raise RuntimeError("ACCES_SOINS_REDIS_URL n'est pas défini : le worker Celery a besoin de Redis "
                               "(sans Redis, les tâches de fond tournent dans l'application, sans worker).")
        global celery_app
        create_app(conf)
        celery_app = celery_for(conf.redis_url)   # later look-ups find the module attribute directly
        return celery_app
    raise AttributeError(name)
