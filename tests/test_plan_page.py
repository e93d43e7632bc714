"""« Suivi du plan »: callbacks called as plain functions, and the figures shown checked against the CLI
(`python -m dashboard.pipeline show`) on the embedded default data."""
from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from dash import dcc, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard import appraisal, fmt, plan, queries, trajectory

from .helpers import ROOT, text_of, walk


@pytest.fixture(scope="module")
def cb(app):
    from callbacks import plan as plan_callbacks

    return plan_callbacks


@pytest.fixture(scope="module")
def plan_layout(app):
    from layouts import plan as plan_layout

    return plan_layout


def find(component, predicate):
    """Components of a tree for which ``predicate`` is true (frozen subtrees included: helpers.walk)."""
    return [c for c in walk(component) if predicate(c)]


def by_id(component, ident):
    hits = find(component, lambda c: getattr(c, "id", None) == ident)
    return hits[0] if hits else None


def show(built_store, indicator: str, territory: str, period: str) -> dict:
    """What the CLI says: ``python -m dashboard.pipeline show --indicator … --territory … --period …``."""
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.pipeline", "show", "--indicator", indicator, "--territory", territory,
         "--period", period, "--out", str(built_store)],
        cwd=ROOT, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return {r["type"]: r for r in rows}


# --- layout from the URL ------------------------------------------------------------------------------

def test_layout_defaults_to_latest_quarter_and_first_indicator_with_target(plan_layout, store_data):
    tree = plan_layout.layout()
    # the session's quarter (issue 22, point 3): the newest with an observed plan figure — the départements'
    # CPTS coverage of T2 2024 — selectable although the region's own figures stop at T4 2023
    assert by_id(tree, "plan-quarter").value == queries.session_quarter(store_data, "R84") == "2024Q2"
    assert plan.plan_quarters(store_data, "R84")[-1] == "2024Q2"
    assert by_id(tree, "plan-indicator").data == "msp_count"
    assert "situation au T2 2024" in text_of(by_id(tree, "plan-heading"))
    assert "Par défaut : T2 2024" in text_of(by_id(tree, "plan-quarter-hint"))
    assert store_data.version in text_of(by_id(tree, "plan-data-version"))


def test_layout_reads_the_url(plan_layout):
    tree = plan_layout.layout(trimestre="2023Q2", indicateur="cpts_coverage_pct")
    assert by_id(tree, "plan-quarter").value == "2023Q2"
    assert by_id(tree, "plan-indicator").data == "cpts_coverage_pct"
    assert "Part de la population couverte par une CPTS" in text_of(by_id(tree, "plan-detail-title"))


def test_layout_ignores_unknown_url_values(plan_layout):
    tree = plan_layout.layout(trimestre="2099Q1", indicateur="<script>")
    assert by_id(tree, "plan-quarter").value == "2024Q2"                 # the session quarter
    assert by_id(tree, "plan-indicator").data == "msp_count"


def test_every_card_has_its_definition_and_provenance(plan_layout, store_data):
    tree = plan_layout.layout()
    cards = find(tree, lambda c: "plan-card" in (getattr(c, "className", "") or "").split())
    ids = plan.plan_indicators(store_data.indicators)["id"].tolist()
    assert [c.id for c in cards] == [f"plan-card-{i}" for i in ids]
    for c in cards:
        assert find(c, lambda x: x.__class__.__name__ == "Details"), c.id  # definition one click away
        assert find(c, lambda x: "badge" in (getattr(x, "className", "") or "")), c.id  # provenance badge


def test_medical_assistants_are_real_and_dated(plan_layout):
    tree = plan_layout.layout()
    # the medical assistants are the baromètre's (IND-679) since it publishes them: no demo card, no banner
    assert "Données de démonstration" not in text_of(by_id(tree, "plan-banner"))
    assistants = text_of(by_id(tree, "plan-card-medical_assistants_count"))
    assert "démo" not in assistants and "667" in assistants
    assert "en décembre 2023, " in assistants and "depuis 438 en décembre 2022" in assistants
    # its provenance said once, by the badge (« OBSERVÉE », not « OBSERVÉE observé en … »)
    assert "observé en décembre" not in assistants, assistants
    assert text_of(by_id(tree, "plan-freshness")).startswith("Données les plus récentes : ")


# --- callbacks ----------------------------------------------------------------------------------------

