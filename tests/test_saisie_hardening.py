"""Saisie that cannot be fooled (issue 25), at the service: the scope rule for every role on every write, four
eyes on the figure, compare-and-set of uploads, one open submission per scope and quarter, hard bounds, a
withdrawal that really withdraws. Every database test runs on SQLite and on PostgreSQL (tests/saisie_support.py).
"""
from __future__ import annotations

import pytest

from dashboard import security, settings
from dashboard.pipeline.errors import InputError
from dashboard.saisie import appraisals, db, service

from .helpers import ROOT

Q = "2024Q2"
REGION = "R84"
ALICE = security.Account("alice", "contributeur", ("D15",))
CLAUDE = security.Account("claude", "contributeur", ("D15",))
VAL = security.Account("vera", "valideur")
VICTOR = security.Account("victor", "valideur")
ADMIN = security.Account("adam", "admin")
READER = security.Account("lea", "lecteur")

# ---- the table: role × write × territory → outcome -------------------------------------------------------

OUTSIDE = ("D75", "R11", "D13")          # another region, a region, a département elsewhere
ROLES = {"contributeur": ALICE, "valideur": VAL, "admin": ADMIN, "lecteur": READER}
# where each role may write (besides: refused, 403 on the page, exit 3 in the CLI, audited)
ALLOWED = {"contributeur": {"D15"}, "valideur": {"R84", "D15", "D69"}, "admin": {"R84", "D15", "D69"},
           "lecteur": set()}
TABLE = [(role, territory, territory in ALLOWED[role]) for role in ROLES
         for territory in ("D15", "D69", "R84", *OUTSIDE)]


def _upload(tmp_path, territory, value=7, revision=None):
    header = "indicateur,territoire,trimestre,valeur,statut,source,note" + (",revision" if revision is not None else "")
    line = f"mcs_count,{territory},{Q},{value},observed,Bilan SAMU,écart vérifié"
    if revision is not None:
        line += f",{revision}"
    path = tmp_path / f"depot-{territory}.csv"
    path.write_text(f"{header}\n{line}\n", encoding="utf-8")
    return path


def _refusals(url) -> int:
    return int((service.audit_rows(url)["action"] == "tentative refusée").sum())


@pytest.mark.parametrize("role, territory, allowed", TABLE)
def test_grid_save_obeys_the_one_scope_rule(database_url, store_data, role, territory, allowed):
    account = ROLES[role]
    if allowed:
        saved = service.save_draft(database_url, store_data, account, Q, "mcs_count", territory, 7, "s", "", None,
                                   region=REGION)
        assert saved.revision == 1
        return
    with pytest.raises(service.Refused):
        service.save_draft(database_url, store_data, account, Q, "mcs_count", territory, 7, "s", "", None,
                           region=REGION)
    assert service.drafts(database_url, Q, [territory]).empty
    assert _refusals(database_url) == 1


@pytest.mark.parametrize("role, territory, allowed", [t for t in TABLE if t[0] != "lecteur"])
def test_upload_rows_obey_the_one_scope_rule(database_url, store_data, tmp_path, role, territory, allowed):
    path = _upload(tmp_path, territory)
    if allowed:
        assert service.import_file(database_url, store_data, ROLES[role], Q, path, region=REGION) == 1
        return
    with pytest.raises(service.Refused):
        service.import_file(database_url, store_data, ROLES[role], Q, path, region=REGION)
    assert service.drafts(database_url, Q, [territory]).empty
    assert _refusals(database_url) == 1


@pytest.mark.parametrize("territory", OUTSIDE)
def test_appraisals_outside_the_region_are_refused_for_valideurs_and_admins(database_url, store_data, territory):
    indicator = appraisals.plan_indicators(store_data)[0]
    for account in (VAL, ADMIN):
        with pytest.raises(service.Refused):
            appraisals.save(database_url, store_data, account, REGION, Q, indicator, territory, "ok",
                            {"happened": "x"}, None)
    assert _refusals(database_url) == 2


def _submitted(url, data, author=ALICE, territory="D15", value=9, writer=None):
    service.save_draft(url, data, writer or author, Q, "mcs_count", territory, value, "Bilan SAMU", "", None,
                       region=REGION)
    return service.submit(url, data, author, Q, REGION)


def test_deciding_on_a_submission_outside_the_region_is_refused(database_url, store_data, monkeypatch):
    ident = _submitted(database_url, store_data)
    other_region = "R11"           # the same submission seen by a valideur of Île-de-France
    for approve in (True, False):
        with pytest.raises(service.Refused):
            service.decide(database_url, VAL, ident, approve, "à revoir", data=store_data, region=other_region)
    assert service.get_submission(database_url, ident).status == db.SUBMITTED
    assert _refusals(database_url) == 2


