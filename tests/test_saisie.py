"""Saisie du trimestre: database, roles and scopes, drafts, submit/approve/reject/publish, audit, CLI.

Every database test runs twice: on a SQLite file and on a real PostgreSQL server (tests/saisie_support.py),
each time on an empty database that the application migrates itself.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import queries, security, settings, store
from dashboard.pipeline.build import build
from dashboard.pipeline.errors import InputError
from dashboard.saisie import db, service
from dashboard.saisie.source import entries_of

from .helpers import RAW, ROOT

Q = "2024Q2"
ALICE = security.Account("alice", "contributeur", ("D15",))
BOB = security.Account("bob", "contributeur", ("D15", "D43"))
VAL = security.Account("vera", "valideur")
VICTOR = security.Account("victor", "valideur")
ADMIN = security.Account("adam", "admin")
READER = security.Account("lea", "lecteur")


def audit(url: str) -> pd.DataFrame:
    return service.audit_rows(url)


# ---- schema ------------------------------------------------------------------------------------

def test_migrations_create_the_schema_from_an_empty_database(database_url):
    db.upgrade(database_url)
    inspector = sa.inspect(db.engine(database_url))
    assert {"drafts", "submissions", "submission_items", "audit_log", "alembic_version"} <= set(
        inspector.get_table_names())
    with db.engine(database_url).connect() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    assert head == ScriptDirectory.from_config(cfg).get_current_head()
    db._UPGRADED.discard(database_url)
    db.upgrade(database_url)                       # idempotent


def test_the_migrations_build_exactly_the_models(database_url):
    """What Alembic creates is what the models declare (autogenerate finds nothing to change): the models may be
    refactored (the EntryRow mixin) without a migration only while this holds."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db.upgrade(database_url)
    with db.engine(database_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, db.Base.metadata) == []
    assert [c.name for c in db.Draft.__table__.columns] == [
        "id", "indicator", "territory", "quarter", "value", "source", "note", "author", "updated_at", "revision"]


# ---- drafts ----------------------------------------------------------------------------------

def test_a_draft_is_saved_as_typed_and_survives_a_restart(database_url, store_data):
    saved = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "Bilan SAMU", "", None)
    assert saved.revision == 1 and saved.error is None
    # a restart: no engine, no session factory left in the process
    db.engine(database_url).dispose()
    db.engine.cache_clear()
    db._factory.cache_clear()
    rows = service.grid_rows(database_url, store_data, ALICE, Q, "R84")
    row = next(r for r in rows if r["indicator"] == "mcs_count" and r["territory"] == "D15")
    assert row["valeur"] == 9 and row["source"] == "Bilan SAMU" and row["statut"] == "brouillon"
    assert {r["territory"] for r in rows} == {"D15"}          # only the contributor's scope


def test_the_grid_shows_beside_each_cell_the_published_value_its_quarter_and_status(database_url, store_data):
    from dashboard import fmt, queries

    rows = service.grid_rows(database_url, store_data, ALICE, Q, "R84")
    seen = set()
    for r in rows:
        shown = queries.value_at(store_data, r["indicator"], r["territory"], Q)
        if shown is None:
            assert (r["publiee"], r["mesuree"], r["donnee"]) == ("–", "–", "aucune valeur publiée")
            continue
        assert r["publiee"] == service.number_text(shown["value"]) and r["mesuree"] == fmt.quarter(shown["period"])
        assert r["demo"] == (shown["status"] == "demo") and ("démo" in r["donnee"]) == r["demo"]
        seen.add(shown["status"])
    assert {"observed", "demo"} <= seen        # Cantal's scope has both: the test sees each case


def test_a_second_editor_gets_a_conflict_never_a_silent_overwrite(database_url, store_data):
    first = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "s", "", None)
    service.save_draft(database_url, store_data, BOB, Q, "mcs_count", "D15", 11, "s", "", first.revision)
    with pytest.raises(service.Conflict, match="modifiée par bob"):
        service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 10, "s", "", first.revision)
    with pytest.raises(service.Conflict):         # a new row typed by two people at once
        service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 10, "s", "", None)
    row = next(r for r in service.grid_rows(database_url, store_data, ALICE, Q, "R84")
               if r["indicator"] == "mcs_count")
    assert row["valeur"] == 11


