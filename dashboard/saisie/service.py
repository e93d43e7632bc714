"""What people do on the « Saisie » page and its CLI: pure checks and database operations.

Every operation takes the database URL, the published store (catalogue, territories, last known values) and
the acting :class:`~dashboard.accounts.Account`; it checks role and scope itself (so the page, its callbacks
and the CLI cannot forget it) and writes the audit log in the same transaction as the change.

* :class:`Refused`: role or scope does not allow it (HTTP 403, CLI exit 3); the attempt is audited.
* :class:`Conflict`: someone else changed the same value or decided first; nothing is overwritten.
* :class:`~dashboard.pipeline.errors.InputError`: a bad value or file (``file:row:column: …``, CLI exit 2).
Values are checked by the pipeline's own rules (``dashboard.pipeline.plausibility``) and, for files, its
plan-tracking reader (``dashboard.pipeline.readers.plan_csv``).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import fmt, periods, queries, settings
from ..schema import STATUS_LABELS
from ..pipeline import plausibility
from ..pipeline.errors import InputError
from ..accounts import Account
from . import bounds, db, upload

TZ = ZoneInfo("Europe/Paris")
GRID = "saisie"                 # the « file » named in errors about grid rows
ACTION_LABELS = {
    "sign_in": "connexion", "draft": "brouillon", "import": "import", "submit": "soumission",
    "approve": "approbation", "reject": "rejet", "publish": "publication", "withdraw": "retrait",
    "rollback": "retour à une version", "appraisal": "appréciation", "refused": "tentative refusée",
    "remind": "relance par courriel", "email": "adresse électronique", "api_token": "jeton d'API créé",
}
TEMPLATE_COLUMNS = ["indicateur", "territoire", "trimestre", "valeur", "statut", "source", "note"]


class Refused(Exception):
    """Role or scope does not allow the action (audited)."""


class SelfDecision(Refused):
    """Four eyes: nobody decides on a submission of their own, whatever their role (audited)."""


SELF_DECISION = "Vous ne pouvez pas valider votre propre saisie : un autre valideur doit le faire."


class RowsRefused(InputError):
    """A file refused row by row: every row's problem as (line, column, message), nothing of the file saved. Its
    first problem is the error's own ``row``, ``column`` and ``message`` (``file:row:column: message``)."""

    def __init__(self, file: str, problems: list[tuple[int, str, str]]):
        self.problems = sorted(problems)
        line, column, message = self.problems[0]
        more = len(self.problems) - 1
        tail = "" if not more else " (et une autre ligne refusée)" if more == 1 else f" (et {more} autres lignes refusées)"
        super().__init__(file, message + tail, line, column)

    def lines(self) -> list[str]:
        """Each refused row as ``file:row:column: message``."""
        return [str(InputError(self.file, message, line, column)) for line, column, message in self.problems]


class RowsOutsideScope(RowsRefused, Refused):
    """A file some rows of which lie outside the account's scope (each audited): refused as a whole."""


class Conflict(Exception):
    """The value or the submission was changed by someone else in the meantime."""


local_time = db.local_time   # in db (the storage convention), so that saisie/source.py needs no service


PARIS_TIME = "heure de Paris"     # every time of the saisie is Europe/Paris, and says so


def when(value: dt.datetime | None) -> str:
    """« 04/12/2026 à 14:05 (heure de Paris) »: a moment of the saisie in a sentence (fmt's page format)."""
    t = local_time(value)
    return f"{fmt.timestamp(t)} ({PARIS_TIME})" if t else ""


def default_quarter(today: dt.date | None = None) -> str:
    """The quarter due: the last one that has ended (entries are collected after the quarter's end)."""
    return periods.shift(periods.from_date(today or dt.date.today()), -1)


def number_text(value: float | None) -> str:
    if value is None or pd.isna(value):
        return ""
    return fmt.number(value, 0 if float(value).is_integer() else 2)


# ---- audit -------------------------------------------------------------------------------------

def _audit(s, user: str, action: str, territory: str = "", indicator: str = "", quarter: str = "",
           before: str = "", after: str = "", detail: str = "", submission_id: int | None = None) -> None:
    s.add(db.AuditEvent(user=user, action=action, territory=territory or "", indicator=indicator or "",
                        quarter=quarter or "", before=before, after=after, detail=detail[:2000],
                        submission_id=submission_id))


def record(url: str, user: str, action: str, **fields) -> None:
    """One audit line in its own transaction (sign-in, refused attempts)."""
    with db.session(url) as s, s.begin():
        _audit(s, user or "(anonyme)", action, **fields)


def refuse(url: str, account: Account | None, what: str, territory: str = "", indicator: str = "",
           quarter: str = "", submission_id: int | None = None) -> Refused:
    """Audit a refused attempt and return the exception to raise."""
    name = account.name if account else "(anonyme)"
    record(url, name, "refused", territory=str(territory)[:16], indicator=str(indicator)[:64],
           quarter=str(quarter)[:6], detail=f"{what} (rôle {account.role if account else 'aucun'})",
           submission_id=submission_id)
    return Refused(f"Action non autorisée : {what}.")


