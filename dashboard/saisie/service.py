"""What people do on the « Saisie » page and its CLI: pure checks and database operations.

Every operation takes the database URL, the published store (catalogue, territories, last known values) and
the acting :class:`~dashboard.security.Account`; it checks role and scope itself (so the page, its callbacks
and the CLI cannot forget it) and writes the audit log in the same transaction as the change.

* :class:`Refused`: role or scope does not allow it (HTTP 403, CLI exit 3); the attempt is audited.
* :class:`Conflict`: someone else changed the same value or decided first; nothing is overwritten.
* :class:`~dashboard.pipeline.errors.InputError`: a bad value or file (``file:row:column: …``, CLI exit 2).
Values are checked by the pipeline's own rules (``dashboard.pipeline.plausibility``) and, for files, its
plan-tracking reader (``dashboard.pipeline.readers.plan_csv``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select, update

from .. import fmt, periods, queries
from ..pipeline import plausibility
from ..pipeline.errors import InputError
from ..security import Account
from . import db

TZ = ZoneInfo("Europe/Paris")
GRID = "saisie"                 # the « file » named in errors about grid rows
ACTION_LABELS = {
    "sign_in": "connexion", "draft": "brouillon", "import": "import", "submit": "soumission",
    "approve": "approbation", "reject": "rejet", "publish": "publication", "withdraw": "retrait",
    "rollback": "retour à une version", "appraisal": "appréciation", "refused": "tentative refusée",
}
TEMPLATE_COLUMNS = ["indicateur", "territoire", "trimestre", "valeur", "statut", "source", "note"]


class Refused(Exception):
    """Role or scope does not allow the action (audited)."""


class SelfDecision(Refused):
    """Four eyes: nobody decides on a submission of their own, whatever their role (audited)."""


SELF_DECISION = "Vous ne pouvez pas valider votre propre saisie : un autre valideur doit le faire."


class Conflict(Exception):
    """The value or the submission was changed by someone else in the meantime."""


local_time = db.local_time   # in db (the storage convention), so that saisie/source.py needs no service


def when(value: dt.datetime | None) -> str:
    t = local_time(value)
    return t.strftime("%d/%m/%Y %H:%M") if t else ""


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


def _check_target(data, account: Account, url: str, indicator: str, territory: str, quarter: str,
                  where: tuple[str, int | None] = (GRID, None)) -> None:
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
    if account is None or not account.at_least("contributeur") or not account.covers(territory, region_of(data)):
        raise refuse(url, account, f"saisie pour {territory} hors du périmètre", territory, indicator, quarter)
    if not expected(data, [territory]).query("indicator == @indicator").shape[0]:
        raise InputError(file, f"{indicator} ne se saisit pas au niveau de {territory}", line, "territoire")


# ---- drafts ----------------------------------------------------------------------------------------

@dataclass
class Saved:
    revision: int
    error: tuple[str, str] | None
    warning: str | None


def save_draft(url: str, data, account: Account | None, quarter: str, indicator: str, territory: str,
               value: float | None, source: str, note: str, revision: int | None) -> Saved:
    """Save one value as typed (even an implausible one: nothing typed is lost; submit refuses it).
    ``revision``: the draft's revision the user started from (None: none existed) → Conflict otherwise."""
    _check_target(data, account, url, indicator, territory, quarter)
    source, note = str(source or "")[:1000], str(note or "")[:2000]
    with db.session(url) as s, s.begin():
        draft = s.scalar(select(db.Draft).where(db.Draft.indicator == indicator, db.Draft.territory == territory,
                                                db.Draft.quarter == quarter).with_for_update())
        before = "" if draft is None else number_text(draft.value)
        if draft is None:
            if revision not in (None, 0):
                raise Conflict(f"{indicator} {territory} : la valeur a été soumise ou retirée entre-temps ; "
                               "rechargez la page.")
            draft = db.Draft(indicator=indicator, territory=territory, quarter=quarter, author=account.name,
                             revision=0, source="", note="")
            s.add(draft)
        elif draft.revision != revision:
            raise Conflict(f"{indicator} {territory} : valeur modifiée par {draft.author} le "
                           f"{when(draft.updated_at)} ({number_text(draft.value) or 'vide'}) ; "
                           "rechargez la page avant de la changer.")
        pending = s.scalar(select(db.Item.id).join(db.Submission).where(
            db.Submission.status == db.SUBMITTED, db.Item.indicator == indicator, db.Item.territory == territory,
            db.Item.quarter == quarter))
        if pending:
            raise Conflict(f"{indicator} {territory} : une valeur est déjà à valider pour ce trimestre.")
        draft.value, draft.source, draft.note = value, source, note
        draft.author, draft.updated_at, draft.revision = account.name, db.utcnow(), draft.revision + 1
        _audit(s, account.name, "draft", territory, indicator, quarter, before, number_text(value),
               detail=f"source : {source}" if source else "")
        s.flush()
        new_revision = draft.revision
    errors, warnings = check_rows(data, [{"indicator": indicator, "territory": territory, "quarter": quarter,
                                          "value": value, "note": note, "_row": 1}])
    return Saved(new_revision, errors.get(1), warnings.get(1))


