"""Official files as published, and as people re-save them; implausible input refused, never a traceback.

- Variants that must be *read*: CSV re-saved by a French Excel (``;``, decimal comma, BOM, dates
  ``01/12/2023``), ISO datetimes, quarters ``T4 2023``, the national Etalab CSV (France), metadata
  files set aside, placeholder rows of the DITP files skipped and counted.
- The whole ARA folder of real official files, dropped as it is, builds and gives the known figures.
- Plausibility: bounds and jumps from the catalogue, the reference date (sources.toml, --reference-date).
- sources.toml and the CLI: unknown keys and unknown regions refused; exit codes 0 and 2 only.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard.pipeline import build, plausibility, publish, sources
from dashboard.pipeline.__main__ import main
from dashboard.pipeline.errors import BuildError, InputError
from dashboard.pipeline.readers import barometre, catalogue, plan_csv

from .helpers import RAW, ROOT, cli, show

CATALOGUE = RAW / "catalogue" / "indicators.toml"
DITP_HEADER = "indic_id,enforce_zone_id,metric_enforce_date,maille,indic_vi,indic_va,indic_vc,indic_ta"
MESURE = "Doubler le nombre de maisons de santé et de centres de santé dans les territoires"
QUIET = {"echo": lambda _line: None}


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def value(frame: pd.DataFrame, indicator: str, territory: str, period: str) -> float:
    rows = frame[(frame.indicator == indicator) & (frame.territory == territory) & (frame.period == period)]
    assert len(rows) == 1, rows
    return float(rows.iloc[0].value)


# --- variants that must be read ---------------------------------------------------------------------

def test_ditp_resaved_by_french_excel_reads_like_the_original(tmp_path):
    original = write(tmp_path / "a" / "ind-312.csv", "\n".join([
        DITP_HEADER,
        "IND-312,D15,2022-09-01,DEPT,94.42,94.44,,",
        "IND-312,D15,2023-12-01,DEPT,,95.55,,20.25",
        "IND-312,D15,2026-12-01,DEPT,,,100.0,",
        "IND-312,R84,,REG,,,,"]) + "\n")
    excel = write(tmp_path / "b" / "ind-312.csv", "\r\n".join([
        DITP_HEADER.replace(",", ";"),
        "IND-312;D15;01/09/2022;DEPT;94,42;94,44;;",
        "IND-312;D15;01/12/2023;DEPT;;95,55;;20,25",
        "IND-312;D15;01/12/2026;DEPT;;;100;",
        "IND-312;R84;;REG;;;;"]) + "\r\n", bom=True)
    assert barometre.sniff_ditp(excel) and not barometre.sniff_meta(excel)
    a, b = barometre.read_ditp(original, {}), barometre.read_ditp(excel, {})
    cols = ["indicator", "territory", "period", "value"]
    assert b.observations[cols].equals(a.observations[cols])
    assert b.targets[cols].equals(a.targets[cols])
    assert value(b.observations, "ald_medecin_traitant_pct", "D15", "2023Q4") == 95.55
    assert "1 ligne(s) sans date ni valeur" in b.report[0]


@pytest.mark.parametrize("date", ["2023-12-01T00:00:00", "2023-12-01 00:00:00", "2023-12-01T00:00:00Z",
                                  "2023-12-01 00:00", "01/12/2023"])
def test_ditp_dates_with_a_time_or_french_order(tmp_path, date):
    f = write(tmp_path / "ind-311.csv", f"{DITP_HEADER}\nIND-311,R84,{date},REG,,383.0,,\n")
    assert value(barometre.read_ditp(f, {}).observations, "msp_count", "R84", "2023Q4") == 383


def test_values_carry_the_cell_they_were_read_from(tmp_path):
    f = write(tmp_path / "ind-311.csv", f"{DITP_HEADER}\nIND-311,R84,2023-06-01,REG,360.0,,,\n"
                                        f"IND-311,R84,2023-12-01,REG,,383.0,590.0,\n")
    c = barometre.read_ditp(f, {})
    rows = c.observations.set_index("period")
    assert (rows.loc["2023Q2", "_row"], rows.loc["2023Q2", "_column"]) == (2, "indic_vi")
    assert (rows.loc["2023Q4", "_row"], rows.loc["2023Q4", "_column"]) == (3, "indic_va")
    assert (c.targets.iloc[0]["_row"], c.targets.iloc[0]["_column"]) == (3, "indic_vc")


def test_etalab_national_csv_gives_france(tmp_path):
    f = write(tmp_path / "national.csv", "\n".join([
        "mesure,indicateur,id_indicateur,maille_geographique,date,valeur,unite",
        f"{MESURE},Nombre de MSP,nb-maisons-sante,national,2021-12-31,1889.0,maisons de santé",
        f"{MESURE},Nombre de centres de santé,nb-centres-sante,national,2021-12-31,,centres",
        f"{MESURE},Nombre de MSP,nb-maisons-sante,national,2022-06-30,2001.0,maisons de santé",
    ]) + "\n")
    assert [s.name for s in sources.registry() if s.sniff(f)][:1] == ["Baromètre Etalab (CSV régional)"]
    obs = barometre.read_etalab_csv(f, {}).observations
    assert set(obs.territory) == {"FR"}
    assert value(obs, "msp_count", "FR", "2022Q2") == 2001


def test_etalab_resaved_by_french_excel(tmp_path):
    f = write(tmp_path / "regional.csv", "\n".join([
        "mesure;indicateur;id_indicateur;code_region;libelle_region;date;valeur;unite",
        f"{MESURE};MSP;nb-maisons-sante;84;Auvergne-Rhône-Alpes;30/06/2017;155,0;maisons de santé",
        f"{MESURE};MSP;nb-maisons-sante;84;Auvergne-Rhône-Alpes;2017-12-31 00:00:00;165;maisons de santé",
    ]) + "\n", bom=True)
    obs = barometre.read_etalab_csv(f, {}).observations
    assert value(obs, "msp_count", "R84", "2017Q2") == 155 and value(obs, "msp_count", "R84", "2017Q4") == 165


def test_decimal_comma_is_refused_where_it_is_ambiguous(tmp_path):
    """In a comma-separated file, "1,234" could be 1.234 or 1 234: refused, with the way out."""
    f = write(tmp_path / "ind-311.csv", f'{DITP_HEADER}\nIND-311,R84,2023-12-01,REG,,"383,5",,\n')
    with pytest.raises(InputError) as err:
        barometre.read_ditp(f, {})
    assert (err.value.row, err.value.column) == (2, "indic_va") and "ambiguë" in err.value.message


def test_plan_csv_resaved_by_french_excel(tmp_path):
    f = write(tmp_path / "saisie.csv", "indicateur;territoire;trimestre;valeur;statut;source;note\r\n"
                                       "cpts_coverage_pct;D15;T4 2023;71,5;observed;ARS ARA;"
                                       "\"note; avec\r\ndeux lignes\"\r\n"
                                       "msp_count;D15;t1 2024;22;observed;ARS ARA;\r\n", bom=True)
    assert plan_csv.sniff(f)
    obs = plan_csv.read(f).observations
    assert value(obs, "cpts_coverage_pct", "D15", "2023Q4") == 71.5 and value(obs, "msp_count", "D15", "2024Q1") == 22
    assert "deux lignes" in obs.iloc[0].note      # a legitimate multi-line note is not a swallowed row


@pytest.mark.parametrize("header", [
    "indic_id,indic_parent_ch,indic_nom,indic_nom_baro,indic_descr,indic_descr_baro,tendance",
    "chantier_id,ch_nom,ch_descr,ch_ministere,ch_perseverant",
    "ch_id;ch_nom;ch_descr",
])
def test_metadata_files_are_recognised_and_set_aside(tmp_path, header):
    f = write(tmp_path / "meta.csv", header + "\nX-1,a,b,c,d,e,f\n")
    assert [s.name for s in sources.registry() if s.sniff(f)] == ["Baromètre (métadonnées)"]
    c = barometre.read_meta(f, {})
    assert c.observations is None and "mises de côté" in c.report[0]


# --- the real ARA folder, as published ------------------------------------------------------------

@pytest.fixture(scope="module")
def ara_store(opendata, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ara")
    raw, out = tmp / "raw", tmp / "out"
    shutil.copytree(RAW, raw)
    shutil.copytree(opendata / "ara", raw / "ara")       # every file, as it is
    result = cli("build", "--raw", str(raw), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stderr


def test_ara_official_folder_builds_with_known_figures(ara_store):
    out, log = ara_store
    assert show(out, "sas_coverage_pct", "D15", "2024Q3")[0]["value"] == 100
    msp = show(out, "msp_count", "R84", "2023Q4")
    assert msp[0]["value"] == 383
    assert [(r["value"], r["period"]) for r in msp if r["type"] == "target"] == [(590, "2026Q4")]
    assert show(out, "apl_mg_under_2_5_pct", "R84", "2023Q4")[0]["value"] == pytest.approx(16.1, abs=0.1)
    assert "1 ligne(s) sans date ni valeur" in log
    assert "non reconnu" not in log and "mises de côté (meta_indicateurs.csv)" in log
    manifest = json.loads((out / publish.current(out) / "manifest.json").read_text(encoding="utf-8"))
    skipped = manifest["facts"]["barometre_skipped_rows"]
    assert sum(v["placeholders"] for v in skipped.values()) == 1
    assert manifest["reference_date"] == dt.date.today().isoformat()


# --- plausibility -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def indicators():
    return catalogue.read(CATALOGUE).indicators


def frame(*rows, located=True):
    cols = ["indicator", "territory", "period", "value"]
    f = pd.DataFrame([r[:4] for r in rows], columns=cols)
    if located:
        f["_file"], f["_row"], f["_column"] = "saisie.csv", range(2, len(rows) + 2), "valeur"
    return f


def test_bounds_name_the_cell_and_the_bound(indicators):
    with pytest.raises(InputError) as err:
        plausibility.check_observations(frame(("msp_count", "D15", "2023Q2", 21), ("apl_mg_mean", "C15014",
                                                                                    "2023Q4", -4.82)),
                                        indicators, dt.date(2024, 1, 1))
    e = err.value
    assert (e.file, e.row, e.column) == ("saisie.csv", 3, "valeur")
    assert "au moins 0" in e.message and "jamais négatif" in e.message    # the catalogue's reason


def apl_millesimes(last: float, n: int = 40) -> pd.DataFrame:
    """A previous millésime of ``n`` commune APL (1 to 4,9), and one commune of the next at ``last``."""
    rows = [("apl_mg_mean", f"C01{i:03d}", "2022Q4", 1 + i / 10) for i in range(n)]
    return frame(*rows, ("apl_mg_mean", "C15014", "2023Q4", last))


def test_a_rare_value_is_a_soft_warning_never_a_refusal(indicators):
    """The 2023 national APL file has a commune at 40,03: outside the previous millésime's range, kept."""
    found = plausibility.assess(apl_millesimes(40.03), indicators)
    assert found.hard.empty
    (line,) = [l for l in found.soft if "étendue" in l]
    assert "apl_mg_mean : 1 valeur(s) hors de l'étendue du millésime précédent (2022Q4 : 1 à 4,9)" in line
    assert "C15014 2023Q4 : 40,03" in line
    assert plausibility.check_observations(apl_millesimes(40.03), indicators, dt.date(2024, 1, 1))
    assert plausibility.assess(apl_millesimes(3.2), indicators).soft == []    # inside the range: nothing


