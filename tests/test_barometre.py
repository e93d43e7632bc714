"""Baromètre readers: real DITP and Etalab samples, département workbook built in code, mapping file."""
from __future__ import annotations

import shutil

import pytest

from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import barometre
from tests.fixtures.builders import etalab_dept_rows, write_etalab_dept_workbook

ARA_DEPTS = ["D01", "D03", "D07", "D15", "D26", "D38", "D42", "D43", "D63", "D69", "D73", "D74"]
HEADER = "indic_id,enforce_zone_id,metric_enforce_date,maille,indic_vi,indic_va,indic_vc,indic_ta\n"


def at(frame, indicator, territory, period):
    rows = frame[(frame.indicator == indicator) & (frame.territory == territory) & (frame.period == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture(scope="module")
def ditp(opendata):
    return barometre.read_ditp(opendata / "barometre" / "ind-311-ara.csv", {})


def test_sniffers_recognise_each_real_file(opendata):
    b = opendata / "barometre"
    assert barometre.sniff_ditp(b / "ind-311-ara.csv")
    assert barometre.sniff_etalab_csv(b / "sante-famille-regional-msp-cds.csv")
    assert barometre.sniff_meta(b / "meta_indicateurs.csv")
    assert not barometre.sniff_ditp(b / "meta_indicateurs.csv")
    assert not barometre.sniff_etalab_csv(b / "ind-311-ara.csv")
    assert not barometre.sniff_ditp(b / "sante-famille-regional-msp-cds.csv")


def test_ditp_values_and_target(ditp):
    obs = ditp.observations
    row = at(obs, "msp_count", "R84", "2023Q4")
    assert row.value == 383 and row.status == "observed"
    assert row.source == "Baromètre des résultats de l'action publique (DITP), IND-311"
    assert at(ditp.targets, "msp_count", "R84", "2026Q4").value == 590
    assert at(obs, "msp_count", "FR", "2023Q4").value == 2501
    assert at(obs, "msp_count", "R84", "2017Q2").value == 155
    assert ditp.priority == 10


def test_ditp_departements_add_up_to_region_at_every_date(ditp):
    obs = ditp.observations
    region = obs[obs.territory == "R84"].set_index("period").value
    depts = obs[obs.territory.isin(ARA_DEPTS)]
    assert set(depts.territory) == set(ARA_DEPTS)
    total = depts.groupby("period").value.sum()
    assert (total.reindex(region.index) == region).all()
    assert total["2023Q4"] == 383


def test_etalab_regional_csv(opendata):
    c = barometre.read_etalab_csv(opendata / "barometre" / "sante-famille-regional-msp-cds.csv", {})
    assert c.priority == 20
    assert at(c.observations, "msp_count", "R84", "2017Q2").value == 155
    assert at(c.observations, "msp_count", "R84", "2022Q4").value == 341
    assert at(c.observations, "cds_pluripro_count", "R84", "2021Q4").value == 50
    assert "R01" in set(c.observations.territory)


def test_meta_is_recognised_but_contributes_nothing(opendata):
    c = barometre.read_meta(opendata / "barometre" / "meta_indicateurs.csv", {})
    assert c.observations is None and "non utilisées" in c.report[0]


def test_etalab_departement_workbook(tmp_path):
    path = write_etalab_dept_workbook(tmp_path / "dep.xlsx")
    assert barometre.sniff_etalab_xlsx(path)
    c = barometre.read_etalab_xlsx(path, {})
    obs = c.observations
    assert at(obs, "msp_count", "D01", "2022Q4").value == 35
    assert at(obs, "msp_count", "D2A", "2021Q4").value == 4
    assert at(obs, "msp_count", "D971", "2022Q4").value == 6
    assert c.priority == 20


def test_departement_workbook_lost_leading_zero(tmp_path):
    rows = etalab_dept_rows("1", "Ain", {"2022-12-31": "35.0"})
    path = write_etalab_dept_workbook(tmp_path / "dep.xlsx", {"01": rows})
    with pytest.raises(InputError, match="zéro initial"):
        barometre.read_etalab_xlsx(path, {})


def test_baseline_used_only_without_current_value_and_empty_rows_skipped(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text(HEADER + "IND-311,R84,2022-12-01,REG,341.0,,,\n"
                    "IND-311,R84,2023-06-01,REG,,,,\n"
                    ",,,,,,,\n"
                    "IND-311,R84,2023-12-01,REG,300.0,383.0,,\n", encoding="utf-8")
    c = barometre.read_ditp(path, {})
    assert at(c.observations, "msp_count", "R84", "2022Q4").note.startswith("valeur de référence")
    assert at(c.observations, "msp_count", "R84", "2023Q4").value == 383
    assert len(c.observations) == 2


def test_monthly_dates_keep_the_latest_in_the_quarter(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text(HEADER + "IND-587,D2A,2023-10-01,DEPT,,50.0,,\nIND-587,D2A,2023-11-01,DEPT,,60.0,,\n"
                    "IND-587,D971,2023-11-01,DEPT,,70.0,,\n", encoding="utf-8")
    c = barometre.read_ditp(path, {})
    row = at(c.observations, "sas_coverage_pct", "D2A", "2023Q4")
    assert row.value == 60 and "2023-11-01" in row.note
    assert at(c.observations, "sas_coverage_pct", "D971", "2023Q4").value == 70


def test_unknown_source_id_is_a_warning(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text(HEADER + "IND-999,R84,2023-12-01,REG,,1.0,,\n", encoding="utf-8")
    c = barometre.read_ditp(path, {})
    assert c.observations.empty
    assert any("IND-999" in line and "avertissement" in line for line in c.report)


def test_mapping_from_options_and_from_raw_folder(tmp_path, opendata):
    custom = tmp_path / "m.csv"
    custom.write_text("source_id,indicator,label\nIND-311,msp_custom,MSP\n", encoding="utf-8")
    c = barometre.read_ditp(opendata / "barometre" / "ind-311-ara.csv", {"mapping": custom})
    assert set(c.observations.indicator) == {"msp_custom"}
    raw = tmp_path / "raw"
    (raw / "mappings").mkdir(parents=True)
    shutil.copy(custom, raw / "mappings" / "barometre.csv")
    shutil.copy(opendata / "barometre" / "ind-311-ara.csv", raw / "ind.csv")
    assert set(barometre.read_ditp(raw / "ind.csv", {}).observations.indicator) == {"msp_custom"}


def test_default_mapping_file_is_valid():
    mapping = barometre.load_mapping(barometre.DEFAULT_MAPPING)
    assert mapping["IND-311"][0] == "msp_count" and mapping["nb-centres-sante"][0] == "cds_pluripro_count"
    assert barometre.sniff_mapping(barometre.DEFAULT_MAPPING)


def test_sniffers_never_raise(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01")
    for sniff in (barometre.sniff_ditp, barometre.sniff_etalab_csv, barometre.sniff_etalab_xlsx,
                  barometre.sniff_meta, barometre.sniff_mapping):
        assert not sniff(tmp_path / "bin.csv")
        assert not sniff(tmp_path / "absent.csv")
