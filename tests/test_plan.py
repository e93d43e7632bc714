"""Pure functions of the « Suivi du plan » page (dashboard.plan, dashboard.plan_figures) on small frames."""
from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest

from dashboard import plan, plan_figures, queries, store, trajectory

SRC = "Baromètre IND-311"


def _indicators():
    rows = [
        dict(id="msp_count", label="Maisons de santé", short_label="MSP", unit="nombre", polarity="higher",
             frequency="semestre", definition="déf MSP", source="DITP", public=True, plan=True, order=1),
        dict(id="cpts_coverage_pct", label="Population couverte CPTS", short_label="CPTS", unit="%",
             polarity="higher", frequency="semestre", definition="déf", source="DITP", public=True, plan=True,
             order=2),
        dict(id="mcs_count", label="MCS", short_label="MCS", unit="nombre", polarity="higher", frequency="année",
             definition="déf", source="ARS", public=True, plan=True, order=3),
        dict(id="assistants", label="Assistants", short_label="Assistants", unit="nombre", polarity="higher",
             frequency="trimestre", definition="déf", source="AM", public=False, plan=True, order=4),
        dict(id="other", label="Autre", short_label="Autre", unit="nombre", polarity="higher", frequency="année",
             definition="", source="", public=True, plan=False, order=5),
    ]
    return pd.DataFrame(rows)


def _obs():
    rows = [(q, v, "observed", SRC) for q, v in
            [("2017Q2", 155), ("2021Q4", 305), ("2022Q4", 341), ("2023Q2", 360), ("2023Q4", 383)]]
    out = [dict(indicator="msp_count", territory="R84", period=q, value=v, status=s, source=src, note=None)
           for q, v, s, src in rows]
    for code, (a, b) in {"D01": (20, 30), "D15": (10, 9), "D69": (50, 60)}.items():
        out += [dict(indicator="msp_count", territory=code, period="2022Q4", value=a, status="demo", source="", note=""),
                dict(indicator="msp_count", territory=code, period="2023Q4", value=b, status="demo", source="",
                     note="")]
    out += [dict(indicator="cpts_coverage_pct", territory="R84", period=q, value=v, status="observed", source="IND-589",
                 note="") for q, v in [("2022Q4", 57), ("2023Q4", 83)]]
    out += [dict(indicator="cpts_coverage_pct", territory=c, period=q, value=v, status="estimated", source="calc",
                 note="") for c, q, v in [("D01", "2022Q4", 50), ("D01", "2023Q4", 90), ("D69", "2022Q4", 60),
                                          ("D69", "2023Q4", 70)]]
    out += [dict(indicator="mcs_count", territory="R84", period=q, value=v, status="observed", source="doc 004",
                 note="") for q, v in [("2012Q4", 88), ("2017Q4", 244)]]
    out += [dict(indicator="assistants", territory="R84", period=q, value=v, status="demo", source="", note="")
            for q, v in [("2023Q3", 10), ("2023Q4", 14)]]
    return pd.DataFrame(out)


def _targets():
    return pd.DataFrame([
        dict(indicator="msp_count", territory="R84", period="2026Q4", value=590, source="plan"),
        dict(indicator="cpts_coverage_pct", territory="R84", period="2026Q4", value=100, source="plan"),
    ])


def _territories():
    return pd.DataFrame([
        dict(code="R84", level="region", name="Auvergne-Rhône-Alpes", region="R84", departement=None,
             population=1000.0),
        dict(code="D01", level="departement", name="Ain", region="R84", departement="D01", population=300.0),
        dict(code="D15", level="departement", name="Cantal", region="R84", departement="D15", population=100.0),
        dict(code="D69", level="departement", name="Rhône", region="R84", departement="D69", population=600.0),
        dict(code="D75", level="departement", name="Paris", region="R11", departement="D75", population=2000.0),
    ])


@pytest.fixture
def data():
    return store.from_frames(_territories(), _indicators(), _targets(), _obs())


def _meta(data, ident):
    return data.indicators.loc[ident].to_dict()


def test_plan_indicators_and_quarters(data):
    ind = data.indicators
    assert plan.plan_indicators(ind)["id"].tolist() == ["msp_count", "cpts_coverage_pct", "mcs_count", "assistants"]
    assert "assistants" not in plan.plan_indicators(ind, public_only=True)["id"].tolist()
    assert plan.quarters(data)[-1] == "2023Q4"
    assert plan.quarters(data, ["mcs_count"])[0] == "2012Q4" and plan.quarters(data, ["mcs_count"])[-1] == "2017Q4"