def test_a_value_a_thousand_times_the_previous_median_is_refused(indicators):
    # median of 1…4,9 is 2,95: 2 950 is the most a value may be
    assert plausibility.assess(apl_millesimes(2900), indicators).hard.empty
    with pytest.raises(InputError) as err:
        plausibility.check_observations(apl_millesimes(4820), indicators, dt.date(2024, 1, 1))
    assert err.value.row == 42 and err.value.column == "valeur"
    assert "plus de 1 000 fois la médiane des valeurs de même niveau du millésime 2022Q4 (2,95)" in err.value.message


def test_a_count_above_the_population_is_refused(indicators):
    data = frame(("msp_count", "D15", "2023Q4", 144_000))
    assert plausibility.assess(data, indicators).hard.empty                   # population unknown: no judgement
    found = plausibility.assess(data, indicators, population={"D15": 143_000})
    assert "dépasse la population du territoire (143 000 habitants)" in found.hard.iloc[0]["reason"]
    assert plausibility.assess(data, indicators, population={"D15": 150_000}).hard.empty


def test_context_gives_the_previous_millesime_without_being_judged(indicators):
    """The saisie checks one entry against the published store: the store's values are context only."""
    previous = apl_millesimes(1.0).iloc[:-1]
    previous.loc[0, "value"] = -1                       # impossible, but not the entry's fault
    entry = frame(("apl_mg_mean", "C15014", "2023Q4", 4820))
    found = plausibility.assess(entry, indicators, context=previous)
    assert list(found.hard.index) == [0] and "médiane" in found.hard.iloc[0]["reason"]


