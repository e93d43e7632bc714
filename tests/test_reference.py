"""Embedded territorial reference: the committed file and its reader's errors."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard import schema
from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import reference

from .conftest import ROOT

REFERENCE = ROOT / "data" / "raw" / "reference" / "territories.csv"
ARA = ["D01", "D03", "D07", "D15", "D26", "D38", "D42", "D43", "D63", "D69", "D73", "D74"]
HEADER = ",".join(schema.TABLES["territories"])


@pytest.fixture(scope="module")
def territories():
    contribution = reference.read(REFERENCE, {})
    assert contribution.source == "Référentiel territorial"
    assert contribution.rows == len(contribution.territories)
    return contribution.territories.set_index("code", drop=False)


def test_sniff_recognises_the_reference_only(tmp_path):
    assert reference.sniff(REFERENCE)
    other = tmp_path / "other.csv"
    other.write_text("code,level,name\nFR,pays,France\n", encoding="utf-8")
    assert not reference.sniff(other)


def test_columns_and_levels(territories):
    assert list(territories.columns) == schema.TABLES["territories"]
    assert set(territories["level"]) == {"pays", "region", "departement", "epci", "commune"}
    assert str(territories["population"].dtype) == "int64"


def test_counts(territories):
    counts = territories["level"].value_counts()
    assert counts["pays"] == 1 and territories.loc["FR", "name"] == "France"
    assert counts["region"] == 18
    assert counts["departement"] == 101
    assert counts["epci"] > 1000
    assert counts["commune"] > 34000
    for code in ("D2A", "D2B", "D971", "D972", "D973", "D974", "D976"):
        assert code in territories.index


def test_ara_departements_add_up_to_the_region(territories):
    deps = territories[(territories["level"] == "departement") & (territories["region"] == "R84")]
    assert sorted(deps["code"]) == ARA
    assert deps["population"].sum() == territories.loc["R84", "population"]


def test_populations_are_not_double_counted(territories):
    regions = territories[territories["level"] == "region"]
    assert regions["population"].sum() == territories.loc["FR", "population"]
    communes = territories[(territories["level"] == "commune") & territories["commune"].isna()]
    assert communes["population"].sum() == territories.loc["FR", "population"]


def test_aurillac_and_lyon(territories):
    aurillac = territories.loc["C15014"]
    assert aurillac["name"] == "Aurillac"
    assert (aurillac["departement"], aurillac["region"]) == ("D15", "R84")
    assert aurillac["epci"].startswith("E") and aurillac["epci"] in territories.index
    lyon = territories[territories["code"].str.match(r"^C6938\d$")]
    assert len(lyon) == 9
    assert set(lyon["commune"]) == {"C69123"}
    assert set(lyon["epci"]) == {territories.loc["C69123", "epci"]}
    assert lyon["population"].sum() == territories.loc["C69123", "population"]
    assert pd.isna(aurillac["commune"])


def test_epci_attached_to_a_departement_of_its_region(territories):
    epci = territories[territories["level"] == "epci"]
    assert epci["departement"].notna().all()
    assert (epci["region"].to_numpy() == territories.loc[epci["departement"], "region"].to_numpy()).all()


# --- bad files: each names its line and column ---------------------------------------------

GOOD = [
    "FR,pays,France,,,,,100",
    "R84,region,Auvergne-Rhône-Alpes,,,,,100",
    "D15,departement,Cantal,R84,,,,100",
    "E200066389,epci,CA du Bassin d'Aurillac,R84,D15,,,100",
    "C15014,commune,Aurillac,R84,D15,E200066389,,100",
]


def write(tmp_path, lines, name="territories.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_good_tiny_file(tmp_path):
    frame = reference.read(write(tmp_path, GOOD), {}).territories
    assert list(frame["code"]) == ["FR", "R84", "D15", "E200066389", "C15014"]


@pytest.mark.parametrize("bad_line, row, column, words", [
    ("C1501,commune,Aurillac,R84,D15,,,100", 6, "code", "code de territoire invalide"),
    ("C15014,epci,Aurillac,R84,D15,,,100", 6, "level", "attendu « commune »"),
    ("C15014,ville,Aurillac,R84,D15,,,100", 6, "level", "niveau inconnu"),
    ("C15014,commune,Aurillac,R84,D15,,,12.5", 6, "population", "entier positif"),
    ("C15014,commune,Aurillac,R84,D15,,,-3", 6, "population", "entier positif"),
    ("C15014,commune,Aurillac,R84,D15,,,", 6, "population", "entier positif"),
    ("D15,departement,Cantal,R84,,,,100", 6, "code", "en double (déjà ligne 4)"),
    ("C15014,commune,Aurillac,R84,D43,,,100", 6, "departement", "D43 absent du référentiel"),
    ("C15014,commune,Aurillac,D15,D15,,,100", 6, "region", "attendu un code de niveau region"),
    ("C69381,commune,Lyon 1er,R84,D15,,C69123,100", 6, "commune", "C69123 absent"),
])
def test_bad_rows(tmp_path, bad_line, row, column, words):
    path = write(tmp_path, GOOD[:4] + [bad_line])
    with pytest.raises(InputError) as info:
        reference.read(path, {})
    err = info.value
    assert (err.file, err.row, err.column) == (str(path), row, column)
    assert words in err.message


def test_bad_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,niveau,name,region,departement,epci,commune,population\nFR,pays,France,,,,,1\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        reference.read(path, {})
    assert info.value.row == 1 and "attendu exactement code,level,name" in info.value.message
