"""A build reads again only the files that changed (dashboard.pipeline.readcache), and builds the same."""
from __future__ import annotations

import shutil

import pytest

from dashboard import settings, store
from dashboard.pipeline import readcache
from dashboard.pipeline.build import build
from dashboard.pipeline.errors import InputError

from .helpers import RAW


@pytest.fixture
def raw(tmp_path, monkeypatch):
    """A copy of the default raw folder and a cache of its own (the suite's shared one is not touched)."""
    folder = tmp_path / "raw"
    shutil.copytree(RAW, folder)
    previous = settings.current()
    settings.use(settings.Settings(data_dir=tmp_path / "processed", cache_dir=tmp_path / "cache"))
    monkeypatch.setenv("ACCES_SOINS_READ_CACHE", "1")
    yield folder
    settings.use(previous)


def lines_of(folder, out):
    said = []
    result = build([folder], out, region="R84", echo=said.append)
    return result, [line for line in said if line.startswith("  [")]


def test_the_second_build_reads_nothing_again_and_publishes_the_same(raw, tmp_path):
    first, read = lines_of(raw, tmp_path / "a")
    assert first.published and not any("déjà lu" in line for line in read)
    second, kept = lines_of(raw, tmp_path / "b")
    assert second.published and len(kept) == len(read) and all("déjà lu, inchangé" in line for line in kept)
    a, b = store.open_store(tmp_path / "a"), store.open_store(tmp_path / "b")
    for table in ("observations", "territories", "indicators", "targets", "perimeters", "structures"):
        assert getattr(a, table).equals(getattr(b, table)), table
    assert a.manifest["warnings"] == b.manifest["warnings"] and a.manifest["facts"] == b.manifest["facts"]


def test_a_file_changed_in_place_is_read_again_and_its_new_value_published(raw, tmp_path):
    lines_of(raw, tmp_path / "a")
    plan = raw / "plan" / "suivi_plan.csv"
    text = plan.read_text(encoding="utf-8")
    assert "msp_count,R84,2018Q1,173," in text
    plan.write_text(text.replace("msp_count,R84,2018Q1,173,", "msp_count,R84,2018Q1,174,", 1), encoding="utf-8")
    _result, read = lines_of(raw, tmp_path / "b")
    again = [line for line in read if "suivi_plan.csv" in line]
    assert again and "déjà lu" not in again[0]
    assert any("déjà lu" in line for line in read if "territories.csv" in line)      # the others are not
    obs = store.open_store(tmp_path / "b").observations
    msp = obs[(obs["indicator"] == "msp_count") & (obs["territory"] == "R84") & (obs["period"] == "2018Q1")]
    assert msp["value"].tolist() == [174.0]


def test_a_refused_file_is_refused_every_time_and_off_means_off(raw, tmp_path, monkeypatch):
    bad = raw / "plan" / "suivi_plan.csv"
    bad.write_text(bad.read_text(encoding="utf-8") + "msp_count,R84,2099Q9,abc,observed,source,\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError):
            build([raw], tmp_path / "x", region="R84", echo=lambda _l: None)
    assert not (tmp_path / "x" / "CURRENT").exists()
    monkeypatch.setenv("ACCES_SOINS_READ_CACHE", "0")
    assert not readcache.enabled()
    bad.unlink()
    _r, read = lines_of(raw, tmp_path / "y")
    assert read and not any("déjà lu" in line for line in read)


def test_the_baromètre_is_read_again_when_its_mapping_table_changes(raw, tmp_path):
    lines_of(raw, tmp_path / "a")
    mapping = next(raw.rglob("mappings/barometre.csv"))
    lines = mapping.read_text(encoding="utf-8").splitlines()
    mapping.write_text("\n".join([*lines[:1], *lines[1:][::-1]]) + "\n", encoding="utf-8")   # same rows, reordered
    _r, read = lines_of(raw, tmp_path / "b")
    ditp = [line for line in read if "Baromètre DITP" in line]
    assert ditp and "déjà lu" not in ditp[0]
