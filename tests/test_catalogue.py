"""The indicator catalogue (data/raw/catalogue/indicators.toml) is complete and valid."""
from pathlib import Path

import pytest

from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import catalogue

from .helpers import ROOT

CATALOGUE = ROOT / "data" / "raw" / "catalogue" / "indicators.toml"
REQUIRED_IDS = ["msp_count", "cds_count", "cpts_coverage_pct", "cpts_count", "mcs_count", "asalee_teams",
                "asalee_doctors", "asalee_nurses", "apl_mg_mean", "apl_mg_under_2_5_pct", "apl_mg_under_2_5_pct_65",
                "msu_count", "zip_zac_pop_pct", "contracts_count", "medical_assistants_count", "medicobus_count"]


def test_every_indicator_is_complete():
    c = catalogue.read(CATALOGUE)
    ind = c.indicators.set_index("id")
    assert set(REQUIRED_IDS) <= set(ind.index)
    for ident, row in ind.iterrows():
        for col in catalogue.REQUIRED:
            if col == "id":
                continue
            value = row[col]
            assert value is not None and value != "", f"{ident}: {col} vide"
        assert len(row["definition"]) > 40, f"{ident}: définition trop courte"


def test_plan_targets():
    t = catalogue.read(CATALOGUE).targets.set_index(["indicator", "territory"])
    assert t.loc[("msp_count", "R84"), "value"] == 590
    assert t.loc[("msp_count", "R84"), "period"] == "2026Q4"
    assert t.loc[("cpts_coverage_pct", "R84"), "value"] == 100


@pytest.mark.parametrize("text, column", [
    ('[[indicator]]\nid = "x_y"\nlabel = "a"\n', "short_label"),
    ('[[indicator]]\nid = "Bad Id"\n', "id"),
    ('[[indicator\n', None),
])
def test_bad_catalogue_is_rejected_with_position(tmp_path: Path, text, column):
    f = tmp_path / "indicators.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        catalogue.read(f)
    assert str(exc.value).startswith(str(f) + ":")
    if column:
        assert exc.value.column == column


def test_bad_unit_names_line(tmp_path: Path):
    text = CATALOGUE.read_text(encoding="utf-8").replace('unit = "nombre"', 'unit = "pièces"', 1)
    f = tmp_path / "indicators.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        catalogue.read(f)
    line = text.splitlines()[exc.value.row - 1]
    assert "pièces" in line and exc.value.column == "unit"
