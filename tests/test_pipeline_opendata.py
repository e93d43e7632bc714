"""End to end: the build CLI on the real open-data samples, and on each malformed corpus file.

The raw folder is the embedded default data plus copies of the real samples (never committed:
they are read from ACCES_SOINS_OPENDATA).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dashboard.pipeline import publish
from dashboard.pipeline.__main__ import main
from tests.fixtures.corpus import cases, materialise

from .helpers import RAW, ROOT, cli, show


@pytest.fixture(scope="module")
def built(opendata, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("opendata-build")
    raw, out = tmp / "raw", tmp / "out"
    shutil.copytree(RAW, raw)
    for sample in [opendata / "apl" / "apl_mg_2022_ara.xlsx", *sorted((opendata / "barometre").glob("*.csv"))]:
        shutil.copy(sample, raw / sample.name)
    result = cli("build", "--raw", str(raw), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return raw, out, result.stdout + result.stderr


def observation(out, indicator, territory, period):
    rows = [r for r in show(out, indicator, territory, period) if r["type"] == "observation"]
    assert len(rows) == 1, rows
    return rows[0]


def test_every_sample_is_recognised(built):
    _raw, _out, log = built
    assert "non reconnu" not in log
    for fragment in ("APL DREES", "Baromètre DITP", "Baromètre Etalab", "Baromètre (métadonnées)"):
        assert fragment in log


def test_apl_acceptance_values(built):
    _raw, out, _log = built
    share = observation(out, "apl_mg_under_2_5_pct", "R84", "2022Q4")
    assert share["value"] == pytest.approx(14.6, abs=0.1) and share["status"] == "estimated"
    assert "règle DREES" in share["source"]
    assert observation(out, "apl_mg_mean", "R84", "2022Q4")["value"] == pytest.approx(3.68, abs=0.01)
    assert observation(out, "apl_mg_mean", "C69123", "2022Q4")["value"] > 0
    assert observation(out, "apl_mg_mean", "C15014", "2022Q4")["value"] == pytest.approx(4.843)


def test_regional_extract_gives_no_france_value(built):
    _raw, out, log = built
    assert [r for r in show(out, "apl_mg_mean", "FR", "2022Q4") if r["type"] == "observation"] == []
    assert "FR (12%)" in log


def test_barometre_acceptance_values(built):
    _raw, out, _log = built
    rows = show(out, "msp_count", "R84", "2023Q4")
    value = [r for r in rows if r["type"] == "observation"]
    assert value[0]["value"] == 383 and value[0]["status"] == "observed"
    target = [r for r in rows if r["type"] == "target"]
    assert target and target[0]["value"] == 590 and target[0]["period"] == "2026Q4"


def test_merged_communes_are_mapped_to_their_successor_and_reported(built):
    # The 2022 APL lists 8 communes merged since (table of changes in data/raw/communes_fusionnees/): each is
    # rattachée to its commune nouvelle, e.g. Pierre-Bénite 69152 to Oullins-Pierre-Bénite 69149.
    _raw, out, log = built
    assert "apl_mg_2022_ara.xlsx : 8 communes fusionnées rattachées à 7 communes nouvelles (01330→01187" in log
    assert "absente(s) du référentiel territorial" not in log
    manifest = json.loads((out / publish.current(out) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["facts"]["merged_communes"]["apl_mg_2022_ara.xlsx"]["C69152"] == "C69149"
    assert manifest["facts"]["apl_unknown_communes"]["count"] == 0
    # DREES' rule over the two former communes (sheet values: APL 3.212 and 7.508, standardised populations
    # 26 483.868 and 9 898.735)
    oullins = observation(out, "apl_mg_mean", "C69149", "2022Q4")
    assert oullins["value"] == pytest.approx((3.212 * 26483.868 + 7.508 * 9898.735) / (26483.868 + 9898.735))
    assert oullins["status"] == "estimated" and "communes fusionnées (69149, 69152)" in oullins["source"]


SNIFFED = [c for c in cases() if c["sniffed"] == "yes"]


def _build_with_bad_file(built, case, capsys):
    """Drop one corpus file into the raw folder, build, remove it: (exit code, stderr, CURRENT before)."""
    raw, out, _log = built
    before = publish.current(out)
    materialise(case["file"], raw / "corpus")
    try:
        code = main(["build", "--raw", str(raw), "--out", str(out)])
    finally:
        shutil.rmtree(raw / "corpus")
    return code, capsys.readouterr().err, before


@pytest.mark.parametrize("case", SNIFFED, ids=[c["file"] for c in SNIFFED])
def test_corpus_file_fails_the_build_and_keeps_current(built, case, capsys):
    raw, out, _log = built
    code, err, before = _build_with_bad_file(built, case, capsys)
    assert code == 2, err
    assert case["file"] in err and f":{case['row']}:{case['column']}:" in err and case["fragment"] in err, err
    assert publish.current(out) == before
    assert Path(case["file"]).name not in {p.name for p in raw.iterdir()}


UNSNIFFED_BROKEN = [c for c in cases() if c["sniffed"] != "yes" and c["fragment"] in ("fichier vide", "illisible ou tronqué")]


@pytest.mark.parametrize("case", UNSNIFFED_BROKEN, ids=[c["file"] for c in UNSNIFFED_BROKEN])
def test_broken_unrecognisable_file_fails_the_build(built, case, capsys):
    """Empty files and truncated workbooks cannot be recognised by content, yet must not be skipped."""
    _raw, out, _log = built
    code, err, before = _build_with_bad_file(built, case, capsys)
    assert code == 2, err
    assert case["file"] in err and ":1:" in err and case["fragment"] in err, err
    assert publish.current(out) == before