def drafts(url: str, quarter: str, territories: list[str]) -> pd.DataFrame:
    with db.session(url) as s:
        rows = s.scalars(select(db.Draft).where(db.Draft.quarter == quarter,
                                                db.Draft.territory.in_(territories))).all()
    return pd.DataFrame([{"indicator": d.indicator, "territory": d.territory, "value": d.value, "source": d.source,
                          "note": d.note, "author": d.author, "updated_at": d.updated_at, "revision": d.revision}
                         for d in rows],
                        columns=["indicator", "territory", "value", "source", "note", "author", "updated_at",
                                 "revision"])


def item_states(url: str, quarter: str) -> pd.DataFrame:
    """Latest submitted or validated item per key for the quarter, with its submission's status."""
    with db.session(url) as s:
        rows = s.execute(select(db.Item.indicator, db.Item.territory, db.Item.value, db.Submission.status,
                                db.Submission.id, db.Submission.decided_by, db.Submission.comment)
                         .join(db.Submission).where(db.Item.quarter == quarter, db.Item.withdrawn.is_(False))
                         .order_by(db.Item.id)).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows],
                         columns=["indicator", "territory", "value", "status", "id", "decided_by", "comment"])
    return frame.drop_duplicates(["indicator", "territory"], keep="last")


def grid_rows(url: str, data, account: Account, quarter: str, region: str) -> list[dict]:
    """The expected entries of the account's scope for ``quarter``, with last known value, draft and status."""
    codes = scope(data, account, region)
    exp = expected(data, codes)
    d = drafts(url, quarter, codes).set_index(["indicator", "territory"])
    states = item_states(url, quarter).set_index(["indicator", "territory"])
    labels = data.indicators["short_label"].to_dict()
    names = data.territories["name"].to_dict()
    rows = []
    for n, (ind, code) in enumerate(zip(exp["indicator"], exp["territory"]), 1):
        before = last_known(data, ind, code, quarter)
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
            "derniere": (f"{number_text(before['value'])} au {fmt.quarter(before['period'])}" if before else "–"),
            "valeur": None if draft is None or pd.isna(draft["value"]) else float(draft["value"]),
            "source": "" if draft is None else draft["source"],
            "note": "" if draft is None else draft["note"],
            "revision": 0 if draft is None else int(draft["revision"]),
            "statut": status, "message": "",
        })
    return rows


# ---- submit, import -----------------------------------------------------------------------------

def submit(url: str, data, account: Account | None, quarter: str, region: str) -> int:
    """Submit the drafts of the account's scope for ``quarter`` (those with a value); returns the id."""
    require(url, account, "contributeur", "soumettre des valeurs")
    codes = scope(data, account, region)
    with db.session(url) as s, s.begin():
        found = s.scalars(select(db.Draft).where(db.Draft.quarter == quarter, db.Draft.territory.in_(codes),
                                                 db.Draft.value.is_not(None)).order_by(db.Draft.id)
                          .with_for_update()).all()
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
        sub = db.Submission(quarter=quarter, author=account.name, status=db.SUBMITTED, comment="")
        s.add(sub)
        s.flush()
        for d in found:
            before = last_known(data, d.indicator, d.territory, quarter)
            s.add(db.Item(submission_id=sub.id, indicator=d.indicator, territory=d.territory, quarter=quarter,
                          value=d.value, source=d.source, note=d.note, withdrawn=False,
                          previous_value=before["value"] if before else None,
                          previous_period=before["period"] if before else None))
            _audit(s, account.name, "submit", d.territory, d.indicator, quarter,
                   number_text(before["value"]) if before else "", number_text(d.value),
                   detail=f"source : {d.source}", submission_id=sub.id)
            s.delete(d)
        return sub.id