def require(url: str, account: Account | None, role: str, what: str) -> Account:
    if account is None or not account.at_least(role):
        raise refuse(url, account, what)
    return account


# ---- what is expected ----------------------------------------------------------------------------

def entry_indicators(data) -> pd.DataFrame:
    ind = data.indicators
    if "entry" not in ind.columns:
        return ind.iloc[0:0]
    return ind[ind["entry"].fillna(False).astype(bool)]


def region_of(data) -> dict[str, str]:
    t = data.territories
    d = t[t["level"] == "departement"]
    return dict(zip(d["code"], d["region"].fillna("")))


def _region(region: str | None) -> str:
    """The instance's region unless one is given: the region valideurs and admins act for."""
    return region or settings.current().region


def scope(data, account: Account, region: str) -> list[str]:
    """Territories the account may enter values for: region and its départements for valideurs and admins;
    the codes of a contributor's scope (a region code brings its départements)."""
    regions = region_of(data)
    codes = [region] if account.at_least("valideur") else list(account.territories)
    out = []
    for code in codes:
        out.append(code)
        if code.startswith("R"):
            out.extend(sorted(d for d, r in regions.items() if r == code))
    return [c for c in dict.fromkeys(out) if c in data.territories.index]


def in_scope(data, account: Account | None, region: str | None, territory) -> bool:
    """THE scope rule of every write, whatever the role: a contributor's territories (a region brings its
    départements), a valideur's or an admin's region and its départements — nothing else."""
    return (account is not None and account.at_least("contributeur") and isinstance(territory, str)
            and territory in scope(data, account, _region(region)))


def expected(data, territories: list[str]) -> pd.DataFrame:
    """Expected entries: indicators marked ``entry`` × territories at one of their levels."""
    from .. import territory as terr

    rows = []
    for meta in entry_indicators(data).to_dict("records"):
        levels = set(str(meta["levels"]).split("|"))
        rows += [{"indicator": meta["id"], "territory": code} for code in territories
                 if terr.level_of(code) in levels]
    return pd.DataFrame(rows, columns=["indicator", "territory"])


def last_known(data, indicator: str, territory: str, quarter: str) -> dict | None:
    """The last published value before ``quarter`` (what the new value is compared with)."""
    return queries.value_at(data, indicator, territory, periods.shift(quarter, -1))


# ---- checks (the pipeline's rules) ---------------------------------------------------------------

def check_rows(data, rows: list[dict], today: dt.date | None = None) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """Rows {indicator, territory, quarter, value, note, _row}: errors {row: (column, message)} and
    jump warnings {row: message}. A jump beyond the catalogue's factor without a note is an error."""
    errors, warnings = {}, {}
    today = today or dt.date.today()
    for r in rows:
        line = r["_row"]
        if r.get("value") is None or pd.isna(r.get("value")):
            continue
        impossible = _hard_bound(data, r["indicator"], r["territory"], r["value"])
        if impossible:                      # a hard bound: no note makes it acceptable
            errors[line] = ("valeur", impossible)
            continue
        frame = [{"indicator": r["indicator"], "territory": r["territory"], "period": r["quarter"],
                  "value": float(r["value"]), "_file": GRID, "_row": line, "_column": "valeur"}]
        before = last_known(data, r["indicator"], r["territory"], r["quarter"])
        if before:
            frame.insert(0, {"indicator": r["indicator"], "territory": r["territory"], "period": before["period"],
                             "value": float(before["value"])})
        try:
            found = plausibility.check_observations(pd.DataFrame(frame), data.indicators.reset_index(drop=True),
                                                    today)
        except InputError as exc:
            errors[line] = (str(exc.column or "valeur"), exc.message)
            continue
        if found:
            text = found[-1].split(": ", 1)[-1]
            warnings[line] = text
            if not str(r.get("note") or "").strip():
                errors[line] = ("note", f"{text} ; une note expliquant l'écart est requise")
    return errors, warnings


def _hard_bound(data, indicator: str, territory: str, value) -> str | None:
    ind, ter = data.indicators, data.territories
    unit = ind.loc[indicator, "unit"] if indicator in ind.index else ""
    population = ter.loc[territory, "population"] if territory in ter.index and "population" in ter else None
    return bounds.hard_bound(str(unit), float(value), None if population is None or pd.isna(population)
                             else float(population))


def _check_target(data, account: Account, url: str, indicator: str, territory: str, quarter: str,
                  where: tuple[str, int | None] = (GRID, None), region: str | None = None) -> None:
    """Form and permission checks of one (indicator, territory, quarter); raises InputError or Refused."""
    file, line = where
    if not periods.is_quarter(quarter):
        raise InputError(file, f"trimestre attendu au format 2024Q2, reçu {quarter!r}", line, "trimestre")
    ids = set(entry_indicators(data)["id"])
    if indicator not in ids:
        raise InputError(file, f"indicateur à saisir attendu ({', '.join(sorted(ids))}), reçu {indicator!r}",
                         line, "indicateur")
    if not isinstance(territory, str) or territory not in data.territories.index:
        raise InputError(file, f"code de territoire du référentiel attendu, reçu {territory!r}", line, "territoire")
    if not in_scope(data, account, region, territory):
        raise refuse(url, account, f"saisie pour {territory} hors du périmètre", territory, indicator, quarter)
    if not expected(data, [territory]).query("indicator == @indicator").shape[0]:
        raise InputError(file, f"{indicator} ne se saisit pas au niveau de {territory}", line, "territoire")


