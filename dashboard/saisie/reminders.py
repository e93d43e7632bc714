"""E-mail reminders before each steering committee (docs/saisie.md, « Relances par courriel »).

Pure part — the schedule (:func:`due`), who gets what (:func:`plan`) and the French texts — so that the rules
are tested without a database or an SMTP server. Side part — :func:`run` — reads the accounts, their addresses
and the quarter's state, **claims** each reminder in ``reminders_sent`` (unique user × quarter × reminder) before
sending it, so that a second run, a cron beside the daily Celery job, or two of them at once send nothing twice,
and writes what was sent to the audit log.

Who: a *contributeur* whose scope still misses values of the quarter (an expected entry with no submitted,
approved or published value: a draft not yet submitted is missing, and said so); a *valideur* or *admin* for whom
submissions of the quarter wait (in their region, and not one they may not decide: four eyes).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import accounts, fmt, periods
from ..accounts import Account
from . import db, mail, service

SUBJECT_PREFIX = "[Accès aux soins]"
ACTOR = "(relances)"              # the audit log's « user » of what the job does by itself
LISTED = 30                       # lines of missing values or submissions in one message; the rest counted
_EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class RemindError(Exception):
    """The reminders cannot run as asked (configuration, unreadable users file); the text is French."""


# ---- the schedule (pure) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    """The reminder sent ``days`` before the committee that examines ``quarter``."""
    quarter: str
    committee: dt.date
    days: int

    @property
    def on(self) -> dt.date:
        return self.committee - dt.timedelta(days=self.days)

    @property
    def key(self) -> str:
        """What ``reminders_sent`` keeps: the committee and the reminder, so that a committee moved to another
        date reminds again, and a reminder added to the settings too."""
        return f"{self.committee.isoformat()} J-{self.days}"


def committee_quarter(day: dt.date | str) -> str:
    """The quarter a committee on ``day`` examines: the last one ended (as the saisie's default quarter)."""
    return periods.shift(periods.from_date(day), -1)


def committees(quarter: str, specs: tuple[str, ...]) -> list[dt.date]:
    """The committees of ``quarter``: the listed dates that examine it, else « +N » days after its end."""
    explicit = sorted(dt.date.fromisoformat(s) for s in specs
                      if not s.startswith("+") and committee_quarter(s) == quarter)
    if explicit:
        return explicit
    end = periods.end_date(quarter)
    return sorted({end + dt.timedelta(days=int(s[1:])) for s in specs if s.startswith("+")})


def schedule(quarter: str, specs: tuple[str, ...], days: tuple[int, ...]) -> list[Reminder]:
    return sorted((Reminder(quarter, c, n) for c in committees(quarter, specs) for n in days), key=lambda r: r.on)


def due(quarter: str, specs: tuple[str, ...], days: tuple[int, ...], today: dt.date) -> list[Reminder]:
    """The reminders to send on ``today``: per committee not yet held, the latest reminder whose day has come.
    An earlier one that was missed (no cron that day) is superseded, never sent late beside it."""
    out = []
    for committee in committees(quarter, specs):
        reached = [r for r in schedule(quarter, specs, days) if r.committee == committee and r.on <= today <= committee]
        if reached:
            out.append(min(reached, key=lambda r: r.days))
    return out


# ---- who gets what (pure) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outgoing:
    """One e-mail to send (or, without an address, that cannot be)."""
    user: str
    email: str | None
    kind: str                     # "saisie": missing values; "validation": submissions waiting
    reminder: Reminder
    count: int
    subject: str
    body: str = field(repr=False)


def missing(data, account: Account, region: str, states, drafted: set) -> list[tuple[str, str, bool]]:
    """(indicator, territory, has a draft) of the account's expected entries with no submitted or validated value.
    ``states``: :func:`service.item_states` of the quarter; ``drafted``: keys with a draft holding a value."""
    entered = set()
    if len(states):
        live = states[states["status"].isin((db.SUBMITTED, *db.VALIDATED))]
        entered = set(zip(live["indicator"], live["territory"]))
    exp = service.expected(data, service.scope(data, account, region))
    return [(i, t, (i, t) in drafted) for i, t in zip(exp["indicator"], exp["territory"]) if (i, t) not in entered]


def waiting(data, account: Account, region: str, open_subs: list) -> list:
    """Open submissions this account may decide: all its values in the account's region, none of them typed by it."""
    return [s for s in open_subs
            if all(service.in_scope(data, account, region, it.territory) for it in s.items)
            and account.name not in service.hands(s)]


def plan(data, region: str, quarter: str, people: list[Account], emails: dict[str, str], states, drafted: set,
         open_subs: list, reminders: list[Reminder], sent: set[tuple[str, str]], link: str) -> list[Outgoing]:
    """Every e-mail due: per reminder and person (by name), unless ``sent`` holds (name, reminder key)."""
    out = []
    for reminder in reminders:
        for account in sorted(people, key=lambda a: a.name):
            if (account.name, reminder.key) in sent:
                continue
            if account.role == "contributeur":
                found = missing(data, account, region, states, drafted)
                if found:
                    out.append(_outgoing(account, emails, "saisie", reminder, len(found),
                                         saisie_text(data, account, reminder, found, link)))
            elif account.at_least("valideur"):
                found = waiting(data, account, region, open_subs)
                if found:
                    out.append(_outgoing(account, emails, "validation", reminder, len(found),
                                         validation_text(data, account, reminder, found, link)))
    return out


def _outgoing(account: Account, emails: dict, kind: str, reminder: Reminder, count: int,
              text: tuple[str, str]) -> Outgoing:
    return Outgoing(account.name, emails.get(account.name), kind, reminder, count, *text)


# ---- the texts (pure, French) ------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{fmt.number(n, 0)} {word}{'s' if n > 1 else ''}"


def _committee_line(reminder: Reminder) -> str:
    when = "aujourd'hui" if reminder.days == 0 else f"dans {_plural(reminder.days, 'jour')}"
    return (f"Le comité de suivi du plan d'accès aux soins du {fmt.date(reminder.committee)} ({when}) examinera "
            f"les chiffres du {fmt.quarter(reminder.quarter)}.")


def _footer(reminder: Reminder) -> str:
    return (f"Relance automatique (J-{reminder.days} avant le comité du {fmt.date(reminder.committee)}), envoyée "
            "une seule fois par le tableau de bord Accès aux soins ; merci de ne pas y répondre.")


def _listed(lines: list[str]) -> list[str]:
    more = len(lines) - LISTED
    return lines[:LISTED] + ([f"- … et {_plural(more, 'autre')}"] if more > 0 else [])


def saisie_text(data, account: Account, reminder: Reminder, found: list[tuple[str, str, bool]],
                link: str) -> tuple[str, str]:
    """« [Accès aux soins] Saisie du T4 2025 : 3 valeurs manquantes » and its body."""
    n, q = len(found), fmt.quarter(reminder.quarter)
    subject = f"{SUBJECT_PREFIX} Saisie du {q} : {_plural(n, 'valeur')} manquante{'s' if n > 1 else ''}"
    labels, names = data.indicators["short_label"].to_dict(), data.territories["name"].to_dict()
    lines = [f"- {labels.get(i, i)} — {names.get(t, t)} ({t})" + (" : brouillon enregistré, à soumettre" if d else "")
             for i, t, d in found]
    body = "\n".join([
        f"Bonjour {account.name},", "",
        _committee_line(reminder), "",
        f"Il manque encore {_plural(n, 'valeur')} de votre périmètre ({', '.join(account.territories)}), "
        "non soumise" + ("s" if n > 1 else "") + " à validation :", "",
        *_listed(lines), "",
        f"Saisir et soumettre : {link}/saisie (trimestre {q})", "",
        "-- ", _footer(reminder), ""])
    return subject, body


def validation_text(data, account: Account, reminder: Reminder, found: list, link: str) -> tuple[str, str]:
    """« [Accès aux soins] Validation du T4 2025 : 2 soumissions à valider » and its body."""
    n, q = len(found), fmt.quarter(reminder.quarter)
    subject = f"{SUBJECT_PREFIX} Validation du {q} : {_plural(n, 'soumission')} à valider"
    lines = []
    for sub in found:
        codes = sorted({it.territory for it in sub.items})
        lines.append(f"- n° {sub.id}, de {sub.author}, soumise le {fmt.day(db.local_time(sub.submitted_at))} : "
                     f"{_plural(len(sub.items), 'valeur')} ({', '.join(codes)})")
    body = "\n".join([
        f"Bonjour {account.name},", "",
        _committee_line(reminder), "",
        f"{_plural(n, 'soumission')} du {q} attend{'ent' if n > 1 else ''} votre décision :", "",
        *_listed(lines), "",
        f"Relire, approuver ou rejeter : {link}/saisie (trimestre {q})", "",
        "-- ", _footer(reminder), ""])
    return subject, body


# ---- addresses --------------------------------------------------------------------------------

def check_email(text: str) -> str:
    """A user's address as stored; ValueError (French) otherwise."""
    text = (text or "").strip()
    if len(text) > 254 or not _EMAIL_RE.match(text):
        raise ValueError(f"adresse électronique attendue (nom@domaine.fr), reçu {text[:80]!r}")
    return text


def set_email(url: str, name: str, address: str, actor: str) -> None:
    """Store (or replace) ``name``'s address; audited with before and after."""
    address = check_email(address)
    with db.session(url) as s, s.begin():
        row = s.get(db.UserEmail, name)
        before = row.email if row else ""
        if row is None:
            s.add(db.UserEmail(name=name, email=address))
        else:
            row.email, row.updated_at = address, db.utcnow()
        service._audit(s, actor, "email", before=before, after=address, detail=f"adresse de {name}")


def emails(url: str) -> dict[str, str]:
    with db.read_session(url) as s:
        return {r.name: r.email for r in s.scalars(select(db.UserEmail))}


# ---- the run -------------------------------------------------------------------------------------

@dataclass
class Report:
    reminders: list[Reminder]
    outgoing: list[Outgoing]
    sent: list[Outgoing] = field(default_factory=list)

    @property
    def without_address(self) -> list[Outgoing]:
        return [o for o in self.outgoing if not o.email]


def people(conf) -> list[Account]:
    """Everyone the instance gives a role (users file, roles file), or RemindError."""
    try:
        return accounts.all_accounts(conf)
    except (OSError, ValueError) as exc:
        raise RemindError(f"comptes illisibles : {exc}") from None


def _state(url: str, quarter: str):
    with db.read_session(url) as s:
        drafted = set(s.execute(select(db.Draft.indicator, db.Draft.territory).where(
            db.Draft.quarter == quarter, db.Draft.value.is_not(None))).all())
        sent = set(s.execute(select(db.ReminderSent.user, db.ReminderSent.reminder).where(
            db.ReminderSent.quarter == quarter)).all())
    return drafted, sent


def prepare(url: str, conf, data, quarter: str, today: dt.date) -> Report:
    """What is due on ``today`` for ``quarter`` and not sent yet (reads only)."""
    reminders = due(quarter, conf.committee_dates, conf.remind_days, today)
    if not reminders:
        return Report([], [])
    drafted, sent = _state(url, quarter)
    out = plan(data, conf.region, quarter, people(conf), emails(url), service.item_states(url, quarter), drafted,
               service.submissions(url, status=db.SUBMITTED, quarter=quarter), reminders, sent, link(conf))
    return Report(reminders, out)


def link(conf) -> str:
    """The instance as its users open it: ``ACCES_SOINS_BASE_URL``, else the address it serves."""
    return conf.base_url or f"http://{conf.host}:{conf.port}"


def run(url: str, conf, data, quarter: str, today: dt.date, dry_run: bool = False) -> Report:
    """Prepare, and unless ``dry_run`` send each e-mail that has an address: claimed first (a unique row of
    ``reminders_sent``: someone else's claim means it is, or is being, sent), released if sending fails."""
    report = prepare(url, conf, data, quarter, today)
    todo = [o for o in report.outgoing if o.email]
    if dry_run or not todo:
        return report
    if conf.smtp is None:
        raise RemindError("ACCES_SOINS_SMTP_URL n'est pas défini : aucun courriel ne peut partir "
                          "(--dry-run pour voir qui en recevrait)")
    if not conf.mail_from:
        raise RemindError("ACCES_SOINS_MAIL_FROM n'est pas défini : l'adresse d'expédition des relances est requise")
    with mail.connection(conf.smtp) as client:
        for o in todo:
            if not _claim(url, o):
                continue
            try:
                mail.send(client, mail.message(conf.mail_from, o.email, o.subject, o.body))
            except mail.MailError:
                _release(url, o)
                raise
            service.record(url, ACTOR, "remind", quarter=quarter, after=o.email,
                           detail=f"relance {o.reminder.key} à {o.user} : {o.subject}")
            report.sent.append(o)
    return report


def _claim(url: str, o: Outgoing) -> bool:
    try:
        with db.session(url) as s, s.begin():
            s.add(db.ReminderSent(user=o.user, quarter=o.reminder.quarter, reminder=o.reminder.key, kind=o.kind,
                                  email=o.email, subject=o.subject[:1000]))
    except IntegrityError:
        return False
    return True


def _release(url: str, o: Outgoing) -> None:
    with db.session(url) as s, s.begin():
        s.execute(delete(db.ReminderSent).where(db.ReminderSent.user == o.user,
                                                db.ReminderSent.quarter == o.reminder.quarter,
                                                db.ReminderSent.reminder == o.reminder.key))


def describe(report: Report, quarter: str, conf, today: dt.date, dry_run: bool) -> list[str]:
    """The run in French, one line each (the CLI's output)."""
    q = fmt.quarter(quarter)
    if not report.reminders:
        planned = schedule(quarter, conf.committee_dates, conf.remind_days)
        when = ", ".join(f"J-{r.days} le {fmt.day(r.on)}" for r in planned) or "aucune"
        held = ", ".join(fmt.day(c) for c in committees(quarter, conf.committee_dates))
        return [f"Aucune relance due le {fmt.day(today)} pour le {q} (comité : {held} ; relances : {when})."]
    lines = []
    for r in report.reminders:
        lines.append(f"Relance J-{r.days} du comité du {fmt.day(r.committee)} pour le {q} :")
    verb = "recevrait" if dry_run else "reçoit"
    for o in report.outgoing:
        if not o.email:
            lines.append(f"  {o.user} : sans adresse électronique, rien n'est envoyé — {o.subject} "
                         f"(python -m dashboard.security set-email {o.user} ADRESSE)")
        elif dry_run or o in report.sent:
            lines.append(f"  {o.user} <{o.email}> {verb} « {o.subject} »")
    if not report.outgoing:
        lines.append("  personne à relancer (rien ne manque, rien n'attend, ou relances déjà envoyées).")
    sent = len(report.sent)
    lines.append(f"Essai : {_plural(len([o for o in report.outgoing if o.email]), 'courriel')} à envoyer, aucun "
                 "envoyé." if dry_run else f"{_plural(sent, 'courriel')} envoyé{'s' if sent > 1 else ''}.")
    return lines


def quarters_of(today: dt.date) -> list[str]:
    """The quarters whose committee a reminder sent on ``today`` may concern: the one ended (its committee
    comes in this quarter) and the current one (a committee listed early in the next quarter, reminded now)."""
    return [committee_quarter(today), periods.from_date(today)]


def run_all(conf, data, today: dt.date, quarter: str | None = None, dry_run: bool = False) -> list[str]:
    """The command and the daily job: every quarter concerned (or ``quarter``), its lines in French."""
    url = db.database_url(conf)
    lines = []
    for q in [quarter] if quarter else quarters_of(today):
        report = run(url, conf, data, q, today, dry_run)
        if report.reminders or quarter:
            lines += describe(report, q, conf, today, dry_run)
    return lines or [f"Aucune relance due le {fmt.day(today)} ({', '.join(map(fmt.quarter, quarters_of(today)))})."]