def test_values_without_location_are_named_by_indicator_and_territory(indicators):
    with pytest.raises(InputError) as err:
        plausibility.check_observations(frame(("cpts_coverage_pct", "D15", "2023Q4", 100.5), located=False),
                                        indicators, dt.date(2024, 1, 1))
    assert "cpts_coverage_pct pour D15 au trimestre 2023Q4" in str(err.value)


def test_reference_date_decides_what_is_future(indicators):
    data = frame(("msp_count", "R84", "2024Q1", 400))
    assert plausibility.check_observations(data, indicators, dt.date(2024, 1, 1)) == []
    with pytest.raises(InputError, match="postérieur à la date de référence du build \\(2023-12-31\\)"):
        plausibility.check_observations(data, indicators, dt.date(2023, 12, 31))


def test_targets_may_be_in_the_future_but_not_out_of_bounds(indicators):
    plausibility.check_targets(frame(("cpts_coverage_pct", "R84", "2099Q4", 100)), indicators)
    with pytest.raises(InputError, match="cible 150"):
        plausibility.check_targets(frame(("cpts_coverage_pct", "R84", "2026Q4", 150)), indicators)


def test_jumps_are_warnings_with_the_catalogue_factor(indicators):
    data = frame(("msp_count", "D15", "2023Q2", 21), ("msp_count", "D15", "2023Q4", 210),
                 ("msp_count", "D43", "2023Q2", 0), ("msp_count", "D43", "2023Q4", 17),   # from 0: no factor
                 ("msp_count", "D63", "2023Q2", 40), ("msp_count", "D63", "2023Q4", 44))
    (line,) = plausibility.check_observations(data, indicators, dt.date(2024, 1, 1))
    assert "msp_count : 1 saut(s) de plus d'un facteur 5" in line and "D15 2023Q2 → 2023Q4 : 21 → 210" in line
    stricter = indicators.assign(jump_factor=indicators["jump_factor"].where(indicators["id"] != "msp_count", 1.05))
    (line,) = plausibility.check_observations(data, stricter, dt.date(2024, 1, 1))
    assert "2 saut(s)" in line