def test_quarter_change_updates_cards_summary_heading(cb):
    cards, summary, banner, heading = cb.update_quarter("2023Q2", "msp_count")
    assert heading == "Auvergne-Rhône-Alpes, situation au T2 2023"
    msp = by_id(cards, "plan-card-msp_count")
    assert "360" in text_of(msp) and "383" not in text_of(msp)
    assert "Au T2 2023" in text_of(summary)
    cards4, summary4, _, heading4 = cb.update_quarter("2023Q4", "msp_count")
    assert "383" in text_of(by_id(cards4, "plan-card-msp_count"))
    assert ("MSP en fonctionnement, avancement 16,9\u202f% depuis 341 en décembre 2022 (attendu en décembre 2023 : "
            "25,0\u202f%)") in text_of(summary4)
    assert "17,25 par trimestre d'ici le T4 2026, contre 10,5 par trimestre au rythme récent" in text_of(summary4)


def test_alerts_say_what_the_pack_says(cb, store_data):
    """One line per kind and indicator listing its territories, most severe first: the page and the pack read
    the same lines (dashboard.alerts.lines), not two renderings of the alerts."""
    from dashboard import pack

    _, section = cb.update_completeness_and_alerts("2023Q4")
    items = [x for x in find(section, lambda c: c.__class__.__name__ == "Li")]
    lines = pack.assemble(store_data, "R84", "2023Q4")["alerts"]
    assert lines and [text_of(li) for li in items] == [f"{x.label}  : {x.text}" for x in lines]
    kinds = [text_of(h) for h in find(section, lambda c: c.__class__.__name__ == "H3")]
    assert kinds[0].startswith("En retard (") and len(kinds) == len({x.kind for x in lines})


@pytest.mark.parametrize(("periods_", "expected"), [
    (["2026Q3"] * 12, "les 12 départements mesurés au T3 2026"),
    (["2026Q3"] + ["2025Q4"] * 11, "1 département sur 12 mesuré au T3 2026 ; les autres montrent leur dernière "
                                   "valeur connue"),
    (["2026Q3"] * 3 + [None] * 9, "3 départements sur 12 mesurés au T3 2026 ; les autres montrent leur dernière "
                                  "valeur connue"),
    (["2025Q4"] * 12, "aucun département sur 12 mesuré au T3 2026 ; chacun montre sa dernière valeur connue"),
    ([None] * 12, None),
])
def test_a_partial_quarter_says_how_many_departements_reported(periods_, expected):
    b = pd.DataFrame({"valeur": [None if p is None else 1.0 for p in periods_], "trimestre_valeur": periods_})
    assert plan.reported_text(b, "2026Q3") == expected


def test_detail_says_which_departements_are_of_the_quarter(cb, store_data):
    detail = cb.update_detail("2023Q4", "msp_count")
    t = store_data.territories
    deps = t[(t["level"] == "departement") & (t["region"] == "R84")]["code"]
    fresh = sum(1 for d in deps if (queries.value_at(store_data, "msp_count", d, "2023Q4") or {}).get("period")
                == "2023Q4")
    assert fresh > 0
    text = text_of(detail)
    assert f"{fresh} départements sur {len(deps)} mesurés au T4 2023" in text or \
        f"les {len(deps)} départements mesurés au T4 2023" in text
    assert "Mesurée au" in text_of(by_id(detail, "plan-breakdown-table"))


@pytest.mark.parametrize("bad", ["nimporte", None, 2023, ["2023Q2"], {"a": 1}, "2023Q2" * 100, "1999Q1"])
def test_callbacks_never_fail_on_forged_inputs(cb, bad):
    _cards, _summary, _banner, heading = cb.update_quarter(bad, bad)
    assert heading.endswith("T2 2024")                  # the session's quarter
    detail = cb.update_detail(bad, bad)
    assert "Maisons de santé" in text_of(by_id(detail, "plan-detail-title"))
    assert cb.export_csv(1, bad)["filename"] == "suivi-plan-R84-2024Q2.csv"
    assert cb.update_completeness_and_alerts(bad) == cb.update_completeness_and_alerts("2024Q2")


def test_detail_follows_quarter_and_indicator(cb):
    detail = cb.update_detail("2023Q4", "msp_count")
    graph = by_id(detail, "plan-trajectory")
    names = {t.name for t in graph.figure.data}
    assert {"valeur observée", "trajectoire requise", "cible", "projection au rythme récent",
            "incertitude de la projection"} <= names
    assert "valeur démo" not in names                   # the MSP series is real (baromètre DITP) throughout
    text = text_of(detail)
    # the MSP ARA example: 15,56 required, 10,5 recent (2022Q4, 2023Q2, 2023Q4 observed), 17,25 needed, T4 2028
    assert "15,56 par trimestre" in text and "10,5 par trimestre (valeurs du T4 2022, T2 2023, T4 2023)" in text
    assert "17,25 par trimestre pendant 12 trimestre(s)" in text and "cible projetée au T4 2028" in text
    assert by_id(detail, "plan-trajectory-table") is not None
    assert by_id(detail, "plan-breakdown") is not None and by_id(detail, "plan-breakdown-table") is not None
    other = cb.update_detail("2023Q2", "cpts_coverage_pct")
    assert "Part de la population couverte par une CPTS" in text_of(by_id(other, "plan-detail-title"))
    assert "au T2 2023" in by_id(other, "plan-trajectory").figure.layout.title.text


