"""The upload corpus (issue 25): a valid XLSX (page and CLI), a zip bomb, a million-row file, cp1252 and UTF-8
CSVs, bytes that are neither; and no formula in any CSV/XLSX the app writes."""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pandas as pd
import pytest

from dashboard import exports, security
from dashboard.pipeline.errors import InputError
from dashboard.saisie import service, upload

from .test_saisie import cli_env  # noqa: F401 — the CLI's environment (a fixture)

Q = "2024Q2"
ALICE = security.Account("alice", "contributeur", ("D15",))
HEADER = ["indicateur", "territoire", "trimestre", "valeur", "statut", "source", "note"]
LIMITS = upload.Limits(max_bytes=2 * 1024 * 1024, max_unzipped=20 * 1024 * 1024, max_ratio=100, max_rows=5000,
                       max_columns=30, seconds=10.0)


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def bomb(size: int = 1024 * 1024 * 1024) -> bytes:
    """A workbook whose sheet part expands to ``size`` bytes (zeros compress ~1000 times)."""
    buf = io.BytesIO()
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER])))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for part in good.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                out.writestr(part, good.read(part))
        with out.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


# ---- XLSX ----------------------------------------------------------------------------------------------

def test_a_valid_xlsx_is_imported_whatever_its_name(database_url, store_data, tmp_path):
    path = tmp_path / "depot"                    # no suffix: the format is read from the bytes
    path.write_bytes(xlsx_bytes([HEADER, ["mcs_count", "D15", Q, 9, "observed", "Bilan SAMU", "écart vérifié"]]))
    assert service.import_file(database_url, store_data, ALICE, Q, path, "saisie.xlsx", region="R84") == 1
    d = service.drafts(database_url, Q, ["D15"])
    assert d["value"].tolist() == [9] and d["note"].tolist() == ["écart vérifié"]


def test_a_zip_bomb_is_refused_within_2_s_and_200_mb():
    raw = bomb()
    assert len(raw) < LIMITS.max_bytes
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(InputError, match="décompressé"):
        upload.to_csv_text(raw, "bombe.xlsx", LIMITS)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2 and peak < 200 * 1024 * 1024


def test_a_highly_compressed_part_is_refused_under_the_total_limit():
    with pytest.raises(InputError, match="suspect"):
        upload.to_csv_text(bomb(8 * 1024 * 1024), "bombe.xlsx", LIMITS)


def test_a_million_row_workbook_stops_at_the_row_limit():
    small = upload.Limits(**{**LIMITS.__dict__, "max_rows": 50})
    raw = xlsx_bytes([HEADER] + [["mcs_count", "D15", Q, i, "observed", "s", ""] for i in range(200)])
    with pytest.raises(InputError, match="trop de lignes") as exc:
        upload.to_csv_text(raw, "long.xlsx", small)
    assert exc.value.row == 52


def test_a_million_row_csv_is_refused_before_parsing():
    text = ",".join(HEADER) + "\n" + "mcs_count,D15,2024Q2,1,observed,s,\n" * 1_000_000
    with pytest.raises(InputError, match="trop volumineux"):
        upload.to_csv_text(text.encode(), "long.csv", LIMITS)
    with pytest.raises(InputError, match="trop de lignes"):
        upload.to_csv_text(text[:1_000_000].encode(), "long.csv", upload.Limits(**{**LIMITS.__dict__,
                                                                                  "max_bytes": 10**8}))


def test_too_many_columns_are_refused():
    with pytest.raises(InputError, match="colonnes"):
        upload.to_csv_text(xlsx_bytes([list(range(40))]), "large.xlsx", LIMITS)