# ---- drafts ----------------------------------------------------------------------------------------

@dataclass
class Saved:
    revision: int
    error: tuple[str, str] | None
    warning: str | None


def _draft_conflict(indicator: str, territory: str, draft: db.Draft | None) -> Conflict:
    """The refusal of a stale write, with the value that is there now (the other person's)."""
    if draft is None:
        return Conflict(f"{indicator} {territory} : la valeur a été soumise ou retirée entre-temps ; rechargez la "
                        "page.")
    return Conflict(f"{indicator} {territory} : valeur modifiée par {draft.author} le {when(draft.updated_at)} "
                    f"({number_text(draft.value) or 'vide'}) ; rechargez la page avant de la changer.")


def _write_draft(s, account: Account, quarter: str, indicator: str, territory: str, revision: int | None,
                 value, source: str, note: str, action: str, detail: str) -> int:
    """The compare-and-set of one draft in session ``s``: written only if its revision is still ``revision``
    (None or 0: no draft existed); else :class:`Conflict`. Returns the new revision."""
    draft = s.scalar(select(db.Draft).where(db.Draft.indicator == indicator, db.Draft.territory == territory,
                                            db.Draft.quarter == quarter).with_for_update())
    before = "" if draft is None else number_text(draft.value)
    if (draft.revision if draft is not None else 0) != (revision or 0):
        raise _draft_conflict(indicator, territory, draft)
    pending = s.scalar(select(db.Item.id).join(db.Submission).where(
        db.Submission.status == db.SUBMITTED, db.Item.indicator == indicator, db.Item.territory == territory,
        db.Item.quarter == quarter))
    if pending:
        raise Conflict(f"{indicator} {territory} : une valeur est déjà à valider pour ce trimestre.")
    if draft is None:
        draft = db.Draft(indicator=indicator, territory=territory, quarter=quarter, revision=0)
        s.add(draft)
    draft.value, draft.source, draft.note = value, source, note
    draft.author, draft.updated_at, draft.revision = account.name, db.utcnow(), (draft.revision or 0) + 1
    _audit(s, account.name, action, territory, indicator, quarter, before, number_text(value), detail=detail)
    s.flush()
    return draft.revision


def _first_write_lost(url: str, indicator: str, territory: str, quarter: str) -> Conflict:
    """Two first saves of one cell at once (PostgreSQL): the unique key let one in; the other is a conflict
    with the value that won."""
    with db.read_session(url) as s:
        draft = s.scalar(select(db.Draft).where(db.Draft.indicator == indicator, db.Draft.territory == territory,
                                                db.Draft.quarter == quarter))
    return _draft_conflict(indicator, territory, draft)


def save_draft(url: str, data, account: Account | None, quarter: str, indicator: str, territory: str,
               value: float | None, source: str, note: str, revision: int | None, region: str | None = None) -> Saved:
    """Save one value as typed (even an implausible one: nothing typed is lost; submit refuses it).
    ``revision``: the draft's revision the user started from (None or 0: none existed) → Conflict otherwise."""
    _check_target(data, account, url, indicator, territory, quarter, region=region)
    source, note = str(source or "")[:1000], str(note or "")[:2000]
    try:
        with db.session(url) as s, s.begin():
            new_revision = _write_draft(s, account, quarter, indicator, territory, revision, value, source, note,
                                        "draft", f"source : {source}" if source else "")
    except IntegrityError:
        raise _first_write_lost(url, indicator, territory, quarter) from None
    errors, warnings = check_rows(data, [{"indicator": indicator, "territory": territory, "quarter": quarter,
                                          "value": value, "note": note, "_row": 1}])
    return Saved(new_revision, errors.get(1), warnings.get(1))


def drafts(url: str, quarter: str, territories: list[str]) -> pd.DataFrame:
    with db.read_session(url) as s:
        rows = s.scalars(select(db.Draft).where(db.Draft.quarter == quarter,
                                                db.Draft.territory.in_(territories))).all()
    return pd.DataFrame([{"indicator": d.indicator, "territory": d.territory, "value": d.value, "source": d.source,
                          "note": d.note, "author": d.author, "updated_at": d.updated_at, "revision": d.revision}
                         for d in rows],
                        columns=["indicator", "territory", "value", "source", "note", "author", "updated_at",
                                 "revision"])