def test_select_indicator_from_a_card():
    from callbacks import plan as cb

    prop = json.dumps({"index": "cpts_coverage_pct", "type": "plan-card"}, separators=(",", ":")) + ".n_clicks"
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": 1}]))
    try:
        assert cb.select_indicator([0, 1], "msp_count") == "cpts_coverage_pct"
        assert cb.select_indicator([0, 1], "cpts_coverage_pct") is no_update  # already selected
    finally:
        context_value.reset(token)
    forged = json.dumps({"index": "contracts_count'); alert(1);//", "type": "plan-card"}, separators=(",", ":"))
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": forged + ".n_clicks", "value": 1}]))
    try:  # an indicator that does not exist selects nothing
        assert cb.select_indicator([1], "msp_count") is no_update
    finally:
        context_value.reset(token)
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": 0}]))
    try:  # a re-rendered button (n_clicks 0) selects nothing
        assert cb.select_indicator([0, 0], "msp_count") is no_update
    finally:
        context_value.reset(token)


def test_export_csv_has_provenance_columns(cb):
    assert cb.export_csv(0, "2023Q4") is no_update
    out = cb.export_csv(1, "2023Q4")
    assert out["filename"] == "suivi-plan-R84-2023Q4.csv"
    assert out["content"].startswith("\ufeff")
    df = pd.read_csv(io.StringIO(out["content"].lstrip("\ufeff")), sep=";", decimal=",")
    assert {"statut_donnee", "source", "note", "trimestre_valeur", "statut_plan", "cible"} <= set(df.columns)
    row = df[(df.indicateur == "msp_count") & (df.territoire == "R84") & (df.trimestre == "2023Q4")].iloc[0]
    assert row.valeur == 383 and row.statut_donnee == "observée" and "IND-311" in row.source
    assert row.statut_plan == trajectory.LATE and row.cible == 590
    assert set(df.statut_donnee) <= {"observée", "estimée", "démo"}
    assert (df.trimestre <= "2023Q4").all()
    assert set(df.territoire) == {"R84", *[f"D{d}" for d in "01 03 07 15 26 38 42 43 63 69 73 74".split()]}


def test_export_xlsx_opens_with_openpyxl(cb, store_data):
    out = cb.export_xlsx(1, "2023Q2")
    assert out["filename"] == "suivi-plan-R84-2023Q2.xlsx" and out["base64"]
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(out["content"])))
    assert wb.sheetnames == ["Suivi du plan", "Lisez-moi", "Définitions"]
    ws = wb["Suivi du plan"]
    header = [c.value for c in ws[1]]
    assert header == plan.EXPORT_COLUMNS + appraisal.EXPORT_COLUMNS   # the appraisal beside the status
    readme = {r[0].value: r[1].value for r in wb["Lisez-moi"].iter_rows(min_row=2)}
    assert readme["Version des données"] == store_data.version and readme["Jusqu'au trimestre"] == "T2 2023"
    periods_col = [r[header.index("trimestre")].value for r in ws.iter_rows(min_row=2)]
    assert max(periods_col) == "2023Q2"


# --- the figures shown are the store's (as the CLI reports them) ------------------------------------------

@pytest.mark.parametrize("indicator", ["msp_count", "cpts_coverage_pct", "cds_pluripro_count", "mcs_count",
                                       "medical_assistants_count"])
@pytest.mark.parametrize("quarter", ["2023Q4", "2023Q2"])
def test_card_values_equal_the_cli(cb, built_store, store_data, indicator, quarter):
    cli = show(built_store, indicator, "R84", quarter)
    cards, *_ = cb.update_quarter(quarter, None)
    card = by_id(cards, f"plan-card-{indicator}")
    value_span = find(card, lambda c: "card-value" in (getattr(c, "className", "") or "").split())[0]
    unit = store_data.indicators.loc[indicator, "unit"]
    assert value_span.children == fmt.value(cli["observation"]["value"], unit)
    badge = find(card, lambda c: "badge" in (getattr(c, "className", "") or "").split())[0]
    assert f"badge-{cli['observation']['status']}" in badge.className.split()
    assert "fr-badge" in badge.className.split()            # drawn by the DSFR
    if "target" in cli:
        assert fmt.target(cli["target"]["value"], unit) in text_of(card)