def test_msp_card_matches_the_engine(data):
    c = plan.card(data, _meta(data, "msp_count"), "R84", "2023Q4")
    assert c.value == 383 and c.period == "2023Q4" and c.provenance == "observed" and c.value_source == SRC
    # semester indicator: compared with its previous observation (T2 2023), never with a made-up T3 2023
    assert c.change_previous.delta == 23 and c.change_previous.since == "2023Q2" and c.change_year.delta == 42
    assert c.assessment.baseline_period == "2022Q4" and c.assessment.baseline_value == 341
    assert c.status == trajectory.LATE
    assert c.progress == pytest.approx(100 * 42 / 249)          # the State's taux d'avancement: 16,87 %
    assert c.progress_text.startswith("avancement 16,9\u202f%")
    assert c.expected_progress == pytest.approx(25)
    assert c.assessment.projected_period == "2028Q4"
    assert c.value_text == "383" and c.change_text("previous") == "+23 depuis le T2 2023"
    assert c.change_text("year") == "+42 depuis le T4 2022"
    assert c.target_text == "cible 590 au T4 2026"
    assert c.projection_text == "cible projetée au T4 2028 au rythme observé jusqu'en décembre 2023"
    assert not c.stale


def test_card_as_of_a_later_quarter_is_stale_and_unchanged(data):
    c = plan.card(data, _meta(data, "msp_count"), "R84", "2024Q4")
    assert c.value == 383 and c.period == "2023Q4" and not c.is_new
    assert c.change_text("previous") == "+23 depuis le T2 2023"       # the last change still says when
    assert c.change_text("year") == "aucune observation depuis un an (dernière en décembre 2023)"
    assert c.stale  # semester indicator, 4 quarters without a value


def test_card_without_target(data):
    c = plan.card(data, _meta(data, "mcs_count"), "R84", "2023Q4")
    assert c.target_value is None and c.status is None and c.status_text == "sans cible"
    assert c.stale and c.period == "2017Q4"
    assert c.progress is None


def test_card_before_any_value(data):
    c = plan.card(data, _meta(data, "assistants"), "R84", "2023Q2")
    assert c.value is None and c.value_text == "–" and c.stale


def test_summary_speaks_french_from_the_data(data):
    cs = plan.cards(data, "R84", "2023Q4")
    text = "\n".join(plan.summary(cs, "2023Q4"))
    assert "Au T4 2023, sur 2 indicateurs du plan dotés d'une cible : 1 en bonne voie, 0 à surveiller, 1 en retard." in text
    assert "En retard : MSP, avancement 16,9\u202f% depuis 341 au lancement du plan, en décembre 2022 (attendu en décembre 2023 : 25,0\u202f%)" in text
    assert "17,25 par trimestre d'ici le T4 2026, contre 10,5 par trimestre au rythme récent" in text
    assert "Valeurs nouvelles au T4 2023 : MSP +23 depuis le T2 2023, à 383" in text
    assert "Donnée ancienne : MCS (dernière valeur au T4 2017)" in text
    assert "Valeurs de démonstration (non réelles) : Assistants." in text


def test_breakdown_counts_and_percentages(data):
    b = plan.breakdown(data, "msp_count", "nombre", "R84", "2023Q4", "2022Q4")
    assert b["territoire"].tolist() == ["D01", "D69", "D15"]  # by contribution then code; not Paris
    assert b["contribution"].tolist() == [10, 10, -1]
    assert b.loc[0, "part_evolution_regionale"] == pytest.approx(10 / 42)
    p = plan.breakdown(data, "cpts_coverage_pct", "%", "R84", "2023Q4", "2022Q4")
    d01 = p.set_index("territoire").loc["D01"]
    assert d01["evolution"] == 40 and d01["contribution"] == pytest.approx(40 * 0.3)
    assert p.iloc[-1]["territoire"] == "D15" and pd.isna(p.iloc[-1]["contribution"])


def test_quarterly_table_has_provenance_and_status(data):
    t = plan.quarterly_table(data, "R84", "2023Q4")
    assert list(t.columns) == plan.EXPORT_COLUMNS
    row = t[(t.indicateur == "msp_count") & (t.territoire == "R84") & (t.trimestre == "2023Q3")].iloc[0]
    assert row.valeur == 360 and row.trimestre_valeur == "2023Q2" and row.statut_donnee == "observée"
    assert row.source == SRC and row.statut_plan == trajectory.LATE and row.trimestre_libelle == "T3 2023"
    assert row.avancement_pct == pytest.approx(round(100 * 19 / 249, 1))
    cpts = t[(t.indicateur == "cpts_coverage_pct") & (t.territoire == "D01")]
    assert cpts.valeur.map(lambda v: v == round(v, 1)).all()            # display precision
    demo = t[(t.indicateur == "msp_count") & (t.territoire == "D01")]
    assert set(demo.statut_donnee) == {"démo"} and demo.statut_plan.isna().all()
    assert t.trimestre.map(lambda q: q <= "2023Q4").all()
    csv = plan.to_csv(t)
    assert csv.splitlines()[0].startswith("\ufeffindicateur;libelle;unite;territoire")
    wb = openpyxl.load_workbook(io.BytesIO(plan.to_xlsx(t, readme=[("version", "v1")])))
    assert wb.sheetnames == ["Suivi du plan", "Lisez-moi"]
    assert wb["Suivi du plan"].max_row == len(t) + 1