def item_states(url: str, quarter: str) -> pd.DataFrame:
    """Latest submitted or validated item per key for the quarter, with its submission's status."""
    with db.read_session(url) as s:
        rows = s.execute(select(db.Item.indicator, db.Item.territory, db.Item.value, db.Submission.status,
                                db.Submission.id, db.Submission.decided_by, db.Submission.comment)
                         .join(db.Submission).where(db.Item.quarter == quarter, db.Item.withdrawn.is_(False))
                         .order_by(db.Item.id)).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows],
                         columns=["indicator", "territory", "value", "status", "id", "decided_by", "comment"])
    return frame.drop_duplicates(["indicator", "territory"], keep="last")


def published_status(row: dict | None) -> str:
    """The published value's status in the grid: « observée », « estimée », a demo value said twice (it is
    not a fact, and the figure typed beside it replaces it)."""
    if row is None:
        return "aucune valeur publiée"
    if row["status"] == "demo":
        return "démo (valeur de démonstration, non réelle)"
    return STATUS_LABELS.get(row["status"], row["status"])


def grid_rows(url: str, data, account: Account, quarter: str, region: str) -> list[dict]:
    """The expected entries of the account's scope for ``quarter``: beside each cell the value the pages
    publish for it (as of the quarter), the quarter it was measured and its status; the draft and its state."""
    codes = scope(data, account, region)
    exp = expected(data, codes)
    d = drafts(url, quarter, codes).set_index(["indicator", "territory"])
    states = item_states(url, quarter).set_index(["indicator", "territory"])
    labels = data.indicators["short_label"].to_dict()
    names = data.territories["name"].to_dict()
    rows = []
    for n, (ind, code) in enumerate(zip(exp["indicator"], exp["territory"]), 1):
        shown = queries.value_at(data, ind, code, quarter)     # what the pages publish for this cell today
        draft = d.loc[(ind, code)] if (ind, code) in d.index else None
        state = states.loc[(ind, code)] if (ind, code) in states.index else None
        status = "à saisir"
        if state is not None:
            status = db.STATUS_LABELS[state["status"]]
        if draft is not None:
            status = "brouillon" if state is None or state["status"] != db.SUBMITTED else status
        rows.append({
            "id": f"{ind}|{code}", "row": n, "indicator": ind, "territory": code,
            "indicateur": labels.get(ind, ind), "territoire": f"{names.get(code, code)} ({code})",
            "publiee": number_text(shown["value"]) if shown else "–",
            "mesuree": fmt.quarter(shown["period"]) if shown else "–",
            "donnee": published_status(shown), "demo": bool(shown and shown["status"] == "demo"),
            "valeur": None if draft is None or pd.isna(draft["value"]) else float(draft["value"]),
            "source": "" if draft is None else draft["source"],
            "note": "" if draft is None else draft["note"],
            "revision": 0 if draft is None else int(draft["revision"]),
            "statut": status, "message": "",
        })
    return rows


# ---- submit, import -----------------------------------------------------------------------------

def _open_submission(s, quarter: str, key: str) -> int | None:
    return s.scalar(select(db.Submission.id).where(db.Submission.quarter == quarter, db.Submission.scope == key,
                                                   db.Submission.status == db.SUBMITTED))


def writers(s, indicator: str, territory: str, quarter: str) -> list[str]:
    """Everyone who typed, uploaded or changed the value of (indicator, territory, quarter), from the audit log
    (a correction by someone else does not wash the first entrant's hand off the figure)."""
    found = s.scalars(select(db.AuditEvent.user).where(
        db.AuditEvent.action.in_(("draft", "import")), db.AuditEvent.indicator == indicator,
        db.AuditEvent.territory == territory, db.AuditEvent.quarter == quarter).order_by(db.AuditEvent.id)).all()
    return list(dict.fromkeys(found))


def submit(url: str, data, account: Account | None, quarter: str, region: str | None = None) -> int:
    """Submit the drafts of the account's scope for ``quarter`` (those with a value); returns the id.
    Idempotent: one open submission per scope and quarter (a unique index); submitting again while it waits
    answers its id, and values drafted since wait for its decision (:class:`Conflict`)."""
    require(url, account, "contributeur", "soumettre des valeurs")
    codes = scope(data, account, _region(region))
    key = ",".join(sorted(codes))[:512]
    try:
        return _submit(url, data, account, quarter, codes, key)
    except IntegrityError:                   # a concurrent submit of the same scope won (PostgreSQL)
        with db.read_session(url) as s:
            ident = _open_submission(s, quarter, key)
        if ident is None:
            raise
        return ident