def test_scope_is_enforced_and_refusals_are_audited(database_url, store_data):
    with pytest.raises(service.Refused):
        service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D69", 9, "s", "", None)
    with pytest.raises(service.Refused):
        service.save_draft(database_url, store_data, READER, Q, "mcs_count", "D15", 9, "s", "", None)
    with pytest.raises(service.Refused):
        service.save_draft(database_url, store_data, None, Q, "mcs_count", "D15", 9, "s", "", None)
    with pytest.raises(service.Refused):
        service.decide(database_url, ALICE, 1, True, data=store_data)
    log = audit(database_url)
    refused = log[log["action"] == "tentative refusée"]
    assert len(refused) == 4
    assert set(refused["user"]) == {"alice", "lea", "(anonyme)"}
    assert "D69" in set(refused["territory"])
    assert service.drafts(database_url, Q, ["D15", "D69"]).empty


def test_values_are_checked_by_the_pipeline_rules(database_url, store_data):
    bad = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", -3, "s", "", None)
    assert bad.error and bad.error[0] == "valeur" and "hors des bornes plausibles : attendu au moins 0" in bad.error[1]
    with pytest.raises(InputError) as exc:                      # submit refuses what the rules refuse
        service.submit(database_url, store_data, ALICE, Q, "R84")
    assert (exc.value.row, exc.value.column) == (1, "valeur")
    before = service.last_known(store_data, "mcs_count", "D15", Q)
    jump = before["value"] * 10 + 10
    saved = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", jump, "s", "", bad.revision)
    assert saved.warning and saved.error[0] == "note" and "une note" in saved.error[1]
    noted = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", jump, "s",
                               "ouverture de deux antennes", saved.revision)
    assert noted.error is None and noted.warning
    with pytest.raises(InputError, match="indicateur à saisir"):
        service.save_draft(database_url, store_data, ALICE, Q, "apl_mg_mean", "D15", 3, "s", "", None)


# ---- the journey --------------------------------------------------------------------------------

def conf_for(url, tmp_path):
    return settings.Settings(data_dir=tmp_path / "processed", raw_dir=RAW, region="R84", database_url=url,
                             secret_key="test")


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_submit_approve_publish_and_rebuild_gives_the_same_observations(database_url, store_data, tmp_path):
    conf = conf_for(database_url, tmp_path)
    saved = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "Bilan SAMU 15", "", None)
    assert saved.error is None
    ident = service.submit(database_url, store_data, ALICE, Q, "R84")
    assert service.drafts(database_url, Q, ["D15"]).empty
    with pytest.raises(service.Conflict):                 # the same value cannot be pending twice
        service.save_draft(database_url, store_data, BOB, Q, "mcs_count", "D15", 8, "s", "", None)
    service.decide(database_url, VAL, ident, approve=True, data=store_data)
    with pytest.raises(service.Conflict, match="déjà approuvée"):
        service.decide(database_url, VAL, ident, approve=False, comment="trop tard", data=store_data)
    version = service.publish(database_url, conf, VAL)
    data = store.open_store(conf.data_dir)
    assert data.version == version
    row = queries.value_at(data, "mcs_count", "D15", Q)
    assert row["period"] == Q and row["value"] == 9 and row["status"] == "observed"
    assert row["source"].startswith("ARS Auvergne-Rhône-Alpes, saisie du ")
    assert "validée par vera" in row["source"] and "Bilan SAMU 15" in row["source"]
    assert data.manifest["facts"]["saisie"]["submissions"] == [ident]
    assert service.get_submission(database_url, ident).status == db.PUBLISHED
    # a rebuild from the raw folder and the database reproduces the published observations
    again = build([RAW], tmp_path / "rebuilt", region="R84", echo=lambda _l: None,
                  entries=entries_of(database_url))
    rebuilt = store.open_store(tmp_path / "rebuilt")
    pd.testing.assert_frame_equal(rebuilt.observations, data.observations)
    assert again.manifest["facts"]["saisie"] == data.manifest["facts"]["saisie"]
    actions = list(audit(database_url)["action"])[::-1]
    assert actions == ["brouillon", "soumission", "approbation", "publication"]
    assert service.quarter_completeness(database_url, data, "R84", Q)["done"] == 1


