"""Appraisals entered on /saisie: stored per plan indicator × territory × quarter, scope enforced and audited,
served by the provider of dashboard.appraisal to the plan page, its detail and the territory sheet; the plan
page's completeness line and the entered value's source. Database tests run on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard import appraisal, plan, queries, security, settings, sheet, store
from dashboard.pipeline.errors import InputError
from dashboard.saisie import appraisals, db, service

from .helpers import ROOT
from .helpers import text_of as _text_of

Q = "2023Q4"
ALICE = security.Account("alice", "contributeur", ("D15",))
VAL = security.Account("vera", "valideur")
READER = security.Account("lea", "lecteur")
PARTS = {"happened": "Trois ouvertures reportées", "risks": "Départs en retraite",
         "next_actions": "Appui de l'ARS aux projets de Haute-Loire"}


def text_of(component) -> str:
    """The component's text, spaces collapsed."""
    return " ".join(_text_of(component).split())


@pytest.fixture(autouse=True)
def _no_provider():
    appraisal.register(None)
    yield
    appraisal.register(None)


def test_migrations_add_the_appraisals_table(database_url):
    db.upgrade(database_url)
    columns = {c["name"] for c in sa.inspect(db.engine(database_url)).get_columns("appraisals")}
    assert {"indicator", "territory", "quarter", "level", "happened", "risks", "next_actions", "author",
            "updated_at", "revision"} <= columns


def test_an_appraisal_is_recorded_prefilled_audited_and_served(database_url, store_data):
    rev = appraisals.save(database_url, store_data, VAL, "R84", Q, "msp_count", "R84", "appuis", PARTS, None)
    assert rev == 1
    stored = appraisals.get(database_url, Q, "msp_count", "R84")
    assert stored["level"] == "appuis" and stored["risks"] == PARTS["risks"] and stored["author"] == "vera"
    [ap] = appraisals.for_quarter(database_url, Q)
    assert (ap.indicator, ap.territory, ap.quarter, ap.label) == ("msp_count", "R84", Q, appraisal.SUPPORT)
    assert ap.synthesis == ("Constat : Trois ouvertures reportées Risques : Départs en retraite "
                            "Prochaines actions : Appui de l'ARS aux projets de Haute-Loire")
    # a change from the revision shown is accepted; a change from a stale one is a conflict, nothing overwritten
    assert appraisals.save(database_url, store_data, VAL, "R84", Q, "msp_count", "R84", "atteignable",
                           {**PARTS, "risks": ""}, rev) == 2
    with pytest.raises(service.Conflict, match="modifiée par vera"):
        appraisals.save(database_url, store_data, VAL, "R84", Q, "msp_count", "R84", "compromis", PARTS, rev)
    assert appraisals.get(database_url, Q, "msp_count", "R84")["level"] == "atteignable"
    log = service.audit_rows(database_url, action="appraisal")
    assert list(log["action"]) == ["appréciation", "appréciation"]
    newest, first = log.iloc[0], log.iloc[1]
    assert first["before"] == "" and first["after"].startswith("appuis nécessaires — Constat : Trois")
    assert newest["before"] == first["after"] and newest["after"].startswith("objectif atteignable — Constat")
    assert "Risques" not in newest["after"]
    assert appraisals.for_quarter(database_url, "2023Q3") == []


def test_a_contributor_appraises_its_departement_only(database_url, store_data):
    for code in ("D69", "R84"):
        with pytest.raises(service.Refused):
            appraisals.save(database_url, store_data, ALICE, "R84", Q, "msp_count", code, "appuis", PARTS, None)
    with pytest.raises(service.Refused):
        appraisals.save(database_url, store_data, READER, "R84", Q, "msp_count", "D15", "appuis", PARTS, None)
    assert appraisals.for_quarter(database_url, Q) == []
    refused = service.audit_rows(database_url, action="refused")
    assert {"D69", "R84", "D15"} == set(refused["territory"])
    assert set(refused["user"]) == {"alice", "lea"}
    appraisals.save(database_url, store_data, ALICE, "R84", Q, "msp_count", "D15", "securise", PARTS, None)
    assert [(a.territory, a.author) for a in appraisals.for_quarter(database_url, Q)] == [("D15", "alice")]
    assert appraisals.territories(store_data, ALICE, "R84") == ["D15"]
    assert appraisals.territories(store_data, VAL, "R84")[0] == "R84"


@pytest.mark.parametrize("change, where", [
    ({"level": "bof"}, "niveau"), ({"parts": {}}, "synthèse"), ({"indicator": "contracts_count"}, "indicateur"),
    ({"quarter": "2099Q1"}, "trimestre"), ({"quarter": "2024T2"}, "trimestre"), ({"territory": "D99"}, "territoire"),
])
def test_bad_appraisals_are_refused_with_the_field(change, where, store_data, tmp_path):
    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    args = {"quarter": Q, "indicator": "msp_count", "territory": "R84", "level": "appuis", "parts": PARTS, **change}
    with pytest.raises(InputError) as exc:
        appraisals.save(url, store_data, VAL, "R84", args["quarter"], args["indicator"], args["territory"],
                        args["level"], args["parts"], None)
    assert exc.value.column == where
    assert appraisals.for_quarter(url, Q) == []


def test_the_internal_instance_reads_the_database_and_the_public_one_never(store_data, tmp_path):
    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    conf = settings.Settings(data_dir=tmp_path / "processed", database_url=url, secret_key="test")
    appraisals.configure(conf)
    assert appraisal.enabled() and appraisal.appraisals_for(Q) == {}
    assert not (tmp_path / "saisie.sqlite3").exists()           # reading never creates the database
    appraisals.save(url, store_data, VAL, "R84", Q, "msp_count", "R84", "appuis", PARTS, None)
    assert appraisal.appraisals_for(Q)[("msp_count", "R84")].author == "vera"
    appraisals.configure(settings.Settings(data_dir=tmp_path / "processed", database_url=url, public=True,
                                           secret_key="test"))
    assert appraisal.appraisals_for(Q) == {} and not appraisal.enabled()


