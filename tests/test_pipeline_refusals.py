"""A build cannot pass bad input off as success (issue 21, point 5).

A file no reader recognises fails the build, named with what it looked like (unless sources.toml lists it
under ``ignore``); workbooks whose formulas were saved without values are named as such; a build for a
region the files do not cover names the regions they do. The read-stage refusals (DITP maille, pre-2016
region codes, one source giving two values, a level the catalogue does not declare) are corpus cases
(tests/corpus/expected.csv).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from dashboard.pipeline import build, publish
from dashboard.pipeline.__main__ import main
from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import apl
from tests.fixtures.builders import APL_ROWS, write_apl_workbook

from .helpers import ROOT

RAW = ROOT / "data" / "raw"
QUIET = {"echo": lambda _line: None}


def refused(extra: Path, tmp_path: Path) -> InputError:
    with pytest.raises(InputError) as err:
        build.build([RAW, extra], tmp_path / "out", **QUIET)
    assert publish.current(tmp_path / "out") is None
    return err.value


def folder(tmp_path: Path, name: str) -> Path:
    raw = tmp_path / "extra"
    raw.mkdir(exist_ok=True)
    return raw / name


def test_a_workbook_whose_apl_sheet_was_renamed_fails_the_build(tmp_path):
    path = folder(tmp_path, "apl_mg_2022.xlsx")
    write_apl_workbook(path, {"APL_2022": APL_ROWS})
    e = refused(path.parent, tmp_path)
    assert e.file == str(path)
    assert "classeur sans feuille « APL AAAA » : feuilles trouvées Paramètres, APL_2022" in e.message
    assert "ignore" in e.message


def test_a_binary_renamed_csv_is_named_as_such(tmp_path):
    path = folder(tmp_path, "barometre.csv")
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n")
    e = refused(path.parent, tmp_path)
    assert e.file == str(path) and "fichier binaire (un PDF) nommé « .csv »" in e.message


def test_an_apl_sheet_saved_as_csv_by_french_excel_is_named_as_such(tmp_path):
    path = folder(tmp_path, "APL 2023.csv")
    lines = ["Indicateur d'accessibilité potentielle localisée (APL) 2023 aux médecins généralistes;;;;;", ";;;;;",
             "Millésime : 2023;;;;;", *[";;;;;"] * 5,
             "Code commune INSEE;Commune;APL aux médecins généralistes;APL aux médecins généralistes de moins de 65 ans;"
             "Population standardisée 2021 pour la médecine générale;Population totale 2021",
             ";;En nombre de consultations;En nombre de consultations;En nombre d'habitants standardisés;En nombre d'habitants",
             "01001;L'Abergement-Clémenciat;1,942;1,881;838,154;832"]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    e = refused(path.parent, tmp_path)
    assert "feuille APL de la DREES enregistrée en CSV" in e.message and "classeur .xlsx officiel" in e.message


def test_an_unknown_text_file_names_its_first_line(tmp_path):
    path = folder(tmp_path, "export.csv")
    path.write_text("code;libellé;nb\n15;Cantal;22\n", encoding="utf-8")
    e = refused(path.parent, tmp_path)
    assert "texte non reconnu (première ligne « code;libellé;nb »)" in e.message


def test_files_listed_under_ignore_and_documentation_are_not_read(tmp_path):
    path = folder(tmp_path, "export.csv")
    path.write_text("code;libellé;nb\n15;Cantal;22\n", encoding="utf-8")
    (path.parent / "notes").mkdir()
    (path.parent / "notes" / "brouillon.xlsx").write_bytes(b"PK\x03\x04 pas un classeur")
    (path.parent / "LISEZMOI.md").write_text("# Notes\n", encoding="utf-8")
    (path.parent / "sources.toml").write_text('ignore = ["export.csv", "notes/*.xlsx"]\n', encoding="utf-8")
    files, options = build.discover([path.parent])
    assert files == [] and "ignore" not in options
    (path.parent / "sources.toml").write_text('ignore = "export.csv"\n', encoding="utf-8")
    with pytest.raises(InputError, match="sources.toml:1:ignore: .*liste de fichiers"):
        build.discover([path.parent])


def test_formulas_saved_without_their_values_are_named_as_such(tmp_path):
    rows = [list(r) for r in APL_ROWS]
    for r in rows:
        r[2] = f"=ROUND({r[2]}, 3)"        # written by a program: a formula, no cached value
    path = tmp_path / "apl.xlsx"
    write_apl_workbook(path, {"APL 2022": rows})
    with pytest.raises(InputError) as err:
        apl.read(path)
    e = err.value
    assert (e.row, e.column) == (11, "C")
    assert "des formules enregistrées sans leur résultat" in e.message
    wb = openpyxl.load_workbook(path)
    for row in wb["APL 2022"].iter_rows(min_row=11, min_col=3, max_col=3):
        row[0].value = None
    wb.save(path)
    with pytest.raises(InputError, match="aucune valeur dans la colonne .* colonne vide ou décalée"):
        apl.read(path)


def test_a_build_for_a_region_the_files_do_not_cover_names_the_covered_ones(opendata, tmp_path, capsys):
    assert main(["build", "--raw", str(RAW), "--raw", str(opendata / "ara"), "--region", "R53",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "aucune valeur pour la région R53 dans les fichiers : ils couvrent les régions R84" in err
    assert "Traceback" not in err and publish.current(tmp_path / "out") is None


def contours(path: Path, rings: list[list[list[float]]]) -> Path:
    import json

    features = [{"type": "Feature", "properties": {"code": code, "nom": code},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}
                for code, ring in zip(("15014", "15187"), rings)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_self_intersecting_polygon_is_repaired_and_named(tmp_path):
    from dashboard.pipeline.readers import contours as reader

    square = [[2.4, 44.9], [2.5, 44.9], [2.5, 45.0], [2.4, 45.0], [2.4, 44.9]]
    bowtie = [[2.5, 44.9], [2.6, 45.0], [2.6, 44.9], [2.5, 45.0], [2.5, 44.9]]   # its edges cross
    c = reader.read(contours(tmp_path / "communes.geojson", [square, bowtie]), {})
    (line,) = [l for l in c.report if "invalide" in l]
    assert "communes.geojson : 1 forme(s) invalide(s) réparée(s) (make_valid)" in line and "n° 2 (C15187" in line
    assert c.geometry["commune"].geometry.is_valid.all()
    assert c.facts["repaired_shapes"]["communes.geojson"][0]["feature"] == 2


def test_a_polygon_with_no_area_is_refused_with_its_feature_number(tmp_path):
    from dashboard.pipeline.readers import contours as reader

    square = [[2.4, 44.9], [2.5, 44.9], [2.5, 45.0], [2.4, 45.0], [2.4, 44.9]]
    flat = [[2.5, 44.9], [2.6, 44.9], [2.7, 44.9], [2.5, 44.9]]                 # all on one line
    with pytest.raises(InputError) as err:
        reader.read(contours(tmp_path / "communes.geojson", [square, flat]), {})
    assert (err.value.row, err.value.column) == (2, "geometry") and "sans surface" in err.value.message