def test_trajectory_table_and_figure(data):
    c = plan.card(data, _meta(data, "msp_count"), "R84", "2023Q4")
    df = queries.series(data, "msp_count", "R84")
    tab = plan.trajectory_table(data, "msp_count", "R84", c.assessment)
    r = tab.set_index("trimestre")
    assert r.loc["2023Q4", "valeur"] == 383 and r.loc["2023Q4", "trajectoire_requise"] == 403   # display precision
    assert r.loc["2026Q4", "projection"] == pytest.approx(383 + 126)
    fig = plan_figures.trajectory_figure(df, c.assessment, "MSP", "nombre", "2023Q4")
    names = [t.name for t in fig.data]
    assert {"valeur observée", "trajectoire requise", "cible", "projection au rythme récent",
            "incertitude de la projection"} <= set(names)
    assert fig.layout.separators == ",\u202f"


def test_figure_marks_demo_and_estimated_differently(data):
    df = queries.series(data, "cpts_coverage_pct", "D01")
    a = trajectory.assess(queries.pairs(data, "cpts_coverage_pct", "D01"))
    fig = plan_figures.trajectory_figure(df, a, "CPTS", "%")
    est = [t for t in fig.data if t.name == "valeur estimée"][0]
    assert est.marker.symbol == "circle-open"


def test_breakdown_figure(data):
    b = plan.breakdown(data, "msp_count", "nombre", "R84", "2023Q4", "2022Q4")
    fig = plan_figures.breakdown_figure(b, "MSP", "nombre", "2022Q4", "2023Q4")
    assert list(fig.data[0].x) == [-1, 10, 10]


def test_chart_images_carry_title_territory_quarter_source_and_version(store_data):
    """A downloaded PNG is the figure's layout drawn: the plan's two charts and the sheet's trend charts hold,
    in their title block, the title, the territory, the quarter, the sources of the values and the data version."""
    from dashboard import fmt, sheet, sheet_charts

    data = store_data

    def block(fig) -> str:
        return fig.layout.title.text

    df = queries.series(data, "msp_count", "R84", "2023Q4")
    c = plan.card(data, _meta(data, "msp_count"), "R84", "2023Q4")
    credit = plan_figures.Credit.of(data, "R84", "2023Q4", df["source"])
    traj = plan_figures.trajectory_figure(df, c.assessment, "MSP", "nombre", "2023Q4", credit)
    b = plan.breakdown(data, "msp_count", "nombre", "R84", "2023Q4", "2022Q4")
    bars = plan_figures.breakdown_figure(b, "MSP", "nombre", "2022Q4", "2023Q4",
                                         plan_figures.Credit.of(data, "R84", "2023Q4", [_meta(data, "msp_count")["source"]]))
    fiche = sheet.assemble(data, "D15", "2023Q4")
    trend = fiche["trends"][0]
    small = sheet_charts.trend_figure(trend, sheet_charts.credit_of(fiche, trend))
    region = queries.name_of(data, "R84")
    for fig, place, sources in ((traj, region, set(df["source"])), (bars, region, {_meta(data, "msp_count")["source"]}),
                                (small, "Cantal", set(trend["series"]["source"]))):
        text = block(fig).replace("<br>", " ")
        assert f"{place} — {fmt.quarter(fiche['quarter'] if fig is small else '2023Q4')}" in text
        assert "Source : " in text and f"version {data.version}" in text
        assert all(" ".join(src.split()) in " ".join(text.split()) for src in sources)
        assert fig.layout.margin.t >= 60                       # room for the block above the plot
    assert block(traj).startswith("MSP — au T4 2023") and block(small).startswith(trend["short_label"])
    # the print view's narrower card: the same block, without the name its heading gives, in lines that fit
    paper = sheet_charts.trend_figure(trend, sheet_charts.credit_of(fiche, trend), paper=True)
    lines = [re.sub("<[^>]+>", "", line) for line in block(paper).split("<br>")]
    assert lines[0] == f"Cantal — {fmt.quarter(fiche['quarter'])}" and "Source : " in block(paper)
    assert all(len(line) <= sheet_charts.PAPER_WRAP for line in lines)
    plain = plan_figures.trajectory_figure(df, c.assessment, "MSP", "nombre", "2023Q4")
    assert "Source" not in plain.layout.title.text             # no credit, no block (tests, other uses)