def read_upload(path: Path, name: str = "") -> Path:
    """An uploaded CSV as is, or an XLSX converted to CSV (same rows, so errors keep their line numbers)."""
    path = Path(path)
    if path.read_bytes()[:4] != b"PK\x03\x04":
        return path
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception:  # noqa: BLE001 — any unreadable workbook is a bad file
        raise InputError(name or path, "classeur Excel illisible (xlsx attendu)", 1, "A") from None
    out = path.with_suffix(".csv")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        for row in sheet.iter_rows(values_only=True):
            writer.writerow(["" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row])
    return out


def import_file(url: str, data, account: Account | None, quarter: str, path: Path, name: str = "") -> int:
    """Check a plan-tracking file (CSV/XLSX) and save its rows as drafts; returns the number of rows.
    Form checks are the plan reader's; permission is checked for every row before anything is saved."""
    from ..pipeline.readers import plan_csv

    require(url, account, "contributeur", "importer un fichier")
    name = name or Path(path).name
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "fichier"
        raw.write_bytes(Path(path).read_bytes())
        csv_path = read_upload(raw, name)
        _blank_empty_values(csv_path)
        try:
            frame = plan_csv.read(csv_path).observations
        except InputError as exc:
            raise InputError(name, exc.message, exc.row, exc.column) from None
    if frame is None or not len(frame):
        raise InputError(name, "aucune valeur dans le fichier", 2, "valeur")
    rows = frame.to_dict("records")
    for r in rows:
        where = (name, int(r["_row"]))
        if r["status"] != "observed":
            raise InputError(name, f"statut observed attendu pour une saisie, reçu {r['status']!r}", where[1], "statut")
        if r["period"] != quarter:
            raise InputError(name, f"trimestre {quarter} attendu (celui de la saisie), reçu {r['period']}",
                             where[1], "trimestre")
        _check_target(data, account, url, r["indicator"], r["territory"], quarter, where)
    errors, _ = check_rows(data, [{"indicator": r["indicator"], "territory": r["territory"], "quarter": quarter,
                                   "value": r["value"], "note": r["note"], "_row": int(r["_row"])} for r in rows])
    if errors:
        line = min(errors)
        raise InputError(name, errors[line][1], line, errors[line][0])
    with db.session(url) as s, s.begin():
        for r in rows:
            draft = s.scalar(select(db.Draft).where(db.Draft.indicator == r["indicator"],
                                                    db.Draft.territory == r["territory"], db.Draft.quarter == quarter))
            if draft is None:
                draft = db.Draft(indicator=r["indicator"], territory=r["territory"], quarter=quarter, revision=0)
                s.add(draft)
            draft.value, draft.source, draft.note = float(r["value"]), r["source"], r["note"] or ""
            draft.author, draft.updated_at, draft.revision = account.name, db.utcnow(), (draft.revision or 0) + 1
            _audit(s, account.name, "import", r["territory"], r["indicator"], quarter, after=number_text(r["value"]),
                   detail=f"fichier {name}, ligne {r['_row']}")
    return len(rows)


def _blank_empty_values(path: Path) -> None:
    """Template rows left without a value are not entries: blanked (line kept, so line numbers hold)."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    if not lines:
        return
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip() for h in lines[0].split(sep)]
    if "valeur" not in header:
        return
    k = header.index("valeur")
    out = [lines[0]]
    for line in lines[1:]:
        cells = next(csv.reader([line], delimiter=sep), [])
        out.append(sep * (len(header) - 1) if len(cells) > k and not cells[k].strip() else line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def template_csv(data, account: Account, quarter: str, region: str) -> str:
    """The plan-tracking file pre-filled for the account's scope: one line per expected entry, value empty,
    the last known value in the note as a reminder."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    codes = scope(data, account, region)
    for ind, code in expected(data, codes).itertuples(index=False):
        before = last_known(data, ind, code, quarter)
        hint = f"dernière valeur connue : {number_text(before['value'])} au {fmt.quarter(before['period'])}" \
            if before else ""
        writer.writerow([ind, code, quarter, "", "observed", "", hint])
    return buf.getvalue()