def test_catalogue_bounds_default_by_unit_and_can_be_declared(tmp_path, indicators):
    ind = indicators.set_index("id")
    assert (ind.loc["msp_count", "min"], pd.isna(ind.loc["msp_count", "max"])) == (0, True)
    assert (ind.loc["sas_coverage_pct", "min"], ind.loc["sas_coverage_pct", "max"]) == (0, 100)
    assert pd.isna(ind.loc["apl_mg_mean", "max"]) and ind.loc["apl_mg_mean", "bounds_note"]   # no "rare" bound
    assert ind.loc["apl_mg_mean", "scale_factor"] == 1000
    text = CATALOGUE.read_text(encoding="utf-8").replace("jump_factor = 5", "jump_factor = 0.5")
    f = write(tmp_path / "indicators.toml", text)
    with pytest.raises(InputError) as err:
        catalogue.read(f)
    assert err.value.column == "jump_factor" and "jump_factor = 0.5" in text.splitlines()[err.value.row - 1]


# --- sources.toml, reference date, CLI ------------------------------------------------------------

def raw_with(tmp_path: Path, sources_toml: str | None = None, extra: dict | None = None) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    if sources_toml is not None:
        write(raw / "sources.toml", sources_toml)
    for name, text in (extra or {}).items():
        write(raw / name, text)
    return raw