def test_formula_cells_are_never_run(database_url, store_data, tmp_path):
    """A formula is read as the value Excel computed (none here: an empty note), never evaluated; a text typed as
    « =HYPERLINK(…) » is kept as typed and neutralised on the way out."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["mcs_count", "D15", Q, 9, "observed", "Bilan", '=HYPERLINK("http://x")'])
    book.active.append(["asalee_teams", "D15", Q, 2, "observed", "Bilan", "texte"])
    book.active["G3"].value, book.active["G3"].data_type = '=HYPERLINK("http://y")', "s"
    path = tmp_path / "f.xlsx"
    book.save(path)
    service.import_file(database_url, store_data, ALICE, Q, path, region="R84")
    notes = service.drafts(database_url, Q, ["D15"]).set_index("indicator")["note"]
    assert notes["mcs_count"] == "" and notes["asalee_teams"] == '=HYPERLINK("http://y")'
    assert exports.to_csv(pd.DataFrame({"note": [notes["asalee_teams"]]})).splitlines()[1].startswith('"\'=')


# ---- encodings -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_accents_survive_every_accepted_encoding(database_url, store_data, tmp_path, encoding):
    text = ",".join(HEADER) + f"\nmcs_count,D15,{Q},9,observed,Bilan SAMU,écart vérifié\n"
    path = tmp_path / "depot.csv"
    path.write_bytes(text.encode(encoding))
    service.import_file(database_url, store_data, ALICE, Q, path, region="R84")
    assert service.drafts(database_url, Q, ["D15"])["note"].tolist() == ["écart vérifié"]


def test_bytes_neither_utf8_nor_cp1252_are_refused_not_mangled():
    with pytest.raises(InputError, match="encodage"):
        upload.decode("note\n\x81\xe9".encode("latin-1"), "x.csv")


# ---- the CLI ---------------------------------------------------------------------------------------------

def test_cli_imports_a_valid_xlsx(cli_env, tmp_path):
    from .test_saisie import run_cli

    path = tmp_path / "valid.xlsx"
    path.write_bytes(xlsx_bytes([HEADER, ["mcs_count", "D15", Q, 9, "observed", "Bilan SAMU", ""]]))
    done = run_cli(["dashboard.saisie", "import", str(path), "--user", "alice", "--quarter", Q], cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].isdigit()


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_cli_refuses_a_bomb_with_exit_2(cli_env, tmp_path):
    from .test_saisie import run_cli

    path = tmp_path / "bombe.xlsx"
    path.write_bytes(bomb())
    done = run_cli(["dashboard.saisie", "import", str(path), "--user", "alice", "--quarter", Q], cli_env)
    assert done.returncode == 2 and "décompressé" in done.stderr and "Traceback" not in done.stderr




# ---- no formula leaves the app ---------------------------------------------------------------------------

EVIL = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _frame():
    return pd.DataFrame({"texte": EVIL, "nombre": [-3.5] * len(EVIL), "libre": ["-3,5 %"] * len(EVIL)})


def test_every_csv_cell_that_could_run_is_neutralised():
    import csv

    rows = list(csv.reader(io.StringIO(exports.to_csv(_frame()).lstrip("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == 1 + len(EVIL) and all(r[0].startswith("'") for r in rows[1:])
    assert {r[1] for r in rows[1:]} == {"-3,5"} and {r[2] for r in rows[1:]} == {"-3,5 %"}   # numbers unchanged


def test_no_xlsx_export_holds_a_formula():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exports.to_xlsx([("Feuille", _frame())])))
    cells = [c for row in book["Feuille"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert [c.value for c in book["Feuille"]["A"][1:]] == ["'" + v for v in EVIL]


def test_the_plan_page_and_history_exports_are_neutralised(database_url, store_data):
    from openpyxl import load_workbook

    from dashboard import plan

    table = pd.DataFrame({"indicateur": ["mcs_count"], "commentaire": ['=HYPERLINK("http://x")']})
    assert "'=HYPERLINK" in plan.to_csv(table)
    book = load_workbook(io.BytesIO(plan.to_xlsx(table)))
    assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    service.record(database_url, "@evil", "reject", detail='=HYPERLINK("http://x")')   # a decision's comment
    history = exports.to_csv(service.audit_table(service.audit_rows(database_url)))
    assert "'=HYPERLINK" in history and ";'@evil;" in history
    assert ';=HYPERLINK' not in history and ';"=HYPERLINK' not in history


def test_cli_a_valideur_importing_outside_its_region_exits_3_and_is_audited(cli_env, tmp_path):
    from .test_saisie import run_cli

    path = tmp_path / "paris.csv"
    path.write_text(",".join(HEADER) + f"\nmcs_count,D75,{Q},9,observed,Bilan SAMU,\n", encoding="utf-8")
    done = run_cli(["dashboard.saisie", "import", str(path), "--user", "vera", "--quarter", Q], cli_env)
    assert done.returncode == 3 and "hors du périmètre" in done.stderr
    url = cli_env["ACCES_SOINS_DATABASE_URL"]
    assert service.drafts(url, Q, ["D75"]).empty
    assert "D75" in set(service.audit_rows(url, user="vera", action="refused")["territory"])


def test_the_packs_embedded_chart_workbooks_hold_no_formula(store_data):
    """The PPTX pack's charts carry their data as embedded workbooks (« pack data »): a label starting with « = »
    or « @ » is text there too."""
    import zipfile

    from openpyxl import load_workbook

    from dashboard import pack

    quarter = sorted(store_data.observations["period"].unique())[-1]
    content = pack.assemble(store_data, "R84", quarter, appraisals={})
    for slide in content["slides"]:
        if slide.get("breakdown"):
            slide["breakdown"]["categories"][0] = '=HYPERLINK("http://x")'
        if slide.get("chart"):
            _name, *rest = slide["chart"]["series"][0]
            slide["chart"]["series"][0] = ("@evil", *rest)
    archive = zipfile.ZipFile(io.BytesIO(pack.pptx_bytes(content)))
    books = [n for n in archive.namelist() if n.endswith(".xlsx")]
    assert books
    cells = [c for n in books for ws in load_workbook(io.BytesIO(archive.read(n)))
             for row in ws.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    assert "'=HYPERLINK(\"http://x\")" in {c.value for c in cells} and "'@evil" in {c.value for c in cells}


def test_a_mixed_upload_names_each_refused_row_and_saves_nothing(database_url, store_data, tmp_path):
    """Issue 22, point 4: every refused row with its line and reason — outside the scope (audited), unknown
    territory, another quarter, beyond a hard bound — and the good row is not saved either."""
    population = int(store_data.territories.loc["D43", "population"])
    alice = security.Account("alice", "contributeur", ("D15", "D43"))
    rows = [HEADER, ["mcs_count", "D15", Q, "9", "observed", "Bilan SAMU", ""],
            ["mcs_count", "D69", Q, "9", "observed", "Bilan SAMU", ""],
            ["mcs_count", "D99", Q, "9", "observed", "Bilan SAMU", ""],
            ["mcs_count", "D15", "2024Q1", "9", "observed", "Bilan SAMU", ""],
            ["mcs_count", "D43", Q, str(population + 1), "observed", "Bilan SAMU", "vérifié"]]
    path = tmp_path / "melange.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(service.RowsOutsideScope) as refused:
        service.import_file(database_url, store_data, alice, Q, path, region="R84")
    assert [(line, column) for line, column, _m in refused.value.problems] == [
        (3, "territoire"), (4, "territoire"), (5, "trimestre"), (6, "valeur")]
    lines = refused.value.lines()
    assert lines[0].startswith("melange.csv:3:territoire: saisie pour D69 hors du périmètre")
    assert "D99" in lines[1] and "2024Q1" in lines[2]
    assert service.drafts(database_url, Q, ["D15", "D43", "D69"]).empty
    assert set(service.audit_rows(database_url, user="alice", action="refused")["territory"]) == {"D69"}


def test_rows_refused_inside_the_scope_are_an_input_error(database_url, store_data, tmp_path):
    path = tmp_path / "mal.csv"
    path.write_text(",".join(HEADER) + f"\nmcs_count,D99,{Q},9,observed,Bilan SAMU,\n", encoding="utf-8")
    with pytest.raises(service.RowsRefused) as refused:
        service.import_file(database_url, store_data, ALICE, Q, path, region="R84")
    assert not isinstance(refused.value, service.Refused) and refused.value.row == 2