# ---- review ---------------------------------------------------------------------------------------

def submissions(url: str, status: str | None = None, quarter: str | None = None) -> list[db.Submission]:
    with db.session(url) as s:
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
    with db.session(url) as s:
        sub = s.get(db.Submission, ident)
        if sub is not None:
            _ = list(sub.items)
        return sub


def decide(url: str, account: Account | None, ident: int, approve: bool, comment: str = "") -> db.Submission:
    """Approve, or reject with a comment (its items go back to drafts for the contributor). Four eyes: the
    author of a submission never decides on it, admins included (:class:`SelfDecision`, audited)."""
    what = "approuver" if approve else "rejeter"
    require(url, account, "valideur", f"{what} une soumission")
    comment = str(comment or "").strip()[:2000]
    if not approve and not comment:
        raise InputError(GRID, "commentaire attendu pour un rejet (ce que le contributeur doit corriger)", None,
                         "commentaire")
    own = get_submission(url, int(ident))
    if own is not None and own.author == account.name:       # an author never changes: checked before writing
        refuse(url, account, f"{what} sa propre soumission n° {own.id}", quarter=own.quarter, submission_id=own.id)
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


def withdraw(url: str, conf, account: Account | None, item_id: int, echo=lambda _line: None) -> str:
    """Withdraw a published entry: a new version without it (logged)."""
    require(url, account, "admin", "retirer une valeur publiée")
    with db.session(url) as s, s.begin():
        it = s.get(db.Item, int(item_id))
        if it is None or it.withdrawn:
            raise InputError(GRID, f"valeur {item_id} introuvable ou déjà retirée", None, "id")
        it.withdrawn = True
        _audit(s, account.name, "withdraw", it.territory, it.indicator, it.quarter, number_text(it.value), "",
               submission_id=it.submission_id)
    return publish(url, conf, account, echo, detail=f"nouvelle version sans la valeur {item_id} (retrait)")


def rollback(url: str, conf, account: Account | None, version: str) -> None:
    """Serve an earlier published version again (kept on disk: the last few)."""
    from ..pipeline import publish as pub

    require(url, account, "admin", "republier une version antérieure")
    out = Path(conf.data_dir)
    if not isinstance(version, str) or "/" in version or not (out / version / "manifest.json").is_file():
        raise InputError(GRID, f"version publiée attendue, reçu {version!r}", None, "version")
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
    with db.session(url) as s:
        q = select(db.AuditEvent).order_by(db.AuditEvent.id.desc()).limit(limit)
        for column, value in ((db.AuditEvent.quarter, quarter), (db.AuditEvent.user, user),
                              (db.AuditEvent.action, action), (db.AuditEvent.territory, territory)):
            if value:
                q = q.where(column == value)
        rows = s.scalars(q).all()
    frame = pd.DataFrame([{c: getattr(e, c) for c in AUDIT_COLUMNS} for e in rows], columns=AUDIT_COLUMNS)
    frame["at"] = [when(v) for v in frame["at"]]
    frame["action"] = frame["action"].map(lambda a: ACTION_LABELS.get(a, a))
    frame["submission_id"] = [str(int(v)) if v is not None and v == v else "" for v in frame["submission_id"]]
    return frame


AUDIT_HEADERS = {"at": "date", "user": "utilisateur", "action": "action", "territory": "territoire",
                 "indicator": "indicateur", "quarter": "trimestre", "before": "avant", "after": "après",
                 "detail": "détail", "submission_id": "soumission"}


def audit_csv(frame: pd.DataFrame) -> str:
    return frame.rename(columns=AUDIT_HEADERS).to_csv(index=False, sep=";")


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