def test_withdrawing_outside_the_region_is_refused(database_url, store_data, tmp_path):
    ident = _submitted(database_url, store_data)
    service.decide(database_url, VAL, ident, True, data=store_data, region=REGION)
    item = service.get_submission(database_url, ident).items[0]
    conf = settings.Settings(raw_dir=ROOT / "data" / "raw", data_dir=tmp_path / "out", region="R11")
    with pytest.raises(service.Refused):
        service.withdraw(database_url, conf, ADMIN, item.id, data=store_data)
    assert not service.get_submission(database_url, ident).items[0].withdrawn


# ---- four eyes on the figure ------------------------------------------------------------------------------

def test_the_entrant_of_a_value_cannot_approve_the_submission_holding_it(database_url, store_data):
    """A valideur types D15's value, D15's contributor submits it: that valideur can neither approve nor reject
    it; another valideur can. The review names who entered each value."""
    ident = _submitted(database_url, store_data, author=ALICE, writer=VAL)
    sub = service.get_submission(database_url, ident)
    assert service.entrants(sub.items[0]) == ["vera"] and service.hands(sub) == {"alice", "vera"}
    with pytest.raises(service.SelfDecision):
        service.decide(database_url, VAL, ident, True, data=store_data, region=REGION)
    with pytest.raises(service.SelfDecision):
        service.decide(database_url, VAL, ident, False, "non", data=store_data, region=REGION)
    assert service.get_submission(database_url, ident).status == db.SUBMITTED
    assert service.decide(database_url, VICTOR, ident, True, data=store_data, region=REGION).decided_by == "victor"


def test_a_correction_keeps_the_first_entrant_on_the_figure(database_url, store_data):
    first = service.save_draft(database_url, store_data, VAL, Q, "mcs_count", "D15", 9, "s", "", None, region=REGION)
    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 10, "s", "", first.revision,
                       region=REGION)
    ident = service.submit(database_url, store_data, ALICE, Q, REGION)
    with pytest.raises(service.SelfDecision):
        service.decide(database_url, VAL, ident, True, data=store_data, region=REGION)


# ---- compare-and-set, idempotent submit, decisions ----------------------------------------------------------

def test_an_upload_over_a_newer_value_is_a_conflict_and_imports_nothing(database_url, store_data, tmp_path):
    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 3, "s", "", None, region=REGION)
    with pytest.raises(service.Conflict, match=r"ligne 2 .*alice.*\(3\)"):
        service.import_file(database_url, store_data, CLAUDE, Q, _upload(tmp_path, "D15", 4), region=REGION)
    with pytest.raises(service.Conflict):
        service.import_file(database_url, store_data, CLAUDE, Q, _upload(tmp_path, "D15", 4, revision=0),
                            region=REGION)
    assert service.drafts(database_url, Q, ["D15"])["value"].tolist() == [3]
    # the template's revision: the upload replaces what it was made from
    assert service.import_file(database_url, store_data, CLAUDE, Q, _upload(tmp_path, "D15", 4, revision=1),
                               region=REGION) == 1
    assert service.drafts(database_url, Q, ["D15"])["value"].tolist() == [4]


def test_the_template_carries_each_cell_revision(database_url, store_data):
    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 3, "s", "", None, region=REGION)
    frame = service.template_frame(store_data, ALICE, Q, REGION, database_url).set_index(["indicateur", "territoire"])
    assert frame.loc[("mcs_count", "D15"), "revision"] == "1"
    assert set(frame.drop(index=("mcs_count", "D15"))["revision"]) == {"0"}


def test_submitting_twice_gives_one_submission(database_url, store_data):
    ident = _submitted(database_url, store_data)
    assert service.submit(database_url, store_data, ALICE, Q, REGION) == ident
    # a value drafted meanwhile waits for the decision: no second open submission of the scope
    service.save_draft(database_url, store_data, ALICE, Q, "asalee_teams", "D15", 2, "s", "", None, region=REGION)
    with pytest.raises(service.Conflict, match=f"n° {ident}"):
        service.submit(database_url, store_data, ALICE, Q, REGION)
    assert [s.id for s in service.submissions(database_url)] == [ident]


def test_the_database_refuses_a_second_open_submission_of_a_scope(database_url, store_data):
    """Whatever the code path: the unique index itself (what concurrent submits meet)."""
    from sqlalchemy.exc import IntegrityError

    with db.session(database_url) as s, s.begin():
        s.add(db.Submission(quarter=Q, author="a", scope="D15"))
    with pytest.raises(IntegrityError):
        with db.session(database_url) as s, s.begin():
            s.add(db.Submission(quarter=Q, author="b", scope="D15"))
    with db.session(database_url) as s, s.begin():          # a closed one does not count
        s.add(db.Submission(quarter=Q, author="c", scope="D15", status=db.APPROVED))