def test_sources_toml_region_by_name_fails_the_build(tmp_path, capsys):
    raw = raw_with(tmp_path, 'region = "Auvergne-Rhône-Alpes"\n')
    code = main(["build", "--raw", str(RAW), "--raw", str(raw), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "sources.toml:1:region:" in err and "84" in err
    assert publish.current(tmp_path / "out") is None


def test_sources_toml_accepts_the_keys_the_readers_use(tmp_path):
    text = ('region = 84\nreference_date = 2024-06-30\nmapping = "m.csv"\nmillesime = 2024\ncontour_key = "code"\n'
            'contour_name = "nom"\nlevel = "commune"\ncontour_level = "commune"\nsimplify = 0\n'
            'ignore = ["notes/*.xlsx"]\nrelease = 2024-02-07\n')
    options = build.read_sources_toml(write(tmp_path / "sources.toml", text))
    assert options["region"] == "R84" and options["reference_date"] == dt.date(2024, 6, 30)
    assert options["release"] == "2024-02-07" and options["ignore"] == ["notes/*.xlsx"]
    assert set(options) == set(build.OPTION_KEYS) - {"zonage"}          # the [zonage] table: tests/test_cpts_zonage.py


def test_unknown_region_code_fails_the_build(tmp_path):
    with pytest.raises(BuildError, match="R99"):
        build.build([RAW], tmp_path / "out", region="R99", **QUIET)
    assert publish.current(tmp_path / "out") is None


def test_reference_date_from_sources_toml_and_cli(tmp_path, capsys):
    """The default data holds values of 2023: built "as of" mid-2022 they are in the future."""
    raw = raw_with(tmp_path, 'reference_date = "2022-06-30"\n')
    with pytest.raises(InputError, match="postérieur à la date de référence du build \\(2022-06-30\\)"):
        build.build([RAW, raw], None, publish_it=False, **QUIET)
    assert main(["check", "--raw", str(RAW), "--reference-date", "2022-06-30"]) == 2
    assert "2022-06-30" in capsys.readouterr().err
    # the option overrides sources.toml
    assert main(["check", "--raw", str(RAW), "--raw", str(raw), "--reference-date", dt.date.today().isoformat()]) == 0


def test_bad_reference_date_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--reference-date", "31/12/2023"])
    assert exc.value.code == 2 and "AAAA-MM-JJ" in capsys.readouterr().err


def test_an_unexpected_failure_is_one_french_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import dashboard.pipeline.build as build_module

    def broken(*_args, **_kwargs):
        raise KeyError("colonne")
    monkeypatch.setattr(build_module, "build", broken)
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "erreur inattendue (KeyError)" in err and "Traceback" not in err


def test_two_megabyte_line_is_an_input_error_not_a_traceback(tmp_path):
    raw = raw_with(tmp_path, extra={"saisie.csv": "indicateur,territoire,trimestre,valeur,statut,source,note\n"
                                                  "msp_count,D15,2023Q2,21,observed,ARS ARA," + "x" * 2_000_000 + "\n"})
    result = cli("check", "--raw", str(RAW), "--raw", str(raw))
    assert result.returncode == 2 and "saisie.csv:2:note: champ de 2 000 000 caractères" in result.stderr
    assert "Traceback" not in result.stderr


# --- the region's real files of every millésime, as published and corrupted ----------------------

def real_millesimes(opendata: Path) -> dict[str, list[Path]]:
    """Every real file of the region, grouped by release: the current DITP release with the APL 2022–2023
    workbook and contours, the earlier DITP release, the APL 2022 workbook and the Etalab baromètre."""
    return {"ara": [opendata / "ara"],
            "ditp-2024-02-07": [opendata / "ara" / "ditp" / "releases" / "2024-02-07"],
            "apl-2022": [opendata / "apl"], "barometre-etalab": [opendata / "barometre"]}


@pytest.mark.parametrize("release", ["ara", "ditp-2024-02-07", "apl-2022", "barometre-etalab"])
def test_every_real_millesime_builds(opendata, release):
    result = build.build([RAW, *real_millesimes(opendata)[release]], None, publish_it=False, **QUIET)
    assert len(result.manifest["inputs"]) > 1
    assert "plausibility" in result.manifest and isinstance(result.manifest["plausibility"]["soft"], list)


def corrupted_apl(opendata: Path, tmp_path: Path, value: float) -> tuple[Path, int]:
    """The default raw folder with the real APL 2022–2023 workbook, one 2023 commune's APL set to ``value``."""
    import openpyxl

    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    wb = openpyxl.load_workbook(opendata / "ara" / "apl" / "apl_mg_2022_2023_ara.xlsx")
    ws = wb["APL 2023"]
    row = next(r for r in range(11, ws.max_row + 1) if ws.cell(r, 1).value == "15014")   # Aurillac
    ws.cell(row, 3).value = value
    wb.save(raw / "opendata" / "apl_mg.xlsx")
    return raw, row


def test_real_apl_with_a_ski_resort_value_builds_with_a_warning(opendata, tmp_path):
    raw, _row = corrupted_apl(opendata, tmp_path, 40.03)
    result = build.build([raw], tmp_path / "out", **QUIET)
    assert result.published
    (line,) = [l for l in result.manifest["plausibility"]["soft"] if l.startswith("⚠ apl_mg_mean : ") and "étendue" in l]
    assert "C15014 2023Q4 : 40,03" in line and line in result.report


@pytest.mark.parametrize("value, fragment", [(40030, "plus de 1 000 fois la médiane"), (-0.5, "au moins 0")])
def test_real_apl_with_an_impossible_value_is_refused_at_its_cell(opendata, tmp_path, capsys, value, fragment):
    raw, row = corrupted_apl(opendata, tmp_path, value)
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"apl_mg.xlsx [feuille APL 2023]:{row}:C: " in err and fragment in err
    assert publish.current(tmp_path / "out") is None
