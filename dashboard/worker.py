"""The Celery worker's entry point: ``celery -A dashboard.worker:celery_app worker`` (``make worker``).

Dash registers one Celery task per background callback when the callback module is imported *and* a manager
exists, so ``celery_app`` is resolved lazily: it builds the Dash app (pages, callbacks, CeleryManager) in the
worker before handing the Celery app over. Apart from :mod:`dashboard.jobs` (imported by the app factory), so
that no import circle joins the two.

The same app carries the daily e-mail reminders of the saisie (:func:`schedule_reminders`): run
``celery -A dashboard.worker:celery_app beat`` (``make beat``) once beside the workers.
"""
from __future__ import annotations

import datetime as dt

REMIND_TASK = "acces_soins.relances"


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
        schedule_reminders(celery_app)
        return celery_app
    raise AttributeError(name)


def schedule_reminders(app) -> None:
    """The reminders every morning at 7:00, Paris time. Daily and not on the reminder days only: the job works out
    what is due itself, and ``reminders_sent`` makes a second run (a restarted beat, a cron beside it) send
    nothing twice — so a day the beat missed is caught up the next morning."""
    from celery.schedules import crontab

    @app.task(name=REMIND_TASK)
    def relances() -> list[str]:
        return remind_today()

    app.conf.timezone = "Europe/Paris"
    app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                              "relances-saisie": {"task": REMIND_TASK, "schedule": crontab(hour=7, minute=0)}}


def _today() -> dt.date:
    return dt.date.today()


def remind_today() -> list[str]:
    """What ``python -m dashboard.saisie remind`` does, for the beat: the lines it prints, as the task's result."""
    import logging

    from . import settings, store
    from .saisie import reminders

    log = logging.getLogger(__name__)
    conf = settings.current()
    if conf.smtp is None:               # an instance without mail: the beat stays quiet, it is not an error
        return ["Relances désactivées : ACCES_SOINS_SMTP_URL n'est pas défini."]
    data = store.open_store(conf.data_dir)
    if data is None:
        return ["Aucun stock publié : pas de relance."]
    lines = reminders.run_all(conf, data, _today())
    for line in lines:
        log.info("%s", line)
    return lines