def test_reject_sends_the_values_back_with_the_comment(database_url, store_data):
    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "Bilan", "", None)
    ident = service.submit(database_url, store_data, ALICE, Q, "R84")
    with pytest.raises(InputError, match="commentaire"):
        service.decide(database_url, VAL, ident, approve=False, comment="  ", data=store_data)
    service.decide(database_url, VAL, ident, approve=False, comment="Source à préciser", data=store_data)
    row = next(r for r in service.grid_rows(database_url, store_data, ALICE, Q, "R84")
               if r["indicator"] == "mcs_count")
    assert row["valeur"] == 9 and row["statut"] == "brouillon"
    assert service.get_submission(database_url, ident).comment == "Source à préciser"


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_withdraw_and_rollback_publish_new_versions(database_url, store_data, tmp_path):
    conf = conf_for(database_url, tmp_path)
    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "Bilan", "", None)
    ident = service.submit(database_url, store_data, ALICE, Q, "R84")
    service.decide(database_url, VAL, ident, approve=True, data=store_data)
    first = service.publish(database_url, conf, VAL)
    item = service.get_submission(database_url, ident).items[0]
    with pytest.raises(service.Refused):
        service.withdraw(database_url, conf, VAL, item.id, data=store_data)
    second = service.withdraw(database_url, conf, ADMIN, item.id, data=store_data)
    assert queries.value_at(store.open_store(conf.data_dir), "mcs_count", "D15", Q)["period"] != Q
    service.rollback(database_url, conf, ADMIN, first)
    assert store.current_version(conf.data_dir) in (first, second)   # re-read at most once a second
    from dashboard.pipeline import publish as pub
    assert pub.current(conf.data_dir) == first
    assert {"retrait", "retour à une version"} <= set(audit(database_url)["action"])


def test_four_eyes_nobody_decides_on_their_own_submission(database_url, store_data):
    """The author of a submission cannot approve or reject it, an admin neither (refused and audited); another
    valideur can."""
    service.save_draft(database_url, store_data, VAL, Q, "mcs_count", "R84", 120, "Bilan régional", "", None)
    own = service.submit(database_url, store_data, VAL, Q, "R84")
    with pytest.raises(service.SelfDecision, match="^Vous ne pouvez pas valider votre propre saisie : un autre "
                                                   "valideur doit le faire.$"):
        service.decide(database_url, VAL, own, approve=True, data=store_data)
    with pytest.raises(service.Refused):                 # a SelfDecision is a refusal (CLI exit 3)
        service.decide(database_url, VAL, own, approve=False, comment="je me ravise", data=store_data)
    assert service.get_submission(database_url, own).status == db.SUBMITTED
    # another valideur decides (the region's submission is then closed: one open per scope and quarter)
    assert service.decide(database_url, VICTOR, own, approve=True, data=store_data).decided_by == "victor"
    service.save_draft(database_url, store_data, ADMIN, Q, "mcs_count", "D15", 9, "Bilan SAMU 15", "", None)
    admins = service.submit(database_url, store_data, ADMIN, Q, "R84")
    with pytest.raises(service.SelfDecision):
        service.decide(database_url, ADMIN, admins, approve=True, data=store_data)
    refused = audit(database_url).query("action == 'tentative refusée'")
    assert list(refused["user"])[::-1] == ["vera", "vera", "adam"]
    assert list(refused["submission_id"])[::-1] == [str(own), str(own), str(admins)]
    assert "approuver sa propre soumission" in refused["detail"].iloc[-1]
    # an admin's submission: decided by someone else
    assert service.decide(database_url, VAL, admins, approve=True, data=store_data).decided_by == "vera"


# ---- completeness --------------------------------------------------------------------------------

def test_completeness_counts_validated_expected_entries():
    exp = pd.DataFrame({"indicator": ["a", "a", "b", "b"], "territory": ["D15", "D43", "D15", "D43"]})
    done = pd.DataFrame({"indicator": ["a", "b", "zz"], "territory": ["D15", "D15", "D15"]})
    result = service.completeness(exp, done)
    assert (result["done"], result["total"]) == (2, 4)
    assert result["by_territory"] == {"D15": (2, 2), "D43": (0, 2)}
    assert result["by_indicator"] == {"a": (1, 2), "b": (1, 2)}
    assert service.completeness_line("2024Q2", result) == "Saisie du T2 2024 : 2 valeurs validées sur 4"


def test_expected_entries_follow_the_catalogue_and_the_scope(store_data):
    ids = set(service.entry_indicators(store_data)["id"])
    assert {"mcs_count", "asalee_teams", "msu_count", "cpts_count", "medicobus_count"} <= ids
    assert "msp_count" not in ids and "apl_mg_mean" not in ids
    assert service.scope(store_data, BOB, "R84") == ["D15", "D43"]
    region = service.scope(store_data, VAL, "R84")
    assert region[0] == "R84" and len(region) == 13
    assert len(service.expected(store_data, ["D15"])) == len(ids)