def _submit(url: str, data, account: Account, quarter: str, codes: list[str], key: str) -> int:
    with db.session(url) as s, s.begin():
        found = s.scalars(select(db.Draft).where(db.Draft.quarter == quarter, db.Draft.territory.in_(codes),
                                                 db.Draft.value.is_not(None)).order_by(db.Draft.id)
                          .with_for_update()).all()
        already = _open_submission(s, quarter, key)
        if already is not None and not found:
            return already                   # the same submit again (a double click, a retry)
        if already is not None:
            raise Conflict(f"la soumission n° {already} de ce périmètre attend sa décision : les valeurs saisies "
                           "depuis seront soumises ensuite.")
        if not found:
            raise InputError(GRID, f"aucune valeur saisie à soumettre pour le {fmt.quarter(quarter)}", None, "valeur")
        rows = [{"indicator": d.indicator, "territory": d.territory, "quarter": quarter, "value": d.value,
                 "note": d.note, "_row": i} for i, d in enumerate(found, 1)]
        errors, _ = check_rows(data, rows)
        for i, d in enumerate(found, 1):
            if i in errors:
                column, message = errors[i]
                raise InputError(GRID, f"{d.indicator} {d.territory} : {message}", i, column)
            if not d.source.strip():
                raise InputError(GRID, f"{d.indicator} {d.territory} : source attendue (document, date)", i, "source")
        pending = s.execute(select(db.Item.indicator, db.Item.territory).join(db.Submission).where(
            db.Submission.status == db.SUBMITTED, db.Item.quarter == quarter)).all()
        clash = {(i, t) for i, t in pending} & {(d.indicator, d.territory) for d in found}
        if clash:
            i, t = sorted(clash)[0]
            raise Conflict(f"{i} {t} : une valeur est déjà à valider pour ce trimestre.")
        sub = db.Submission(quarter=quarter, author=account.name, status=db.SUBMITTED, comment="", scope=key)
        s.add(sub)
        s.flush()
        for d in found:
            before = last_known(data, d.indicator, d.territory, quarter)
            hands = writers(s, d.indicator, d.territory, quarter)
            s.add(db.Item(submission_id=sub.id, indicator=d.indicator, territory=d.territory, quarter=quarter,
                          value=d.value, source=d.source, note=d.note, withdrawn=False,
                          previous_value=before["value"] if before else None,
                          previous_period=before["period"] if before else None,
                          entered_by=",".join(hands or [d.author])))
            _audit(s, account.name, "submit", d.territory, d.indicator, quarter,
                   number_text(before["value"]) if before else "", number_text(d.value),
                   detail=f"source : {d.source}", submission_id=sub.id)
            s.delete(d)
        return sub.id


REVISION_COLUMN = "revision"


def import_file(url: str, data, account: Account | None, quarter: str, path: Path, name: str = "",
                region: str | None = None, limits: upload.Limits | None = None) -> int:
    """Check a plan-tracking file (CSV/XLSX, bounded by ``limits``: settings by default) and save its rows as
    drafts; returns the number of rows. Form checks are the plan reader's; permission is checked for every row
    before anything is saved; each row is a compare-and-set on the revision its ``revision`` column names (the
    template's; none: the cell must have no draft yet), a stale one refuses the whole file (:class:`Conflict`)."""
    import tempfile

    from ..pipeline.readers import plan_csv

    require(url, account, "contributeur", "importer un fichier")
    name = name or Path(path).name
    limits = limits or upload.Limits.of(settings.current())
    upload.check_size(Path(path).stat().st_size, name, limits)       # before reading it into memory
    text = _blank_empty_values(upload.to_csv_text(Path(path).read_bytes(), name, limits))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            table = plan_csv.read(upload.write(text, Path(tmp)))
        except InputError as exc:
            raise InputError(name, exc.message, exc.row, exc.column) from None
    frame, revisions = table.observations, _revisions(text, name)
    if frame is None or not len(frame):
        raise InputError(name, "aucune valeur dans le fichier", 2, "valeur")
    rows = frame.to_dict("records")
    problems, outside = _row_problems(url, data, account, quarter, name, region, rows)
    if problems:
        raise (RowsOutsideScope if outside else RowsRefused)(name, problems)
    try:
        with db.session(url) as s, s.begin():
            for r in rows:
                line = int(r["_row"])
                try:
                    _write_draft(s, account, quarter, r["indicator"], r["territory"], revisions.get(line),
                                 float(r["value"]), r["source"], r["note"] or "", "import",
                                 f"fichier {name[:200]}, ligne {line}")
                except Conflict as exc:
                    raise Conflict(f"{name} : ligne {line} : {exc} Rien n'a été importé.") from None
    except IntegrityError:
        raise Conflict(f"{name} : une autre saisie des mêmes valeurs est arrivée en même temps ; rien n'a été "
                       "importé, rechargez la page.") from None
    return len(rows)


def _row_problems(url: str, data, account: Account, quarter: str, name: str, region: str | None,
                  rows: list[dict]) -> tuple[list[tuple[int, str, str]], bool]:
    """Every row's problem (line, column, message) — form, quarter, territory, scope, bounds — and whether one is
    outside the account's scope (each of those audited): the user corrects the whole file at once."""
    problems, outside, checked = [], False, []
    for r in rows:
        line = int(r["_row"])
        try:
            if r["status"] != "observed":
                raise InputError(name, f"statut observed attendu pour une saisie, reçu {r['status']!r}", line, "statut")
            if r["period"] != quarter:
                raise InputError(name, f"trimestre {quarter} attendu (celui de la saisie), reçu {r['period']}",
                                 line, "trimestre")
            _check_target(data, account, url, r["indicator"], r["territory"], quarter, (name, line), region)
        except InputError as exc:
            problems.append((line, str(exc.column), exc.message))
        except Refused:
            outside = True
            problems.append((line, "territoire", f"saisie pour {r['territory']} hors du périmètre de "
                                                 f"{account.name} ({account.role})"))
        else:
            checked.append({"indicator": r["indicator"], "territory": r["territory"], "quarter": quarter,
                            "value": r["value"], "note": r["note"], "_row": line})
    errors, _ = check_rows(data, checked)
    problems += [(line, column, message) for line, (column, message) in errors.items()]
    return problems, outside


