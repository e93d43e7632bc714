"""The State's own figures (issue 21, points 1, 3 and 4).

* every taux d'avancement the baromètre publishes (``indic_ta``) is the one ``pipeline progress`` prints, within
  0,05 point, for every row of every real DITP file (the region's, an earlier release, the national sample);
* IND-679 (medical assistants) is real in the embedded default, several observations in one quarter keep the latest
  with its own date, an unmapped DITP id is named in the build report;
* every statement is true at its quarter, read far after the last observation (T3 2026).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import kiosk, periods, plan, queries, sheet, store, trajectory
from dashboard.pipeline.readers import barometre

from .helpers import ROOT

RAW = ROOT / "data" / "raw"
MAPPING = RAW / "mappings" / "barometre.csv"
THRESHOLDS = trajectory.Thresholds(0.95, 0.8)
LATE_QUARTER = "2026Q3"      # far after the last observation of the medical assistants (2023-12)


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.pipeline", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def progress_lines(out: Path, *args) -> list[dict]:
    result = cli("progress", "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- 1. every published indic_ta, through `pipeline progress` ----------------------------------------------

def ditp_folders(opendata: Path) -> list[Path]:
    """Every folder of real DITP files that publish a taux d'avancement (each release built on its own: two
    releases of one series in one build would be two values for one quarter)."""
    found = set()
    for path in opendata.rglob("*.csv"):
        if barometre.sniff_ditp(path) and any(r["indic_ta"].strip() for r in csv.DictReader(open(path, encoding="utf-8"))):
            found.add(path.parent)
    return sorted(found)


def published_rates(folder: Path) -> list[dict]:
    mapping = barometre.load_mapping(MAPPING)
    rows = []
    for path in sorted(folder.glob("*.csv")):
        if not barometre.sniff_ditp(path):
            continue
        for line, r in enumerate(csv.DictReader(open(path, encoding="utf-8")), start=2):
            if r["indic_ta"].strip():
                assert r["indic_id"] in mapping, f"{path}:{line}: {r['indic_id']} absent de {MAPPING}"
                zone = "FR" if r["enforce_zone_id"] == "FRANCE" else r["enforce_zone_id"]
                rows.append({"where": f"{path.name}:{line}", "key": (mapping[r["indic_id"]][0], zone,
                             periods.from_date(r["metric_enforce_date"])), "indic_ta": float(r["indic_ta"])})
    return rows


def build_folder(folder: Path, tmp: Path) -> Path:
    raw, out = tmp / "raw", tmp / "out"
    for sub in ("catalogue", "reference", "mappings"):
        shutil.copytree(RAW / sub, raw / sub)
    for path in folder.glob("*.csv"):
        shutil.copy(path, raw / path.name)
    result = cli("build", "--raw", str(raw), "--out", str(out), "--region", "R84")
    assert result.returncode == 0, result.stderr
    return out


def test_every_published_taux_d_avancement_is_ours(opendata, tmp_path):
    folders = ditp_folders(opendata)
    assert opendata / "ara" / "ditp" in folders
    checked = 0
    for i, folder in enumerate(folders):
        out = build_folder(folder, tmp_path / str(i))
        ours = {(r["indicator"], r["territory"], r["period"]): r for r in progress_lines(out)}
        published = published_rates(folder)
        assert published
        for row in published:
            got = ours.get(row["key"], {}).get("taux_avancement")
            assert got is not None and abs(got - row["indic_ta"]) <= 0.05, (row, ours.get(row["key"]))
            checked += 1
    assert checked >= 83 + 14      # the region's 83 rows and the national sample's, at least


def test_progress_says_which_baseline_and_target_it_uses(built_store):
    [*_, last] = progress_lines(built_store, "--indicator", "medical_assistants_count", "--territory", "R84")
    assert last == {"indicator": "medical_assistants_count", "territory": "R84", "period": "2023Q4",
                    "date": "2023-12-01", "value": 667.0, "provenance": "observed", "taux_avancement": 32.25,
                    "baseline": 438.0, "baseline_period": "2022Q4", "baseline_date": "2022-12-01",
                    "baseline_from_source": True, "target": 1148.0, "target_period": "2024Q4",
                    "target_date": "2024-12-01", "status": "en retard"}


def test_the_card_shows_the_progress_command_figures(store_data, built_store):
    # the same function: the page's card says the baseline the command prints
    c = plan.card(store_data, store_data.indicators.loc["medical_assistants_count"], "R84", "2023Q4", THRESHOLDS)
    assert c.progress_text.startswith("avancement 32,3\u202f% depuis 438 en décembre 2022")
    ald = plan.card(store_data, store_data.indicators.loc["ald_medecin_traitant_pct"], "R84", "2023Q2", THRESHOLDS)
    [line] = progress_lines(built_store, "--indicator", "ald_medecin_traitant_pct", "--territory", "R84")[-1:]
    assert round(ald.progress, 2) == line["taux_avancement"] == 19.62     # indic_vi 94,14, not the value 94,82
    assert "depuis 94,1\u202f% en septembre 2022" in ald.progress_text


def test_progress_refuses_an_unknown_indicator(built_store):
    result = cli("progress", "--out", str(built_store), "--indicator", "nope")
    assert result.returncode == 2 and "indicateur inconnu" in result.stderr and "Traceback" not in result.stderr


# --- 3. IND-679 real in the default; several observations in a quarter; unmapped ids -----------------------

def test_default_store_has_real_medical_assistants(store_data):
    r84 = queries.value_at(store_data, "medical_assistants_count", "R84", "2023Q4")
    assert r84["value"] == 667 and r84["status"] == "observed" and r84["date"] == "2023-12-01"
    assert queries.target_of(store_data, "medical_assistants_count", "R84")["value"] == 1148
    series = store_data.observations[store_data.observations["indicator"] == "medical_assistants_count"]
    assert not (series["status"] == "demo").any()
    deps = plan.departements_of(store_data, "R84")["code"]
    assert {"FR", "R84", *deps} <= set(series["territory"])
    at = series[series["period"] == "2023Q4"].set_index("territory")["value"]
    assert at[list(deps)].sum() == at["R84"]       # the départements add up to the region


def _ditp(tmp: Path, lines: list[str]) -> Path:
    (tmp / "mappings").mkdir(parents=True, exist_ok=True)
    shutil.copy(MAPPING, tmp / "mappings" / "barometre.csv")
    path = tmp / "ditp.csv"
    path.write_text("\n".join([",".join(barometre.DITP_COLUMNS), *lines]) + "\n", encoding="utf-8")
    return path


def test_latest_observation_of_a_quarter_keeps_its_date(tmp_path):
    c = barometre.read_ditp(_ditp(tmp_path, ["IND-679,R84,2022-12-01,REG,438.0,438.0,,",
                                             "IND-679,R84,2023-11-01,REG,,640.0,,",
                                             "IND-679,R84,2023-12-01,REG,,667.0,,32.25"]))
    q4 = c.observations[c.observations["period"] == "2023Q4"].to_dict("records")
    assert [(r["value"], r["date"]) for r in q4] == [(667.0, "2023-12-01")]
    assert c.baselines[["period", "date", "value"]].to_dict("records") == [
        {"period": "2022Q4", "date": "2022-12-01", "value": 438.0}]


def test_an_unmapped_ditp_id_is_named_in_the_report(tmp_path):
    c = barometre.read_ditp(_ditp(tmp_path, ["IND-679,R84,2023-12-01,REG,,667.0,,",
                                             "IND-999,R84,2023-12-01,REG,,12.0,,"]))
    assert any("IND-999" in line and "absent de la table de correspondance" in line for line in c.report)
    assert c.facts["barometre_unmapped_ids"] == ["IND-999"]


# --- 4. every statement true at its quarter, far after the last observation ---------------------------------

def late_card(data, ident="medical_assistants_count", quarter=LATE_QUARTER):
    return plan.card(data, data.indicators.loc[ident], "R84", quarter, THRESHOLDS)


def test_value_shown_late_says_its_date_and_age(store_data):
    c = late_card(store_data)
    assert c.value == 667 and c.period == "2023Q4"
    assert c.observed_text == "observé en décembre 2023, il y a 11 trimestres"


def test_expected_progress_and_annual_rate_stay_at_the_observation_date(store_data):
    late, then = late_card(store_data), late_card(store_data, quarter="2023Q4")
    assert late.progress == then.progress and late.expected_progress == then.expected_progress
    assert late.expected_progress < 100       # not the 100 % « expected » once the target quarter (T4 2024) passed
    assert "attendu en décembre 2023" in late.progress_text
    assert late.annual_text == then.annual_text


def test_a_stale_value_gets_no_status_colour_and_no_projection(store_data, app):
    from layouts.plan import status_pill

    c = late_card(store_data)
    assert c.stale and c.status == trajectory.STALE and c.status_text == "donnée ancienne"
    assert c.projection_text.startswith("pas de projection : dernière observation en décembre 2023")
    pill = status_pill(c)
    assert pill.children == "donnée ancienne"
    assert not {"fr-badge--success", "fr-badge--warning", "fr-badge--error"} & set(pill.className.split())
    summary = plan.summary(plan.cards(store_data, "R84", LATE_QUARTER, THRESHOLDS), LATE_QUARTER)
    assert "0 en retard, 4 données anciennes" in summary[0]


def test_a_projected_share_never_passes_100(store_data):
    c = late_card(store_data, "cpts_coverage_pct", "2024Q2")
    table = plan.trajectory_table(store_data, "cpts_coverage_pct", "R84", c.assessment, c.unit)
    assert table["projection_haute"].dropna().max() <= 100 and len(table["projection"].dropna())
    steep = trajectory.assess([("2022Q4", 57), ("2023Q4", 83)], target=("2030Q4", 100))
    path = trajectory.projection_path(steep, until="2030Q4", unit="%")
    assert max(p.high for p in path) == 100 and max(p.value for p in path) == 100


def _small_store(status: str, values) -> store.Store:
    ind = pd.DataFrame([dict(id="x", label="X", short_label="X", unit="nombre", polarity="higher",
                             frequency="semestre", definition="", source="", public=True, plan=True, order=1)])
    obs = pd.DataFrame([dict(indicator="x", territory="R84", period=q, value=v, status=status, source="s", note="")
                        for q, v in values])
    terr = pd.DataFrame([dict(code="R84", level="region", name="Région", region="R84", departement="", epci="",
                              commune="", population=1)])
    targets = pd.DataFrame([dict(indicator="x", territory="R84", period="2026Q4", value=10, source="plan")])
    return store.from_frames(terr, ind, targets, obs)


@pytest.mark.parametrize("status, met", [("observed", True), ("estimated", False), ("demo", False)])
def test_target_reached_only_by_an_observed_value(status, met):
    data = _small_store(status, [("2022Q4", 5), ("2023Q4", 12)])
    c = plan.card(data, data.indicators.loc["x"], "R84", "2023Q4", THRESHOLDS)
    assert c.target_met is met and (c.status_text == "cible atteinte") is met
    assert ("cible atteinte" in c.projection_text) is met


def test_over_a_year_compares_with_the_observation_a_year_earlier_or_says_none():
    gap = _small_store("observed", [("2017Q4", 1), ("2023Q2", 6), ("2023Q4", 7)])
    card = plan.card(gap, gap.indicators.loc["x"], "R84", "2023Q4", THRESHOLDS)
    assert card.change_text("year") == "pas d'observation un an plus tôt"      # never « depuis le T4 2017 »
    regular = _small_store("observed", [("2022Q4", 5), ("2023Q2", 6), ("2023Q4", 7)])
    card = plan.card(regular, regular.indicators.loc["x"], "R84", "2023Q4", THRESHOLDS)
    assert card.change_text("year") == "+2 depuis le T4 2022"
    late = plan.card(regular, regular.indicators.loc["x"], "R84", LATE_QUARTER, THRESHOLDS)
    assert late.change_text("year") == "aucune observation depuis un an (dernière en décembre 2023)"


def test_the_fiche_territoire_never_ranks_colours_or_compares_demo_values(store_data):
    s = sheet.assemble(store_data, "D15", LATE_QUARTER, "R84", today=dt.date(2026, 9, 30))
    rows = {r["indicator"]: r for r in s["profile"]}
    demo = [r for r in rows.values() if r["own"] and r["own"]["status"] == "demo"]
    assert demo                               # the default still has demo values at département level (médicobus)
    for r in demo:
        assert r["peers"] is None and r["assessment"] == "demo"
    assert rows["msp_count"]["peers"] is not None          # real values of one date are still ranked
    assert s["freshness"].startswith("Données les plus récentes : ")


def test_pages_and_kiosk_say_the_newest_data_and_its_age(store_data, app):
    from layouts import kiosque

    newest = queries.newest(store_data)
    today = dt.date(2026, 9, 30)
    age = periods.index("2026Q3") - periods.index(newest["period"])
    text = queries.freshness_text(store_data, today)
    assert text == f"Données les plus récentes : {queries.month_of(newest)} (il y a {age} trimestres)."
    assert kiosk.data_date(store_data)       # the kiosk's own date line is still there…
    tree = kiosque.layout()
    header = [c for c in tree.children if getattr(c, "className", "") == "kiosque-header"][0]
    assert any(getattr(c, "className", "") == "kiosque-freshness" and str(c.children).startswith(
        "Données les plus récentes : ") for c in header.children)      # …and says how old the figures are