# ---- roles and the users file ------------------------------------------------------------------

def test_users_file_keeps_role_and_scope(tmp_path):
    path = tmp_path / "users"
    security.add_user(path, "alice", "un mot de passe assez long", "contributeur", "d15, D43")
    security.add_user(path, "vera", "un autre mot de passe long", "valideur")
    accounts = security.read_accounts(path)
    assert accounts["alice"][1] == security.Account("alice", "contributeur", ("D15", "D43"))
    assert accounts["vera"][1].role == "valideur"
    assert security.check_user(security.read_users(path), "alice", "un mot de passe assez long")
    with pytest.raises(ValueError, match="territoires"):
        security.add_user(path, "carl", "un mot de passe assez long", "contributeur")
    with pytest.raises(ValueError, match="rôle"):
        security.add_user(path, "carl", "un mot de passe assez long", "chef")
    (tmp_path / "roles").write_text("# rôles\nmarie contributeur D69\npaul admin\n", encoding="utf-8")
    conf = settings.Settings(trusted_header="X-Remote-User", roles_file=str(tmp_path / "roles"))
    assert security.account_of(conf, "marie").territories == ("D69",)
    assert security.account_of(conf, "inconnu").role == "lecteur"
    assert ALICE.covers("D15") and not ALICE.covers("D69") and not READER.covers("D15")
    assert security.Account("r", "contributeur", ("R84",)).covers("D15", {"D15": "R84"})