def test_an_approved_submission_cannot_be_approved_again(database_url, store_data):
    ident = _submitted(database_url, store_data)
    service.decide(database_url, VAL, ident, True, data=store_data, region=REGION)
    for who in (VAL, VICTOR):
        with pytest.raises(service.Conflict, match="déjà approuvée"):
            service.decide(database_url, who, ident, True, data=store_data, region=REGION)


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_a_withdrawal_removes_the_value_from_the_next_version(database_url, store_data, tmp_path):
    from dashboard import store

    conf = settings.Settings(raw_dir=ROOT / "data" / "raw", data_dir=tmp_path / "out", region=REGION)
    ident = _submitted(database_url, store_data, value=9)
    service.decide(database_url, VAL, ident, True, data=store_data, region=REGION)
    service.publish(database_url, conf, VAL)

    def entered():
        obs = store.open_store(conf.data_dir).observations
        hit = obs[(obs.indicator == "mcs_count") & (obs.territory == "D15") & (obs.period == Q)]
        return hit["value"].tolist()
    assert entered() == [9]
    item = service.get_submission(database_url, ident).items[0]
    service.withdraw(database_url, conf, ADMIN, item.id, data=store_data)
    assert entered() == []
    assert service.get_submission(database_url, ident).items[0].withdrawn


# ---- hard bounds -------------------------------------------------------------------------------------------

def test_a_count_above_the_population_is_refused_even_with_a_note(database_url, store_data):
    saved = service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 1e12, "s",
                               "vraiment, c'est vérifié", None, region=REGION)
    assert saved.error and "population" in saved.error[1]
    with pytest.raises(InputError, match="population"):
        service.submit(database_url, store_data, ALICE, Q, REGION)
    assert service.submissions(database_url) == []


def test_hard_bound_is_one_pure_function():
    from dashboard.saisie import bounds

    assert bounds.hard_bound("nombre", 150_000, 144_196) is not None
    assert bounds.hard_bound("nombre", 40, 144_196) is None
    assert bounds.hard_bound("%", 150, 144_196) is None         # shares: the catalogue's max of 100 (plausibility)
    assert bounds.hard_bound("nombre", float("inf"), None) == "nombre fini attendu"


def test_the_template_filled_in_and_uploaded_replaces_the_draft(database_url, store_data, tmp_path):
    """The template as downloaded (the one CSV writer: « ; », BOM, decimal comma) comes back as an upload."""
    from dashboard import exports

    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 3, "s", "", None, region=REGION)
    frame = service.template_frame(store_data, ALICE, Q, REGION, database_url)
    frame = frame[frame["indicateur"] == "mcs_count"].assign(valeur="4,0", source="Bilan SAMU")
    path = tmp_path / "modele.csv"
    path.write_text(exports.to_csv(frame), encoding="utf-8")
    assert service.import_file(database_url, store_data, ALICE, Q, path, region=REGION) == 1
    assert service.drafts(database_url, Q, ["D15"])["value"].tolist() == [4]


# ---- concurrency on each backend (threads in one process; tests/test_saisie_concurrency.py: under gunicorn) --

def test_concurrent_first_saves_of_a_cell_one_saved_the_others_conflict(database_url, store_data):
    from concurrent.futures import ThreadPoolExecutor

    service.save_draft(database_url, store_data, ALICE, Q, "asalee_teams", "D15", 1, "s", "", None, region=REGION)

    def save(i):
        try:
            return service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 100 + i, "s", "", 0,
                                      region=REGION).revision
        except service.Conflict as exc:
            return str(exc)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(save, range(24)))
    saved = [i for i, r in enumerate(results) if r == 1]
    assert len(saved) == 1 and all(isinstance(r, str) and "alice" in r for r in results if r != 1), results
    assert service.drafts(database_url, Q, ["D15"]).set_index("indicator")["value"]["mcs_count"] == 100 + saved[0]


def test_concurrent_submits_of_a_scope_make_one_submission(database_url, store_data):
    from concurrent.futures import ThreadPoolExecutor

    service.save_draft(database_url, store_data, ALICE, Q, "mcs_count", "D15", 9, "s", "", None, region=REGION)
    with ThreadPoolExecutor(10) as pool:
        idents = list(pool.map(lambda _i: service.submit(database_url, store_data, ALICE, Q, REGION), range(10)))
    subs = service.submissions(database_url)
    assert len(subs) == 1 and set(idents) == {subs[0].id} and len(subs[0].items) == 1


def test_reading_entries_never_waits_for_a_writer(tmp_path):
    """The build reads validated entries while a save holds SQLite's write lock: it must not wait for it (a
    publication failed with « database is locked » on a busy instance)."""
    import time

    from dashboard.saisie import db as saisie_db
    from dashboard.saisie import source

    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    saisie_db.upgrade(url)
    writer = saisie_db.engine(url).connect()
    writer.begin()                                   # BEGIN IMMEDIATE: the write lock, held
    try:
        start = time.monotonic()
        assert source.validated(url).empty
        assert service.drafts(url, "2024Q1", ["D15"]).empty
        assert time.monotonic() - start < 5          # the lock's busy timeout is 30 s
    finally:
        writer.rollback()
        writer.close()