def _separator(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _blank_empty_values(text: str) -> str:
    """Template rows left without a value are not entries: blanked (line kept, so line numbers hold)."""
    import csv

    lines = text.splitlines()
    if not lines:
        return text
    sep = _separator(lines[0])
    header = [h.strip().lstrip("\ufeff") for h in lines[0].split(sep)]
    if "valeur" not in header:
        return text
    k = header.index("valeur")
    out = [lines[0]]
    for line in lines[1:]:
        cells = next(csv.reader([line], delimiter=sep), [])
        out.append(sep * (len(header) - 1) if len(cells) > k and not cells[k].strip() else line)
    return "\n".join(out) + "\n"


def _revisions(text: str, name: str) -> dict[int, int]:
    """{line: revision} of a file's ``revision`` column (the template's); empty without the column."""
    import csv

    lines = text.splitlines()
    if not lines:
        return {}
    sep = _separator(lines[0])
    header = [h.strip().lstrip("\ufeff") for h in lines[0].split(sep)]
    if REVISION_COLUMN not in header:
        return {}
    k = header.index(REVISION_COLUMN)
    out = {}
    for n, line in enumerate(lines[1:], 2):
        cells = next(csv.reader([line], delimiter=sep), [])
        raw = cells[k].strip() if len(cells) > k else ""
        if not raw:
            continue
        if not raw.isdigit():
            raise InputError(name, f"numéro de révision attendu (celui du modèle), reçu {raw[:20]!r}", n,
                             REVISION_COLUMN)
        out[n] = int(raw)
    return out


def template_frame(data, account: Account, quarter: str, region: str, url: str | None = None) -> pd.DataFrame:
    """The plan-tracking file pre-filled for the account's scope: one line per expected entry, value empty,
    the last known value in the note as a reminder, and the current draft's revision (what an upload replaces)."""
    codes = scope(data, account, region)
    current = drafts(url, quarter, codes).set_index(["indicator", "territory"])["revision"].to_dict() if url else {}
    rows = []
    for ind, code in expected(data, codes).itertuples(index=False):
        before = last_known(data, ind, code, quarter)
        hint = f"dernière valeur connue : {number_text(before['value'])} au {fmt.quarter(before['period'])}" \
            if before else ""
        rows.append([ind, code, quarter, "", "observed", "", hint, str(int(current.get((ind, code), 0)))])
    return pd.DataFrame(rows, columns=[*TEMPLATE_COLUMNS, REVISION_COLUMN])


# ---- review ---------------------------------------------------------------------------------------

def submissions(url: str, status: str | None = None, quarter: str | None = None) -> list[db.Submission]:
    with db.read_session(url) as s:
        q = select(db.Submission).order_by(db.Submission.id.desc())
        if status:
            q = q.where(db.Submission.status == status)
        if quarter:
            q = q.where(db.Submission.quarter == quarter)
        found = s.scalars(q).all()
        for sub in found:
            _ = list(sub.items)          # loaded before the session closes
        return list(found)


def get_submission(url: str, ident: int) -> db.Submission | None:
    with db.read_session(url) as s:
        sub = s.get(db.Submission, ident)
        if sub is not None:
            _ = list(sub.items)
        return sub


def _data(data):
    if data is not None:
        return data
    from .. import store

    return store.get()


def entrants(item: db.Item) -> list[str]:
    """Who typed, uploaded or changed a submitted value (shown in the review)."""
    return [name for name in (item.entered_by or "").split(",") if name]


def hands(sub: db.Submission) -> set[str]:
    """Four eyes: nobody in this set decides on ``sub`` — its author and the entrants of its values."""
    return {sub.author} | {name for it in sub.items for name in entrants(it)}


def decide(url: str, account: Account | None, ident: int, approve: bool, comment: str = "", data=None,
           region: str | None = None) -> db.Submission:
    """Approve, or reject with a comment (its items go back to drafts for the contributor). Refused
    (audited): a submission holding a value outside the decider's region; four eyes (:class:`SelfDecision`):
    whoever submitted it or typed, uploaded or changed one of its values, admins included. Only an open
    submission is decided: an approved, rejected or published one is a :class:`Conflict`."""
    what = "approuver" if approve else "rejeter"
    require(url, account, "valideur", f"{what} une soumission")
    comment = str(comment or "").strip()[:2000]
    if not approve and not comment:
        raise InputError(GRID, "commentaire attendu pour un rejet (ce que le contributeur doit corriger)", None,
                         "commentaire")
    own = get_submission(url, int(ident))
    if own is not None:                     # authors and entrants never change: checked before writing
        data = _data(data)
        outside = [it.territory for it in own.items if not in_scope(data, account, region, it.territory)]
        if outside:
            raise refuse(url, account, f"{what} la soumission n° {own.id} : {outside[0]} hors du périmètre",
                         outside[0], quarter=own.quarter, submission_id=own.id)
        if account.name in hands(own):
            why = f"sa propre soumission n° {own.id}" if own.author == account.name else \
                f"la soumission n° {own.id}, dont il a saisi une valeur"
            refuse(url, account, f"{what} {why}", quarter=own.quarter, submission_id=own.id)
            raise SelfDecision(SELF_DECISION)
    with db.session(url) as s, s.begin():
        sub = s.get(db.Submission, int(ident))
        if sub is None:
            raise InputError(GRID, f"soumission {ident} introuvable", None, "id")
        done = s.execute(update(db.Submission).where(db.Submission.id == sub.id, db.Submission.status == db.SUBMITTED)
                         .values(status=db.APPROVED if approve else db.REJECTED, decided_by=account.name,
                                 decided_at=db.utcnow(), comment=comment))
        if done.rowcount != 1:
            s.refresh(sub)
            raise Conflict(f"soumission {sub.id} déjà {db.STATUS_LABELS[sub.status]} par {sub.decided_by or '?'} : "
                           "rien n'a été changé.")
        s.refresh(sub)
        for it in sub.items:
            _audit(s, account.name, "approve" if approve else "reject", it.territory, it.indicator, it.quarter,
                   number_text(it.previous_value), number_text(it.value), detail=comment, submission_id=sub.id)
            if not approve and not s.scalar(select(db.Draft.id).where(
                    db.Draft.indicator == it.indicator, db.Draft.territory == it.territory,
                    db.Draft.quarter == it.quarter)):
                s.add(db.Draft(indicator=it.indicator, territory=it.territory, quarter=it.quarter, value=it.value,
                               source=it.source, note=it.note, author=sub.author, revision=1))
        _ = list(sub.items)
        return sub


# ---- publication, withdrawal, rollback -----------------------------------------------------------

def publish(url: str, conf, account: Account | None, echo=lambda _line: None, action: str = "publish",
            detail: str = "") -> str:
    """Build from the raw folder and the database, publish a new store version, mark the approved
    submissions it contains as published. One publication at a time (file lock)."""
    import fcntl

    from ..pipeline.build import build
    from .source import entries_of

    require(url, account, "valideur", "publier")
    out = Path(conf.data_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".saisie-publication.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = build([Path(conf.raw_dir)], out, region=conf.region, echo=echo, entries=entries_of(url))
    contained = result.manifest.get("facts", {}).get("saisie", {}).get("submissions", [])
    with db.session(url) as s, s.begin():
        s.execute(update(db.Submission).where(db.Submission.id.in_(contained), db.Submission.status == db.APPROVED)
                  .values(published_version=result.version, status=db.PUBLISHED))
        _audit(s, account.name, action, after=result.version or "",
               detail=detail or f"version {result.version} ; soumissions {', '.join(map(str, contained)) or 'aucune'}")
    return result.version


def withdraw(url: str, conf, account: Account | None, item_id: int, echo=lambda _line: None, data=None) -> str:
    """Withdraw a published entry: every validated item of its (indicator, territory, quarter) is marked
    withdrawn, a new version is built, and it is checked to hold no entry of that key any more before this
    returns (:class:`Conflict` otherwise: the page says « retirée » only after). Logged."""
    require(url, account, "admin", "retirer une valeur publiée")
    data = _data(data)
    with db.read_session(url) as s:
        it = s.get(db.Item, int(item_id)) if isinstance(item_id, int) else None
        if it is None or it.withdrawn:
            raise InputError(GRID, f"valeur {item_id} introuvable ou déjà retirée", None, "id")
        key = (it.indicator, it.territory, it.quarter)
    if not in_scope(data, account, conf.region, key[1]):
        raise refuse(url, account, f"retirer la valeur n° {item_id} : {key[1]} hors du périmètre", key[1], key[0],
                     key[2])
    with db.session(url) as s, s.begin():
        same = s.scalars(select(db.Item).join(db.Submission).where(
            db.Item.indicator == key[0], db.Item.territory == key[1], db.Item.quarter == key[2],
            db.Item.withdrawn.is_(False), db.Submission.status.in_(db.VALIDATED))).all()
        for found in same:
            found.withdrawn = True
            _audit(s, account.name, "withdraw", found.territory, found.indicator, found.quarter,
                   number_text(found.value), "", submission_id=found.submission_id)
    version = publish(url, conf, account, echo, detail=f"nouvelle version sans la valeur {item_id} (retrait)")
    if _entry_published(conf, *key):
        raise Conflict(f"la version {version} contient encore une saisie de {key[0]} {key[1]} "
                       f"{fmt.quarter(key[2])} : retrait non effectif.")
    return version


def _entry_published(conf, indicator: str, territory: str, quarter: str) -> bool:
    """Does the served version still hold a value of this key that came from the saisie?"""
    from .. import store

    data = store.open_store(conf.data_dir)
    if data is None:
        return False
    obs = data.observations
    hit = obs[(obs["indicator"] == indicator) & (obs["territory"] == territory) & (obs["period"] == quarter)]
    # the entries reader's source names it: « ARS …, saisie du 02/12/2026, validée par … »
    return bool(hit["source"].astype(str).str.contains(", saisie du ", regex=False).any())


def rollback(url: str, conf, account: Account | None, version: str) -> None:
    """Serve an earlier published version again (kept on disk: the last few) — of this instance's region only."""
    from ..pipeline import publish as pub

    require(url, account, "admin", "republier une version antérieure")
    out = Path(conf.data_dir)
    if not isinstance(version, str) or "/" in version or not (out / version / "manifest.json").is_file():
        raise InputError(GRID, f"version publiée attendue, reçu {version!r}", None, "version")
    try:
        region = json.loads((out / version / "manifest.json").read_text(encoding="utf-8")).get("region")
    except (OSError, ValueError):
        region = None
    if region and region != conf.region:
        raise refuse(url, account, f"republier la version {version} d'une autre région ({region})", region)
    before = pub.current(out) or ""
    pub.switch(out, version)
    record(url, account.name, "rollback", before=before, after=version)


def versions(conf) -> list[dict]:
    out = Path(conf.data_dir)
    found = []
    for folder in sorted((p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True) \
            if out.is_dir() else []:
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found.append({"version": folder.name, "built_at": manifest.get("built_at", ""),
                      "submissions": manifest.get("facts", {}).get("saisie", {}).get("submissions", [])})
    return found


# ---- audit, completeness ------------------------------------------------------------------------

AUDIT_COLUMNS = ["at", "user", "action", "territory", "indicator", "quarter", "before", "after", "detail",
                 "submission_id"]


def audit_rows(url: str, quarter: str | None = None, user: str | None = None, action: str | None = None,
               territory: str | None = None, limit: int = 5000) -> pd.DataFrame:
    with db.read_session(url) as s:
        q = select(db.AuditEvent).order_by(db.AuditEvent.id.desc()).limit(limit)
        for column, value in ((db.AuditEvent.quarter, quarter), (db.AuditEvent.user, user),
                              (db.AuditEvent.action, action), (db.AuditEvent.territory, territory)):
            if value:
                q = q.where(column == value)
        rows = s.scalars(q).all()
    frame = pd.DataFrame([{c: getattr(e, c) for c in AUDIT_COLUMNS} for e in rows], columns=AUDIT_COLUMNS)
    frame["at"] = [fmt.timestamp(local_time(v)) if v is not None else "" for v in frame["at"]]   # zone: header
    frame["action"] = frame["action"].map(lambda a: ACTION_LABELS.get(a, a))
    frame["submission_id"] = [str(int(v)) if v is not None and v == v else "" for v in frame["submission_id"]]
    return frame


AUDIT_HEADERS = {"at": f"date ({PARIS_TIME})", "user": "utilisateur", "action": "action", "territory": "territoire",
                 "indicator": "indicateur", "quarter": "trimestre", "before": "avant", "after": "après",
                 "detail": "détail", "submission_id": "soumission"}


def audit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The history as exported, French headers (written by ``dashboard.exports.to_csv``, the one writer: saisie
    computes, it does not render)."""
    return frame.rename(columns=AUDIT_HEADERS)


def completeness(expected_: pd.DataFrame, validated_: pd.DataFrame) -> dict:
    """Share of expected entries (indicator × territory) with a validated value: total and by territory and
    by indicator. Pure: both frames have columns indicator, territory."""
    keys = ["indicator", "territory"]
    exp = expected_[keys].drop_duplicates()
    done = exp.merge(validated_[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    done["ok"] = done["_merge"] == "both"

    def by(column: str) -> dict:
        g = done.groupby(column, sort=True)["ok"]
        return {k: (int(v.sum()), int(len(v))) for k, v in g}
    return {"done": int(done["ok"].sum()), "total": int(len(done)), "by_territory": by("territory"),
            "by_indicator": by("indicator")}


def completeness_line(quarter: str, result: dict) -> str:
    """« Saisie du T2 2024 : 34 valeurs validées sur 48 »."""
    n = result["done"]
    return f"Saisie du {fmt.quarter(quarter)} : {n} valeur{'s' if n > 1 else ''} validée{'s' if n > 1 else ''} " \
           f"sur {result['total']}"


def validated_keys(url: str, quarter: str) -> pd.DataFrame:
    states = item_states(url, quarter)
    return states[states["status"].isin(db.VALIDATED)][["indicator", "territory"]]


def quarter_completeness(url: str, data, region: str, quarter: str) -> dict:
    everyone = Account("(région)", "valideur")
    return completeness(expected(data, scope(data, everyone, region)), validated_keys(url, quarter))
