"""Validated entries of the saisie database as a pipeline source, handed to the build by its caller.

The database is the system of record for values entered on the « Saisie » page; the pipeline stays the only
way into the store: this reader turns the items of approved or published submissions (not withdrawn) into
observations, like any raw file. When one value was validated several times, the latest decision wins.
Status ``observed``; source « ARS <région>, saisie du JJ/MM/AAAA, validée par <valideur> (source déclarée : …) ».
"""
from __future__ import annotations

import functools
import hashlib
import json

import pandas as pd

from ..pipeline.contribution import Contribution
from . import db

SOURCE = "Saisie ARS (base de données)"
# Before the plan-tracking CSV (30): a validated entry is the ARS's own checked figure for that quarter.
PRIORITY = 25


def configured_url(conf) -> str | None:
    """The saisie database of these settings, or None when none was ever created."""
    url = db.database_url(conf)
    return url if db.exists(url) else None


def entries_of(url: str | None):
    """What the build is handed (``build(entries=…)``): a function reading the validated entries of ``url``;
    None when there is no database."""
    return functools.partial(read_database, url) if url else None


def validated(url: str) -> pd.DataFrame:
    """One row per validated item (all decisions, oldest first) with its submission's facts."""
    from sqlalchemy import select

    query = (select(db.Item.id, db.Item.submission_id, db.Item.indicator, db.Item.territory, db.Item.quarter,
                    db.Item.value, db.Item.source, db.Item.note, db.Submission.submitted_at,
                    db.Submission.decided_by, db.Submission.decided_at)
             .join(db.Submission).where(db.Submission.status.in_(db.VALIDATED), db.Item.withdrawn.is_(False))
             .order_by(db.Submission.decided_at, db.Item.id))
    with db.read_session(url) as s:
        rows = [dict(r._mapping) for r in s.execute(query)]
    return pd.DataFrame(rows, columns=["id", "submission_id", "indicator", "territory", "quarter", "value", "source",
                                       "note", "submitted_at", "decided_by", "decided_at"])


def _date(value) -> str:
    return db.local_time(value).strftime("%d/%m/%Y")


def read_database(url: str) -> Contribution | None:
    items = validated(url)
    if not len(items):
        return None
    items = items.drop_duplicates(["indicator", "territory", "quarter"], keep="last")
    frame = pd.DataFrame({
        "indicator": items["indicator"], "territory": items["territory"], "period": items["quarter"],
        "value": items["value"].astype(float), "status": "observed",
        "_saisie": [f"saisie du {_date(s)}, validée par {v}" + (f" (source déclarée : {src})" if src else "")
                    for s, v, src in zip(items["submitted_at"], items["decided_by"], items["source"])],
        "note": items["note"].fillna(""),
        "_file": [f"saisie:soumission {n}" for n in items["submission_id"]], "_row": items["id"],
    }).reset_index(drop=True)
    frame["source"] = "ARS, " + frame["_saisie"]
    records = frame[["indicator", "territory", "period", "value", "source", "note"]].to_dict("records")
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    submissions = sorted(int(n) for n in items["submission_id"].unique())

    def finalize(c: Contribution, territories: pd.DataFrame) -> None:
        # « ARS Auvergne-Rhône-Alpes, … »: the region of the territory, named as in the build's reference
        t = territories.set_index("code")
        region = [code if code.startswith("R") else t["region"].get(code, "") for code in c.observations["territory"]]
        names = [t["name"].get(r, "") if r else "" for r in region]
        c.observations["source"] = [f"ARS {n}, {s}" if n else f"ARS, {s}"
                                    for n, s in zip(names, c.observations["_saisie"])]
        c.observations = c.observations.drop(columns=["_saisie"])

    return Contribution(source=SOURCE, file=f"base de saisie ({_safe_url(url)})",
                        millesime=_date(items["decided_at"].max()), rows=len(frame), observations=frame,
                        priority=PRIORITY, digest=digest, finalize=finalize,
                        facts={"saisie": {"submissions": submissions, "entries": len(frame)}})


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
