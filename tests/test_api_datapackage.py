"""The store as a Frictionless Data Package: ``pipeline export`` and the « Indicateurs » download, validated by
``frictionless validate`` (a damaged copy must fail, so the check is real)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from .helpers import ROOT

FRICTIONLESS = [sys.executable, "-m", "frictionless"]


def validate(path) -> subprocess.CompletedProcess:
    return subprocess.run([*FRICTIONLESS, "validate", "--json", str(path)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def exported(built_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("paquet")
    run = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "export", "--store", str(built_store),
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return out


def test_exported_package_is_valid_with_licence_sources_and_schemas(exported):
    result = validate(exported / "datapackage.json")
    assert result.returncode == 0, result.stdout[-2000:]
    assert json.loads(result.stdout)["valid"] is True
    desc = json.loads((exported / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["licenses"][0]["name"] == "etalab-2.0"
    assert any("IND-311" in s["title"] for s in desc["sources"])
    assert any("millésime" in s["title"] for s in desc["sources"])         # releases of the inputs
    names = {r["name"]: r for r in desc["resources"]}
    assert set(names) == {"valeurs", "indicateurs", "territoires", "cibles"}
    assert [f["name"] for f in names["valeurs"]["schema"]["fields"]][:3] == ["indicateur", "libelle_indicateur", "unite"]


def test_a_damaged_copy_fails_validation(exported, tmp_path):
    copy = tmp_path / "abime"
    shutil.copytree(exported, copy)
    lines = (copy / "valeurs.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(";")
    cells[8] = "beaucoup"                      # valeur: a number is expected
    lines[1] = ";".join(cells)
    (copy / "valeurs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert validate(copy / "datapackage.json").returncode != 0


def test_export_without_a_store_says_so(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "export", "--store", str(tmp_path / "vide"),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "aucune version" in run.stderr and "Traceback" not in run.stderr


def test_indicateurs_download_is_the_same_package(app, store_data, tmp_path):
    client = app.server.test_client()
    r = client.get("/export/donnees.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    zipfile.ZipFile(io.BytesIO(r.get_data())).extractall(tmp_path)
    assert validate(tmp_path / "datapackage.json").returncode == 0
    desc = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["version"] == store_data.version
    from layouts import indicateurs

    assert "/export/donnees.zip" in json.dumps(indicateurs.layout().to_plotly_json(), default=str)