def test_add_user_cli_with_role_and_password(tmp_path):
    path = tmp_path / "users"
    proc = subprocess.run([sys.executable, "-m", "dashboard.security", "add-user", "alice", "--file", str(path),
                           "--role", "contributeur", "--territoires", "D15,D43", "--password",
                           "un mot de passe assez long"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert security.read_accounts(path)["alice"][1].territories == ("D15", "D43")


# ---- CLI ------------------------------------------------------------------------------------------

def run_cli(args, env):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture
def cli_env(database_url, tmp_path, built_store):
    users = tmp_path / "users"
    security.add_user(users, "alice", "un mot de passe assez long", "contributeur", "D15")
    security.add_user(users, "vera", "un autre mot de passe long", "valideur")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
    env.update(ACCES_SOINS_DATA_DIR=str(tmp_path / "processed"), ACCES_SOINS_USERS_FILE=str(users),
               ACCES_SOINS_DATABASE_URL=database_url)
    shutil.copytree(built_store, tmp_path / "processed")
    return env


def write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("indicateur,territoire,trimestre,valeur,statut,source,note\n" + "".join(r + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_cli_import_then_approve_publishes_the_value(cli_env, tmp_path):
    good = write(tmp_path, "t2.csv", ["mcs_count,D15,2024Q2,9,observed,Bilan SAMU 15,"])
    proc = run_cli(["dashboard.saisie", "import", str(good), "--user", "alice", "--quarter", Q], cli_env)
    assert proc.returncode == 0, proc.stderr
    ident = proc.stdout.strip().splitlines()[-1]
    assert ident.isdigit()
    proc = run_cli(["dashboard.saisie", "approve", ident, "--user", "vera"], cli_env)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(["dashboard.pipeline", "show", "--indicator", "mcs_count", "--territory", "D15", "--period", Q,
                    "--out", cli_env["ACCES_SOINS_DATA_DIR"]], cli_env)
    shown = json.loads(proc.stdout.splitlines()[0])
    assert shown["value"] == 9 and shown["period"] == Q and "saisie" in shown["source"]
    # a plain `pipeline build` reads the database too
    proc = run_cli(["dashboard.pipeline", "build"], cli_env)
    assert proc.returncode == 0 and "valeurs validées" in proc.stderr
    proc = run_cli(["dashboard.saisie", "audit", "--quarter", Q], cli_env)
    actions = [json.loads(line)["action"] for line in proc.stdout.splitlines()]
    assert actions[::-1] == ["import", "soumission", "approbation"]


def test_cli_import_outside_scope_exits_3_publishes_nothing_and_is_audited(cli_env, tmp_path):
    before = (tmp_path / "processed" / "CURRENT").read_text()
    bad = write(tmp_path, "t2.csv", ["mcs_count,D15,2024Q2,9,observed,Bilan,", "mcs_count,D69,2024Q2,40,observed,Bilan,"])
    proc = run_cli(["dashboard.saisie", "import", str(bad), "--user", "alice", "--quarter", Q], cli_env)
    assert proc.returncode == 3, proc.stderr
    assert (tmp_path / "processed" / "CURRENT").read_text() == before
    url = cli_env["ACCES_SOINS_DATABASE_URL"]
    assert service.drafts(url, Q, ["D15", "D69"]).empty and not service.submissions(url)
    log = audit(url)
    assert list(log["action"]) == ["tentative refusée"] and log["territory"].iloc[0] == "D69"


def test_cli_approving_ones_own_submission_exits_3_and_publishes_nothing(cli_env, tmp_path):
    before = (tmp_path / "processed" / "CURRENT").read_text()
    good = write(tmp_path, "t2.csv", ["mcs_count,R84,2024Q2,120,observed,Bilan régional,"])
    proc = run_cli(["dashboard.saisie", "import", str(good), "--user", "vera", "--quarter", Q], cli_env)
    assert proc.returncode == 0, proc.stderr
    ident = proc.stdout.strip().splitlines()[-1]
    proc = run_cli(["dashboard.saisie", "approve", ident, "--user", "vera"], cli_env)
    assert proc.returncode == 3, proc.stderr
    assert "Vous ne pouvez pas valider votre propre saisie : un autre valideur doit le faire." in proc.stderr
    assert (tmp_path / "processed" / "CURRENT").read_text() == before
    url = cli_env["ACCES_SOINS_DATABASE_URL"]
    assert service.get_submission(url, int(ident)).status == db.SUBMITTED
    assert list(audit(url)["action"])[0] == "tentative refusée"


@pytest.mark.parametrize("row, where", [
    ("mcs_count,D15,2024Q2,neuf,observed,Bilan,", "t2.csv:2:valeur:"),
    ("mcs_count,D15,2024Q1,9,observed,Bilan,", "t2.csv:2:trimestre:"),
    ("mcs_count,D15,2024Q2,-2,observed,Bilan,", "t2.csv:2:valeur:"),
    ("msp_count,D15,2024Q2,9,observed,Bilan,", "t2.csv:2:indicateur:"),
])
def test_cli_bad_file_exits_2_with_file_row_column(cli_env, tmp_path, row, where):
    bad = write(tmp_path, "t2.csv", [row])
    proc = run_cli(["dashboard.saisie", "import", str(bad), "--user", "alice", "--quarter", Q], cli_env)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(str(tmp_path / where)), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("stored", "shown"), [
    (dt.datetime(2026, 7, 1, 12, 5), "01/07/2026 à 14:05 (heure de Paris)"),      # summer time: UTC+2
    (dt.datetime(2026, 12, 4, 23, 30), "05/12/2026 à 00:30 (heure de Paris)"),    # winter: UTC+1, the next day
    (None, ""),
])
def test_saisie_times_are_paris_times_and_say_so(stored, shown):
    """Times are stored in UTC (naive) and shown in Europe/Paris, in fmt's page format, with the zone written."""
    assert service.when(stored) == shown


def test_history_names_territories_and_keeps_codes_without_a_name(app, store_data):
    from layouts import saisie as saisie_layout

    frame = pd.DataFrame({"territory": ["D15", "", "X99", None]})
    assert saisie_layout.with_territory_names(frame)["territory"].tolist() == ["Cantal (D15)", "", "X99", ""]


def test_the_review_says_by_how_much_the_departements_miss_the_region(store_data):
    from dashboard.saisie import preview

    obs = store_data.observations
    at = obs[(obs["indicator"] == "msp_count") & (obs["period"] == "2023Q4")].set_index("territory")["value"]
    deps = store_data.territories.index[(store_data.territories["level"] == "departement")
                                        & (store_data.territories["region"] == "R84")]
    assert at.reindex(deps).sum() == at["R84"]          # as published, the 12 add up to the region
    new = at["D15"] + 16
    line, = preview.additive_gaps(store_data, [{"indicator": "msp_count", "territory": "D15", "quarter": "2023Q4",
                                                "value": new}])
    assert line.startswith("⚠ MSP") and f"la région {int(at['R84'])} : écart de +16 (+4,2\u202f%)" in line
    line, = preview.additive_gaps(store_data, [{"indicator": "mcs_count", "territory": "D15", "quarter": "2026Q3",
                                                "value": 30}])
    assert "1 département sur 12 pour ce trimestre, 30 à eux seuls" in line
    assert preview.additive_gaps(store_data, [{"indicator": "cpts_coverage_pct", "territory": "D15",
                                               "quarter": "2024Q2", "value": 50}]) == []   # shares do not add up
