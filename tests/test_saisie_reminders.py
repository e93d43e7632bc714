"""E-mail reminders of the saisie (``python -m dashboard.saisie remind``): the schedule and who gets what as pure
functions, then real runs against a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS with a throw-away
certificate, a password), whose inbox is read: recipients, subjects, bodies; a second run and a dry run send
nothing; bad input is a French error with exit code 2.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import ssl
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from dashboard import security, settings
from dashboard.accounts import Account
from dashboard.saisie import db, mail, reminders, service

from .helpers import ROOT, free_port
from .helpers.wait import until
from .saisie_support import new_database

Q = "2024Q2"                           # committee « +45 »: 14 August 2024; J-10 on the 4th, J-3 on the 11th
J10 = dt.date(2024, 8, 4)
ALICE = Account("alice", "contributeur", ("D15",))
BOB = Account("bob", "contributeur", ("D43",))
VERA = Account("vera", "valideur")
PASSWORD = "un mot de passe assez long"
SMTP_USER, SMTP_PASSWORD = "relances", "s3cret/à:é"


# ---- the schedule (pure) ---------------------------------------------------------------------

def test_the_default_committee_is_45_days_after_the_quarter_and_the_latest_reminder_reached_is_due():
    specs, days = settings.Settings.committee_dates, settings.Settings.remind_days
    assert reminders.committees("2025Q4", specs) == [dt.date(2026, 2, 14)]
    assert [(r.days, r.on) for r in reminders.schedule("2025Q4", specs, days)] == [
        (10, dt.date(2026, 2, 4)), (3, dt.date(2026, 2, 11))]
    due = lambda day: [r.key for r in reminders.due("2025Q4", specs, days, day)]  # noqa: E731
    assert due(dt.date(2026, 2, 3)) == []
    assert due(dt.date(2026, 2, 4)) == due(dt.date(2026, 2, 10)) == ["2026-02-14 J-10"]
    # J-10 missed (no cron that week): J-3 alone, never both at once
    assert due(dt.date(2026, 2, 11)) == due(dt.date(2026, 2, 14)) == ["2026-02-14 J-3"]
    assert due(dt.date(2026, 2, 15)) == []                    # the committee has met


def test_listed_dates_replace_the_rule_for_their_quarter_only():
    specs = ("2026-01-20", "2026-02-03", "+45")
    assert reminders.committees("2025Q4", specs) == [dt.date(2026, 1, 20), dt.date(2026, 2, 3)]
    assert reminders.committees("2026Q1", specs) == [dt.date(2026, 5, 15)]     # no date listed: +45
    keys = [r.key for r in reminders.due("2025Q4", specs, (10, 3), dt.date(2026, 1, 18))]
    assert keys == ["2026-01-20 J-3"]                    # the second committee's J-10 is 24 January
    # a committee early in a quarter is reminded during the previous one: both quarters are looked at
    assert reminders.quarters_of(dt.date(2026, 1, 10)) == ["2025Q4", "2026Q1"]


@pytest.mark.parametrize("name, value, expected", [
    ("COMMITTEE_DATES", "2026-02-30", "ACCES_SOINS_COMMITTEE_DATES : dates de comité AAAA-MM-JJ ou délai +N jours"),
    ("COMMITTEE_DATES", "+120", "reçu '+120'"),
    ("COMMITTEE_DATES", " ", "au moins une date de comité"),
    ("REMIND_DAYS", "10,trois", "ACCES_SOINS_REMIND_DAYS : nombres de jours avant le comité (0 à 90)"),
    ("SMTP_URL", "http://mail.ars.fr", "ACCES_SOINS_SMTP_URL : adresse smtp://utilisateur:mot-de-passe@hôte:port"),
    ("SMTP_URL", "smtp://mail.ars.fr:vingt-cinq", "port illisible"),
    ("MAIL_FROM", "relances", "ACCES_SOINS_MAIL_FROM : adresse électronique attendue"),
])
def test_bad_schedule_or_mail_settings_are_french_errors(monkeypatch, name, value, expected):
    monkeypatch.setenv(f"ACCES_SOINS_{name}", value)
    with pytest.raises(settings.SettingsError) as err:
        settings.load()
    assert expected in str(err.value)


def test_the_settings_read_the_schedule_and_the_server(monkeypatch):
    monkeypatch.setenv("ACCES_SOINS_COMMITTEE_DATES", "2026-01-20; +40")
    monkeypatch.setenv("ACCES_SOINS_REMIND_DAYS", "3, 14,3")
    monkeypatch.setenv("ACCES_SOINS_SMTP_URL", "smtps://relances%40ars:p%3Ass@mail.ars.fr")
    conf = settings.load()
    assert conf.committee_dates == ("2026-01-20", "+40") and conf.remind_days == (14, 3)
    assert conf.smtp == settings.SmtpServer("mail.ars.fr", 465, True, "relances@ars", "p:ss")
    assert "p:ss" not in repr(conf)                         # a password is never printed with the settings
    monkeypatch.setenv("ACCES_SOINS_SMTP_URL", "smtp://mail.ars.fr")
    assert settings.load().smtp == settings.SmtpServer("mail.ars.fr", 587, False)


# ---- who gets what (pure, on the default store) -----------------------------------------------

def _submission(ident, author, items):
    sub = db.Submission(id=ident, quarter=Q, author=author, status=db.SUBMITTED,
                        submitted_at=dt.datetime(2024, 7, 20, 8, 30))
    sub.items = [db.Item(indicator=i, territory=t, quarter=Q, value=1.0, entered_by=author) for i, t in items]
    return sub


def test_contributors_get_their_missing_values_and_valideurs_the_submissions_they_may_decide(store_data):
    import pandas as pd

    expected_d15 = service.expected(store_data, ["D15"])
    assert len(expected_d15) >= 2, "the default catalogue has entry indicators at département level"
    first, second = map(tuple, expected_d15.iloc[:2].values)
    states = pd.DataFrame([{"indicator": first[0], "territory": first[1], "status": db.SUBMITTED}])
    open_subs = [_submission(7, "alice", [first])]
    reminder = reminders.due(Q, ("+45",), (10, 3), J10)[0]
    victor = Account("victor", "valideur")
    out = reminders.plan(store_data, "R84", Q, [VERA, ALICE, victor, Account("lea", "lecteur")],
                         {"alice": "alice@ars.fr", "vera": "vera@ars.fr"}, states, {second}, open_subs,
                         [reminder], sent={("victor", reminder.key)}, link="https://acces.ars.fr")
    assert [(o.user, o.email, o.kind, o.count) for o in out] == [
        ("alice", "alice@ars.fr", "saisie", len(expected_d15) - 1), ("vera", "vera@ars.fr", "validation", 1)]
    alice, vera = out
    n = len(expected_d15) - 1
    assert alice.subject == f"[Accès aux soins] Saisie du T2 2024 : {n} valeur{'s' if n > 1 else ''} " \
                            f"manquante{'s' if n > 1 else ''}"
    assert "comité de suivi du plan d'accès aux soins du 14 août 2024 (dans 10 jours)" in alice.body
    assert f"({second[1]}) : brouillon enregistré, à soumettre" in alice.body          # a draft is not entered
    labels = store_data.indicators["short_label"]
    assert f"- {labels[first[0]]} — " not in alice.body and f"- {labels[second[0]]} — " in alice.body  # submitted
    assert "https://acces.ars.fr/saisie" in alice.body
    assert vera.subject == "[Accès aux soins] Validation du T2 2024 : 1 soumission à valider"
    assert "- n° 7, de alice, soumise le 20/07/2024 : 1 valeur (D15)" in vera.body
    # four eyes: whoever typed a value of it is not asked to decide it; a valideur of another region neither
    assert reminders.waiting(store_data, Account("alice2", "valideur"), "R84",
                             [_submission(8, "bob", [first])]) != []
    open_subs[0].items[0].entered_by = "alice,vera"
    assert reminders.waiting(store_data, VERA, "R84", open_subs) == []
    assert reminders.waiting(store_data, victor, "R53", [_submission(9, "bob", [first])]) == []
    # nothing missing, nothing waiting: nobody is written to
    everything = pd.DataFrame([{"indicator": i, "territory": t, "status": db.PUBLISHED}
                               for i, t in expected_d15.itertuples(index=False)])
    assert reminders.plan(store_data, "R84", Q, [ALICE], {}, everything, set(), [], [reminder], set(), "x") == []


def test_a_long_list_is_cut_and_counted(store_data):
    reminder = reminders.Reminder(Q, dt.date(2024, 8, 14), 0)
    found = [("mcs_count", "D15", False)] * (reminders.LISTED + 5)
    subject, body = reminders.saisie_text(store_data, ALICE, reminder, found, "http://x")
    assert "(aujourd'hui)" in body and "- … et 5 autres" in body and subject.endswith(": 35 valeurs manquantes")


# ---- a real SMTP server --------------------------------------------------------------------

class Inbox:
    """aiosmtpd handler keeping what it received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode() \
        and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)         # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (the client trusts it through SSL_CERT_FILE, as a site would
    name its internal authority)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl absent : impossible de créer le certificat du serveur SMTP de test")
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _controller(inbox, certificate, implicit_tls=False, starttls=True):
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    port = free_port()
    options = dict(authenticator=_authenticate, auth_require_tls=True)
    if implicit_tls:
        # aiosmtpd does not count implicit TLS as TLS for auth_require_tls: the whole session is TLS anyway
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context,
                                server_hostname="127.0.0.1", authenticator=_authenticate, auth_require_tls=False)
    elif starttls:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                                **options)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(certificate, monkeypatch):
    """(inbox, smtp:// URL with credentials) of a STARTTLS server on a free loopback port."""
    inbox = Inbox()
    controller = _controller(inbox, certificate)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    try:
        yield inbox, f"smtp://{SMTP_USER}:s3cret%2F%C3%A0%3A%C3%A9@127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture
def instance(tmp_path, built_store, request):
    """A copy of the store, a users file (alice and bob contributors, vera and victor valideurs), addresses for
    alice, vera and victor (bob has none), a SQLite database with alice's submission of one D15 value and a draft."""
    from dashboard import store

    shutil.copytree(built_store, tmp_path / "processed")
    users = tmp_path / "users"
    for account in (ALICE, BOB, VERA, Account("victor", "valideur")):
        security.add_user(users, account.name, PASSWORD, account.role, account.territories)
    url = new_database("sqlite", tmp_path, request)
    for name in ("alice", "vera", "victor"):
        reminders.set_email(url, name, f"{name}@ars.example.fr", actor="admin")
    data = store.open_store(tmp_path / "processed")
    first, second = map(tuple, service.expected(data, ["D15"]).iloc[:2].values)
    service.save_draft(url, data, ALICE, Q, *first, 9, "Bilan SAMU 15", "", None)
    ident = service.submit(url, data, ALICE, Q, "R84")
    service.save_draft(url, data, ALICE, Q, *second, 4, "Bilan", "", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
    env.update(ACCES_SOINS_DATA_DIR=str(tmp_path / "processed"), ACCES_SOINS_USERS_FILE=str(users),
               ACCES_SOINS_DATABASE_URL=url, ACCES_SOINS_MAIL_FROM="Accès aux soins <relances@ars.example.fr>",
               ACCES_SOINS_BASE_URL="https://acces-soins.ars.example.fr/")
    return {"url": url, "env": env, "data": data, "submission": ident, "missing": len(
        service.expected(data, ["D15"])) - 1}


def remind(env, *args):
    return subprocess.run([sys.executable, "-m", "dashboard.saisie", "remind", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)


def sent_rows(url):
    with db.engine(url).connect() as conn:
        return conn.execute(sa.text("SELECT user, quarter, reminder, kind, email FROM reminders_sent ORDER BY user")
                            ).all()


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_remind_sends_once_per_user_quarter_and_reminder_and_the_dry_run_sends_nothing(smtp_server, instance):
    inbox, smtp_url = smtp_server
    env = {**instance["env"], "ACCES_SOINS_SMTP_URL": smtp_url, "SSL_CERT_FILE": os.environ["SSL_CERT_FILE"]}
    n = instance["missing"]
    subject_alice = f"[Accès aux soins] Saisie du T2 2024 : {n} valeur{'s' if n > 1 else ''} " \
                    f"manquante{'s' if n > 1 else ''}"

    proc = remind(env, "--date", J10.isoformat(), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "Relance J-10 du comité du 14/08/2024 pour le T2 2024 :" in proc.stdout
    assert f"alice <alice@ars.example.fr> recevrait « {subject_alice} »" in proc.stdout
    assert "vera <vera@ars.example.fr> recevrait « [Accès aux soins] Validation du T2 2024 : 1 soumission à " \
           "valider »" in proc.stdout
    assert "bob : sans adresse électronique, rien n'est envoyé" in proc.stdout
    assert "Essai : 3 courriels à envoyer, aucun envoyé." in proc.stdout
    assert inbox.messages == [] and sent_rows(instance["url"]) == []

    proc = remind(env, "--date", J10.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert "3 courriels envoyés." in proc.stdout
    got = {tuple(rcpt): msg for rcpt, msg in inbox.messages}
    assert set(got) == {("alice@ars.example.fr",), ("vera@ars.example.fr",), ("victor@ars.example.fr",)}
    alice = got[("alice@ars.example.fr",)]
    assert alice["Subject"] == subject_alice and alice["From"] == "Accès aux soins <relances@ars.example.fr>"
    body = alice.get_content()
    assert body.startswith("Bonjour alice,") and "du 14 août 2024 (dans 10 jours)" in body
    assert "brouillon enregistré, à soumettre" in body
    assert "Saisir et soumettre : https://acces-soins.ars.example.fr/saisie (trimestre T2 2024)" in body
    vera = got[("vera@ars.example.fr",)]
    assert vera["Subject"] == "[Accès aux soins] Validation du T2 2024 : 1 soumission à valider"
    assert f"- n° {instance['submission']}, de alice, soumise le " in vera.get_content()
    assert [tuple(r) for r in sent_rows(instance["url"])] == [
        ("alice", Q, "2024-08-14 J-10", "saisie", "alice@ars.example.fr"),
        ("vera", Q, "2024-08-14 J-10", "validation", "vera@ars.example.fr"),
        ("victor", Q, "2024-08-14 J-10", "validation", "victor@ars.example.fr")]
    log = service.audit_rows(instance["url"], action="remind")
    assert len(log) == 3 and set(log["after"]) == {"alice@ars.example.fr", "vera@ars.example.fr",
                                                   "victor@ars.example.fr"}
    assert log["action"].iloc[0] == "relance par courriel" and "relance 2024-08-14 J-10 à" in log["detail"].iloc[0]

    # the next day, again (cron and the Celery job both): nothing twice
    proc = remind(env, "--date", "2024-08-05")
    assert proc.returncode == 0, proc.stderr
    assert "0 courriel envoyé." in proc.stdout and len(inbox.messages) == 3
    # the J-3 reminder is another one: sent, to those still concerned
    proc = remind(env, "--date", "2024-08-11")
    assert proc.returncode == 0, proc.stderr
    assert len(inbox.messages) == 6 and "dans 3 jours" in inbox.messages[-1][1].get_content()


def test_nothing_due_says_when_the_reminders_are(instance):
    proc = remind(instance["env"], "--quarter", Q, "--date", "2024-07-01", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ("Aucune relance due le 01/07/2024 pour le T2 2024 (comité : 14/08/2024 ; "
                                   "relances : J-10 le 04/08/2024, J-3 le 11/08/2024).")


@pytest.mark.parametrize("args, env, expected", [
    (["--quarter", "T2 2024"], {}, "--quarter:-:-: trimestre attendu au format 2025Q4, reçu 'T2 2024'"),
    (["--date", "04/08/2024"], {}, "--date:-:-: date attendue au format AAAA-MM-JJ, reçu '04/08/2024'"),
    ([], {"ACCES_SOINS_SMTP_URL": "smtp://"}, "erreur : ACCES_SOINS_SMTP_URL : adresse smtp://utilisateur"),
    ([], {"ACCES_SOINS_SMTP_URL": "mail.ars.fr:25"}, "erreur : ACCES_SOINS_SMTP_URL : adresse smtp://"),
    ([], {"ACCES_SOINS_REMIND_DAYS": "dix"}, "erreur : ACCES_SOINS_REMIND_DAYS : nombres de jours"),
    ([], {}, "erreur : ACCES_SOINS_SMTP_URL n'est pas défini : aucun courriel ne peut partir"),
    ([], {"ACCES_SOINS_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"},
     "erreur : serveur SMTP 127.0.0.1:"),
])
def test_bad_input_is_a_french_error_exit_2_and_nothing_is_recorded(instance, args, env, expected):
    proc = remind({**instance["env"], **env}, "--date", J10.isoformat(), *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines()[-1].startswith(expected), proc.stderr
    assert "Traceback" not in proc.stderr
    assert sent_rows(instance["url"]) == []


def test_a_server_without_starttls_gets_nothing_in_clear(certificate, instance, monkeypatch):
    inbox = Inbox()
    controller = _controller(inbox, certificate, starttls=False)
    try:
        proc = remind({**instance["env"], "ACCES_SOINS_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"},
                      "--date", J10.isoformat())
    finally:
        controller.stop()
    assert proc.returncode == 2 and "ne propose pas STARTTLS : rien n'est envoyé en clair" in proc.stderr
    assert inbox.messages == [] and sent_rows(instance["url"]) == []


def test_a_wrong_password_is_said_and_leaves_nothing_claimed(smtp_server, instance):
    _inbox, smtp_url = smtp_server
    proc = remind({**instance["env"], "ACCES_SOINS_SMTP_URL": smtp_url.replace("s3cret", "faux"),
                   "SSL_CERT_FILE": os.environ["SSL_CERT_FILE"]}, "--date", J10.isoformat())
    assert proc.returncode == 2 and "refuse l'identifiant ou le mot de passe" in proc.stderr, proc.stderr
    assert sent_rows(instance["url"]) == []


def test_a_refused_recipient_releases_its_claim_and_keeps_what_was_sent(smtp_server, instance, monkeypatch):
    """The claim is taken before sending: a message the server refuses must not count as sent."""
    inbox, smtp_url = smtp_server
    reminders.set_email(instance["url"], "vera", "vera@refuse.example.fr", actor="admin")
    real = mail.send

    def refusing(client, msg):
        if msg["To"].endswith("@refuse.example.fr"):
            raise mail.MailError(f"envoi à {msg['To']} refusé par le serveur SMTP (550)")
        real(client, msg)
    monkeypatch.setattr(mail, "send", refusing)
    conf = settings.Settings(data_dir=instance["env"]["ACCES_SOINS_DATA_DIR"], database_url=instance["url"],
                             users_file=instance["env"]["ACCES_SOINS_USERS_FILE"], mail_from="relances@ars.example.fr",
                             smtp=settings.parse_smtp_url(smtp_url))
    with pytest.raises(mail.MailError, match="vera@refuse.example.fr"):
        reminders.run_all(conf, instance["data"], J10)
    assert [r[0] for r in sent_rows(instance["url"])] == ["alice"]           # alice's went, vera's did not
    monkeypatch.setattr(mail, "send", real)
    reminders.run_all(conf, instance["data"], J10)
    assert [r[0] for r in sent_rows(instance["url"])] == ["alice", "vera", "victor"]
    assert sorted(r[0][0] for r in inbox.messages) == ["alice@ars.example.fr", "vera@refuse.example.fr",
                                                       "victor@ars.example.fr"]


def test_implicit_tls_smtps(certificate, instance, monkeypatch):
    inbox = Inbox()
    controller = _controller(inbox, certificate, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    conf = settings.Settings(data_dir=instance["env"]["ACCES_SOINS_DATA_DIR"], database_url=instance["url"],
                             users_file=instance["env"]["ACCES_SOINS_USERS_FILE"], mail_from="relances@ars.example.fr",
                             smtp=settings.SmtpServer("127.0.0.1", controller.port, True, SMTP_USER, SMTP_PASSWORD))
    try:
        lines = reminders.run_all(conf, instance["data"], J10, quarter=Q)
    finally:
        controller.stop()
    assert lines[-1] == "3 courriels envoyés." and len(inbox.messages) == 3


def test_two_runs_at_once_send_each_reminder_once(smtp_server, database_url, tmp_path, built_store):
    """The claim is the database's unique key, on SQLite and PostgreSQL: cron and the Celery job together."""
    from dashboard import store

    inbox, smtp_url = smtp_server
    data = store.open_store(built_store)
    users = tmp_path / "users"
    security.add_user(users, "alice", PASSWORD, "contributeur", "D15")
    reminders.set_email(database_url, "alice", "alice@ars.example.fr", actor="admin")
    conf = settings.Settings(data_dir=built_store, database_url=database_url, users_file=str(users),
                             mail_from="relances@ars.example.fr", smtp=settings.parse_smtp_url(smtp_url))
    errors = []

    def one():
        try:
            reminders.run_all(conf, data, J10)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(inbox.messages) == 1 and len(sent_rows(database_url)) == 1


# ---- addresses ------------------------------------------------------------------------------

@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_add_user_with_email_stores_it_in_the_database_and_set_email_changes_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
    env.update(ACCES_SOINS_DATABASE_URL=url, ACCES_SOINS_USERS_FILE=str(tmp_path / "users"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "dashboard.security", *a], cwd=ROOT,  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=120)
    proc = run("add-user", "alice", "--role", "contributeur", "--territoires", "D15", "--password", PASSWORD,
               "--email", "alice@ars.example.fr")
    assert proc.returncode == 0, proc.stderr
    assert reminders.emails(url) == {"alice": "alice@ars.example.fr"}
    proc = run("set-email", "alice", "a.martin@ars.example.fr")
    assert proc.returncode == 0, proc.stderr
    assert reminders.emails(url) == {"alice": "a.martin@ars.example.fr"}
    log = service.audit_rows(url, action="email")
    assert list(log["before"]) == ["alice@ars.example.fr", ""] and log["action"].iloc[0] == "adresse électronique"
    # a bad address: French, exit 2, and no user is created without it
    proc = run("add-user", "bob", "--role", "contributeur", "--territoires", "D43", "--password", PASSWORD,
               "--email", "bob@")
    assert proc.returncode == 2 and "adresse électronique attendue (nom@domaine.fr), reçu 'bob@'" in proc.stderr
    assert "bob" not in security.read_accounts(tmp_path / "users")
    proc = run("set-email", "inconnu", "x@ars.example.fr")
    assert proc.returncode == 2 and "utilisateur inconnu : inconnu" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the daily Celery job ---------------------------------------------------------------------

def test_the_celery_beat_schedule_runs_the_reminders_daily(smtp_server, instance, monkeypatch):
    from celery import Celery
    from celery.schedules import crontab

    from dashboard import worker

    inbox, smtp_url = smtp_server
    app = Celery("essai", broker="memory://", backend="cache+memory://")
    worker.schedule_reminders(app)
    entry = app.conf.beat_schedule["relances-saisie"]
    assert entry["task"] == worker.REMIND_TASK and entry["schedule"] == crontab(hour=7, minute=0)
    assert app.conf.timezone == "Europe/Paris"
    conf = settings.Settings(data_dir=instance["env"]["ACCES_SOINS_DATA_DIR"], database_url=instance["url"],
                             users_file=instance["env"]["ACCES_SOINS_USERS_FILE"], mail_from="relances@ars.example.fr",
                             smtp=settings.parse_smtp_url(smtp_url))
    monkeypatch.setattr(settings, "_CURRENT", conf)          # the task reads the process's settings
    monkeypatch.setattr(worker, "_today", lambda: J10)
    first = app.tasks[worker.REMIND_TASK].apply().get()
    again = app.tasks[worker.REMIND_TASK].apply().get()
    assert first[-1] == "3 courriels envoyés." and again[-1] == "0 courriel envoyé."
    until(lambda: len(inbox.messages) == 3, 10, "les trois courriels de la tâche")
    assert len(inbox.messages) == 3
