"""Appraisals (« appréciations ») entered on /saisie: stored, scope-checked, audited, and served to the plan page.

One appraisal per plan indicator × territory × quarter: the region's by a valideur (or an admin), a
département's by a contributor whose scope covers it (and by valideurs). Like every write of
:mod:`dashboard.saisie.service`, :func:`save` checks role and scope itself, audits a refused attempt, and writes
the change (before → after) to the audit log in the same transaction. :func:`for_quarter` is the provider that
:func:`configure` registers on the internal instance (never on the public one).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import appraisal, periods, territory as terr
from ..pipeline.errors import InputError
from ..accounts import Account
from . import db, service

#: The synthesis in three parts (column, French label): what happened, risks, next actions.
PARTS = (("happened", "Constat"), ("risks", "Risques"), ("next_actions", "Prochaines actions"))
LEVELS_AT = ("region", "departement")
MAX_TEXT = 2000


def synthesis_text(parts: dict) -> str:
    """« Constat : … Risques : … Prochaines actions : … » (empty parts left out)."""
    return " ".join(f"{label} : {str(parts.get(key) or '').strip()}" for key, label in PARTS
                    if str(parts.get(key) or "").strip())


def plan_indicators(data) -> list[str]:
    ind = data.indicators
    return [i for i in ind.index if bool(ind.loc[i, "plan"]) and set(str(ind.loc[i, "levels"]).split("|")) & set(LEVELS_AT)]


def territories(data, account: Account, region: str) -> list[str]:
    """Where the account may give an appraisal: its scope's départements, and the region for valideurs."""
    return [c for c in service.scope(data, account, region)
            if terr.level_of(c) == "departement" or (terr.level_of(c) == "region" and account.at_least("valideur"))]


def _check(url: str, data, account: Account | None, region: str, quarter: str, indicator: str, territory: str,
           today: dt.date | None = None) -> None:
    """Form and permission checks (InputError, or Refused after auditing the attempt)."""
    file = service.GRID
    if not periods.is_quarter(quarter) or quarter > periods.from_date(today or dt.date.today()):
        raise InputError(file, f"trimestre passé ou en cours attendu (2024Q2), reçu {str(quarter)[:20]!r}", None,
                         "trimestre")
    ids = plan_indicators(data)
    if indicator not in ids:
        raise InputError(file, f"indicateur du plan attendu ({', '.join(ids)}), reçu {str(indicator)[:64]!r}", None,
                         "indicateur")
    if not isinstance(territory, str) or territory not in data.territories.index:
        raise InputError(file, f"code de territoire du référentiel attendu, reçu {str(territory)[:16]!r}", None,
                         "territoire")
    if account is None or not account.at_least("contributeur") or territory not in territories(data, account, region):
        raise service.refuse(url, account, f"appréciation pour {territory} hors du périmètre", territory, indicator,
                             quarter)
    levels = str(data.indicators.loc[indicator, "levels"]).split("|")
    if terr.level_of(territory) not in levels:
        raise InputError(file, f"{indicator} ne se suit pas au niveau de {territory}", None, "territoire")


def _text(row: db.AppraisalRow | None) -> str:
    """What the audit log keeps of an appraisal: « appuis nécessaires — Constat : … »."""
    if row is None:
        return ""
    return f"{appraisal.LEVELS.get(row.level, row.level)} — {synthesis_text(vars(row))}"[:2000]


def get(url: str, quarter: str, indicator: str, territory: str) -> dict | None:
    """The stored appraisal (for pre-filling the form), or None."""
    if not db.exists(url):
        return None
    with db.read_session(url) as s:
        row = s.scalar(select(db.AppraisalRow).where(db.AppraisalRow.indicator == indicator,
                                                     db.AppraisalRow.territory == territory,
                                                     db.AppraisalRow.quarter == quarter))
        if row is None:
            return None
        return {"level": row.level, "happened": row.happened, "risks": row.risks, "next_actions": row.next_actions,
                "author": row.author, "updated_at": row.updated_at, "revision": row.revision}


def save(url: str, data, account: Account | None, region: str, quarter: str, indicator: str, territory: str,
         level: str, parts: dict, revision: int | None) -> int:
    """Record (or change) an appraisal; returns its new revision. ``revision``: the one the user started from
    (None or 0: none existed) → :class:`service.Conflict` if someone changed it meanwhile."""
    _check(url, data, account, region, quarter, indicator, territory)
    if level not in appraisal.LEVELS:
        raise InputError(service.GRID, f"niveau attendu parmi {', '.join(appraisal.LEVELS.values())}", None, "niveau")
    parts = {key: str(parts.get(key) or "").strip()[:MAX_TEXT] for key, _ in PARTS}
    if not any(parts.values()):
        raise InputError(service.GRID, "synthèse attendue (ce qui s'est passé, risques ou prochaines actions)", None,
                         "synthèse")
    try:
        return _write(url, account, quarter, indicator, territory, level, parts, revision)
    except IntegrityError:          # a concurrent first appraisal of the same key won (PostgreSQL)
        raise service.Conflict(f"{indicator} {territory} : une autre appréciation vient d'être enregistrée ; "
                               "rechargez-la.") from None


def _write(url, account, quarter, indicator, territory, level, parts, revision) -> int:
    with db.session(url) as s, s.begin():
        row = s.scalar(select(db.AppraisalRow).where(db.AppraisalRow.indicator == indicator,
                                                     db.AppraisalRow.territory == territory,
                                                     db.AppraisalRow.quarter == quarter).with_for_update())
        if row is None and revision not in (None, 0):
            raise service.Conflict(f"{indicator} {territory} : l'appréciation a changé entre-temps ; rechargez.")
        if row is not None and row.revision != revision:
            raise service.Conflict(f"{indicator} {territory} : appréciation modifiée par {row.author} le "
                                   f"{service.when(row.updated_at)} ; rechargez-la avant de la changer.")
        before = _text(row)
        if row is None:
            row = db.AppraisalRow(indicator=indicator, territory=territory, quarter=quarter, revision=0)
            s.add(row)
        row.level, row.happened, row.risks, row.next_actions = level, parts["happened"], parts["risks"], \
            parts["next_actions"]
        row.author, row.updated_at, row.revision = account.name, db.utcnow(), (row.revision or 0) + 1
        service._audit(s, account.name, "appraisal", territory, indicator, quarter, before, _text(row))
        s.flush()
        return row.revision


def for_quarter(url: str, quarter: str) -> list[appraisal.Appraisal]:
    """The provider of :mod:`dashboard.appraisal`: the quarter's appraisals (none before anything was entered:
    a read never creates the database)."""
    if not db.exists(url):
        return []
    with db.read_session(url) as s:
        rows = s.scalars(select(db.AppraisalRow).where(db.AppraisalRow.quarter == quarter)).all()
    return [appraisal.Appraisal(r.indicator, r.territory, r.quarter, r.level, synthesis_text(vars(r)), r.author,
                                service.local_time(r.updated_at).date()) for r in rows]


def configure(conf) -> None:
    """Called once at start (app factory, pack CLI) with the Settings: the one place that decides the provider
    of :mod:`dashboard.appraisal` (here, so that the rules module never imports saisie).

    The public instance never gets one. The internal instance reads the appraisals entered on /saisie
    (:func:`for_quarter`; none until something was entered).
    """
    if getattr(conf, "public", False):
        appraisal.register(None)
        return
    url = db.database_url(conf)
    appraisal.register(lambda quarter: for_quarter(url, quarter))