def test_the_plan_page_and_the_sheet_show_the_appraisal_beside_the_status(app, store_data, tmp_path):
    from layouts import plan as plan_page
    from layouts import territoire

    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    appraisals.save(url, store_data, VAL, "R84", Q, "msp_count", "R84", "appuis", PARTS, None)
    appraisals.save(url, store_data, VAL, "R84", Q, "msp_count", "D15", "compromis", PARTS, None)
    appraisal.register(lambda q: appraisals.for_quarter(url, q))
    found = appraisal.appraisals_for(Q)
    conf = settings.current()
    cards = plan_page.cards_section(plan_page.cards_for(store_data, conf, "R84", Q), "msp_count", store_data, found)
    card = next(c for c in cards if c.id == "plan-card-msp_count")
    assert "Appréciation : appuis nécessaires" in text_of(card)
    detail = text_of(plan_page.detail_section(store_data, conf, "R84", Q, "msp_count", tuple(sorted(found.items()))))
    assert "Appréciation de l'équipe : appuis nécessaires (vera," in detail and PARTS["risks"] in detail
    # the département's sheet: the appraisal beside the computed status of its trend
    s = sheet.assemble(store_data, "D15", Q, "R84", found)
    trend = next(t for t in s["trends"] if t["indicator"] == "msp_count")
    assert trend["appraisal"].level == "compromis"
    text = text_of(territoire.render(s, sheet.quarter_options(store_data)))
    assert "Appréciation de l'équipe : objectif compromis" in text and PARTS["next_actions"] in text
    assert "Appréciation de l'équipe" not in text_of(territoire.render(sheet.assemble(store_data, "D15", Q, "R84"),
                                                                       sheet.quarter_options(store_data)))


def test_the_sheet_csv_and_pdf_carry_the_appraisal(app, store_data, tmp_path):
    """What the sheet's page shows, its downloads carry: the CSV has the plan export's appraisal columns on the
    territory's own rows, the PDF writes the appraisal under its chart; on the public instance neither does."""
    import base64
    import csv as csvlib
    import io

    from pypdf import PdfReader

    from callbacks import territoire as callbacks

    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    appraisals.save(url, store_data, VAL, "R84", Q, "msp_count", "D15", "compromis", PARTS, None)
    appraisal.register(lambda q: appraisals.for_quarter(url, q))
    params = {"code": "D15", "quarter": Q}
    csv = callbacks.csv_download(1, params)["content"]
    header, *rows = list(csvlib.reader(io.StringIO(csv.lstrip("\ufeff")), delimiter=";"))
    assert header[-len(appraisal.EXPORT_COLUMNS):] == appraisal.EXPORT_COLUMNS
    at = {name: i for i, name in enumerate(header)}
    own = [r for r in rows if r[at["indicateur"]] == "msp_count" and r[at["territoire"]] == "D15"]
    assert own and all(r[at["appreciation"]] == "objectif compromis" and r[at["appreciation_auteur"]] == "vera"
                       for r in own)
    assert all(r[at["appreciation"]] == "" for r in rows if r[at["territoire"]] != "D15")   # comparators: none
    download, _status = callbacks.pdf_download(1, params, "http://127.0.0.1/territoire/D15")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(base64.b64decode(download["content"]))).pages)
    text = " ".join(text.split())
    assert "Appréciation de l'équipe : objectif compromis (vera," in text
    appraisal.register(None)                     # public instance: no provider, no appraisal columns
    assert "appreciation" not in callbacks.csv_download(1, params)["content"].splitlines()[0]


def test_plan_page_shows_the_completeness_and_the_entered_value_source(app, store_data, tmp_path):
    """An approved and published entry: the plan page's completeness line counts it, the detail names its
    entry and its validator."""
    from layouts import plan as plan_page

    url = f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    conf = settings.Settings(data_dir=tmp_path / "processed", raw_dir=ROOT / "data" / "raw", region="R84",
                             database_url=url, secret_key="test")
    q = "2024Q2"
    before = service.last_known(store_data, "mcs_count", "R84", q)
    value = int(before["value"]) + 2
    assert plan_page.completeness_line(conf, store_data, "R84", q) is None       # no database yet: no line
    author = security.Account("victor", "valideur")                       # four eyes: vera validates
    service.save_draft(url, store_data, author, q, "mcs_count", "R84", value, "Bilan régional des SAMU", "", None)
    service.decide(url, VAL, service.submit(url, store_data, author, q, "R84"), approve=True, data=store_data)
    service.publish(url, conf, VAL)
    data = store.open_store(conf.data_dir)
    expected = service.quarter_completeness(url, data, "R84", q)["total"]
    assert plan_page.completeness_line(conf, data, "R84", q) == \
        f"Saisie du T2 2024 : 1 valeur validée sur {expected}"
    assert plan_page.completeness_line(settings.Settings(data_dir=conf.data_dir, database_url=url, public=True,
                                                         secret_key="t"), data, "R84", q) is None
    facts = dict(plan.detail(data, "R84", q, "mcs_count")["facts"])
    assert queries.value_at(data, "mcs_count", "R84", q)["value"] == value
    assert "saisie du" in facts["Source de la valeur"] and "validée par vera" in facts["Source de la valeur"]
    assert "Bilan régional des SAMU" in facts["Source de la valeur"]
