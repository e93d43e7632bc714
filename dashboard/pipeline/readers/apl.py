"""DREES workbook « L'accessibilité potentielle localisée (APL) aux médecins généralistes ».

Layout of the official national file (one sheet per millésime ``APL 2022``, ``APL 2023``…
plus notes sheets): title and notes, a header row (normally row 9) containing
``Code commune INSEE``, a units row right after it, then one row per commune. Lyon, Paris
and Marseille come as municipal arrondissements.

``read`` returns the commune values (status ``observed``); ``finalize`` rolls them up to
the whole city (Lyon/Paris/Marseille), EPCI, département, région and France with the
rule DREES prints in the workbook itself:

- mean APL of a territory = communal APL weighted by the **standardised** population;
- share of the population under a threshold (APL < 2.5) = over the **total** population.
"""
from __future__ import annotations

import re
import unicodedata
from functools import partial
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from ..contribution import Contribution
from ..errors import InputError
from . import _common

SOURCE = "DREES APL"
SHEET_RE = re.compile(r"^\s*APL\s+(\d{4})\s*$")
HEADER_MARK = "code commune insee"
HEADER_SEARCH_ROWS = 40
THRESHOLD = 2.5          # plan's definition of an under-served commune: APL < 2.5
COVERAGE_MIN = 0.95      # share of a territory's communes the file must hold to publish its aggregate
PRIORITY = 10

# Expected columns: role -> (label shown in messages, predicate on the normalised header).
COLUMNS = {
    "code": ("Code commune INSEE", lambda h: h == HEADER_MARK),
    "apl": ("APL aux médecins généralistes", lambda h: h == "apl aux médecins généralistes"),
    # The "foreseeable" APL: "de moins de 65 ans" (2022) or "de 65 ans ou moins" (other releases);
    # the 62- and 60-year variants some releases add are ignored.
    "apl65": ("APL aux médecins généralistes de moins de 65 ans (ou « de 65 ans ou moins »)",
              lambda h: h.startswith("apl aux médecins généralistes") and "65 ans" in h),
    # The year suffix follows the millésime ("Population totale 2020" in APL 2022, 2021 in APL 2023).
    "pop_std": ("Population standardisée …", lambda h: h.startswith("population standardisée")),
    "pop_tot": ("Population totale …", lambda h: h.startswith("population totale")),
}


INDICATORS = {  # commune value column -> (mean indicator, share-under-threshold indicator)
    "apl": ("apl_mg_mean", "apl_mg_under_2_5_pct"),
    "apl65": ("apl_mg_mean_65", "apl_mg_under_2_5_pct_65"),
}


def _norm(value: object) -> str:
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def sniff(path: Path) -> bool:
    """An xlsx holding at least one sheet named ``APL <year>`` (sheet names only, never raises)."""
    try:
        if not _common.is_zip(path):
            return False
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            return any(SHEET_RE.match(name) for name in wb.sheetnames)
        finally:
            wb.close()
    except Exception:
        return False


def _open(path: Path):
    if not Path(path).exists():
        raise InputError(path, "fichier introuvable", 1, "A")
    if not _common.is_zip(path):
        raise InputError(path, "classeur Excel (.xlsx) illisible : fichier vide, tronqué ou d'un autre format", 1, "A")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError on missing parts, XML errors: all mean a broken file
        raise InputError(path, f"classeur Excel illisible ou tronqué ({type(exc).__name__})", 1, "A") from None


def source_label(millesime: int) -> str:
    return f"DREES, APL aux médecins généralistes {millesime}"


def period_of(millesime: int) -> str:
    # The APL of millésime Y is computed from doctors' activity of year Y (SNIIR-AM Y), so it
    # describes the situation over year Y: we file it at the last quarter of that year.
    return f"{millesime}Q4"


def _find_header(path: Path, rows: list[tuple], sheet: str) -> int:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(cell is not None and _norm(cell) == HEADER_MARK for cell in row):
            return i
    raise InputError(path, f"feuille « {sheet} » : ligne d'en-tête introuvable (aucune cellule « Code commune "
                           f"INSEE » dans les {HEADER_SEARCH_ROWS} premières lignes ; attendue ligne 9)", 9, "A")


def _match_columns(path: Path, header: tuple, sheet: str, excel_row: int) -> dict[str, int]:
    found: dict[str, int] = {}
    labels = [_norm(c) if c is not None else "" for c in header]
    for role, (_label, predicate) in COLUMNS.items():
        for j, h in enumerate(labels):
            if h and predicate(h):
                found[role] = j
                break
    # "APL aux médecins généralistes de moins de 65 ans" must not be taken for the main APL
    missing = [role for role in COLUMNS if role not in found]
    if missing:
        present = ", ".join(f"« {c} »" for c in header if c is not None) or "aucune"
        role = missing[0]
        raise InputError(path, f"feuille « {sheet} » : colonne « {COLUMNS[role][0]} » introuvable ; "
                               f"colonnes trouvées : {present}", excel_row, COLUMNS[role][0])
    return found


def _code(path: Path, value: object, sheet: str, row: int, col: str) -> str:
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    if re.fullmatch(r"\d{4}", text):
        raise InputError(path, f"feuille « {sheet} » : code commune « {text} » à 4 chiffres : le zéro initial a été "
                               f"perdu (enregistrer la colonne en texte, ex. « 0{text} »)", row, col)
    if not re.fullmatch(r"\d{5}|2[AB]\d{3}", text):
        raise InputError(path, f"feuille « {sheet} » : code commune INSEE invalide « {text} » "
                               f"(attendu 5 caractères, ex. 01001 ou 2A004)", row, col)
    return text


def _number(path: Path, value: object, sheet: str, row: int, col: str, header: str) -> float:
    if value is None:
        return np.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        number = _common.parse_number(str(value))
    except ValueError:
        raise InputError(path, f"feuille « {sheet} » : valeur non numérique « {value} » dans la colonne "
                               f"« {header} »", row, col) from None
    return np.nan if number is None else number


def read_sheet(path: Path, ws, sheet: str, millesime: int) -> pd.DataFrame:
    """One millésime sheet -> frame [code, millesime, apl, apl65, pop_std, pop_tot, row, sheet, col_<role>…]
    (sheet, row and column letters say where each value was read)."""
    try:
        ws.reset_dimensions()  # some writers store a wrong sheet size; read every row present
    except AttributeError:
        pass
    rows = list(ws.iter_rows(values_only=True))
    h = _find_header(path, rows, sheet)
    header = rows[h]
    cols = _match_columns(path, header, sheet, h + 1)
    letters = {role: get_column_letter(j + 1) for role, j in cols.items()}
    names = {role: str(header[j]).strip() for role, j in cols.items()}
    start = h + 1
    # The units row ("En nombre d'habitants"…) has no commune code: skip it when present.
    if start < len(rows) and _cell(rows[start], cols["code"]) in (None, ""):
        start += 1
    seen: dict[str, int] = {}
    out = {k: [] for k in ("code", "apl", "apl65", "pop_std", "pop_tot", "row")}
    for i in range(start, len(rows)):
        row = rows[i]
        if row is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        excel_row = i + 1
        code = _code(path, _cell(row, cols["code"]), sheet, excel_row, letters["code"])
        if code in seen:
            raise InputError(path, f"feuille « {sheet} » : commune {code} en double (déjà ligne {seen[code]})",
                             excel_row, letters["code"])
        seen[code] = excel_row
        out["code"].append(code)
        out["row"].append(excel_row)
        for role in ("apl", "apl65", "pop_std", "pop_tot"):
            value = _number(path, _cell(row, cols[role]), sheet, excel_row, letters[role], names[role])
            if role.startswith("pop") and value < 0:
                raise InputError(path, f"feuille « {sheet} » : population négative « {value:g} » dans la colonne "
                                       f"« {names[role]} » (attendu un nombre d'habitants, positif ou nul)",
                                 excel_row, letters[role])
            out[role].append(value)
    if not out["code"]:
        raise InputError(path, f"feuille « {sheet} » : aucune ligne de données après l'en-tête (ligne {h + 1}) : "
                               f"classeur vide ou tronqué", start + 1, "A")
    if all(np.isnan(v) for v in out["apl"]):
        first = out["row"][0]
        what = ("des formules enregistrées sans leur résultat (classeur écrit par un programme, jamais recalculé) : "
                "l'ouvrir dans Excel ou LibreOffice et l'enregistrer"
                if _is_formula(path, sheet, first, cols["apl"]) else "colonne vide ou décalée")
        raise InputError(path, f"feuille « {sheet} » : aucune valeur dans la colonne « {names['apl']} » : {what}",
                         first, letters["apl"])
    df = pd.DataFrame(out)
    df.insert(1, "millesime", millesime)
    df["sheet"] = sheet
    for role, letter in letters.items():
        df[f"col_{role}"] = letter
    return df


def _is_formula(path: Path, sheet: str, row: int, j: int) -> bool:
    """The cell holds a formula (read without ``data_only``): its value was never computed and saved."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = next((wb[n] for n in wb.sheetnames if n.strip() == sheet), None)
        value = _cell(next(ws.iter_rows(min_row=row, max_row=row, values_only=True), ()), j) if ws else None
    finally:
        wb.close()
    return isinstance(value, str) and value.startswith("=")


def _cell(row: tuple, j: int):
    return row[j] if j < len(row) else None


def read_communes(path: Path) -> pd.DataFrame:
    """Every ``APL <year>`` sheet of the workbook, stacked (see :func:`read_sheet`)."""
    path = Path(path)
    wb = _open(path)
    try:
        sheets = [(name, int(m.group(1))) for name in wb.sheetnames if (m := SHEET_RE.match(name))]
        if not sheets:
            raise InputError(path, f"aucune feuille « APL AAAA » dans le classeur (feuilles : "
                                   f"{', '.join(wb.sheetnames) or 'aucune'})", 1, "A")
        frames = []
        for name, year in sheets:
            try:
                frames.append(read_sheet(path, wb[name], name.strip(), year))
            except InputError:
                raise
            except Exception as exc:  # a zip member cut short surfaces while iterating rows
                raise InputError(path, f"feuille « {name} » illisible ou tronquée ({type(exc).__name__})",
                                 1, "A") from None
    finally:
        wb.close()
    return pd.concat(frames, ignore_index=True)


def commune_observations(communes: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Commune values, each with the sheet cell it was read from (``_file``, ``_row``, ``_column``)."""
    parts = []
    for col, (mean_id, _share_id) in INDICATORS.items():
        d = communes.loc[communes[col].notna()]
        parts.append(pd.DataFrame({
            "indicator": mean_id,
            "territory": "C" + d["code"],
            "period": d["millesime"].map(period_of),
            "value": d[col].astype(float),
            "status": "observed",
            "source": d["millesime"].map(source_label),
            "note": "",
            "release": d["millesime"].astype(str),
            "_file": f"{path} [feuille " + d["sheet"] + "]",
            "_row": d["row"],
            "_column": d[f"col_{col}"],
        }))
    return pd.concat(parts, ignore_index=True)


def commune_weights(communes: pd.DataFrame) -> pd.DataFrame:
    """The weight of each commune's APL in a mean (DREES rule: the standardised population), for the
    build to combine the values of communes merged since the file (dashboard.pipeline.fusions)."""
    parts = [pd.DataFrame({"indicator": mean_id, "territory": "C" + communes["code"],
                           "period": communes["millesime"].map(period_of), "weight": communes["pop_std"],
                           "basis": "population standardisée"})
             for mean_id, _share_id in INDICATORS.values()]
    return pd.concat(parts, ignore_index=True)


def read(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    communes = read_communes(path)
    years = sorted(communes["millesime"].unique())
    c = Contribution(source=SOURCE, file=str(path), millesime=",".join(str(y) for y in years),
                     rows=len(communes), priority=PRIORITY, observations=commune_observations(communes, path),
                     weights=commune_weights(communes))
    missing = int(communes[["apl", "apl65", "pop_std", "pop_tot"]].isna().any(axis=1).sum())
    c.report.append(f"APL DREES : {len(communes)} lignes communales, millésime(s) {c.millesime}")
    if missing:
        c.report.append(f"APL DREES : {missing} commune(s) avec une valeur vide, exclue(s) des calculs concernés")
    check_weights(communes, path)
    c.finalize = partial(_finalize, communes)
    return c


# --- aggregation -----------------------------------------------------------------------------

def _coverage(parents: pd.DataFrame, present: set[str]) -> pd.Series:
    """Share of each territory's communes (per the territories table) that the file holds."""
    if parents.empty:
        return pd.Series(dtype=float)
    # A city with arrondissement rows is represented by them: do not expect it twice.
    p = parents.loc[~parents.index.isin(set(parents["city"]) - {""})]
    hit = p.index.isin(present)
    long = pd.concat([
        pd.DataFrame({"territory": p[col].to_numpy(), "hit": hit}) for col in ("epci", "departement", "region")
    ] + [pd.DataFrame({"territory": "FR", "hit": hit})])
    long = long[long["territory"] != ""]
    return long.groupby("territory")["hit"].mean()


def aggregate(communes: pd.DataFrame, territories: pd.DataFrame,
              merged: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Roll commune APL up to cities, EPCI, départements, régions and France (DREES rule,
    :func:`_common.weighted_mean`).

    Returns (observations with status ``estimated``, INSEE codes absent from ``territories``,
    report lines). ``merged``: store codes of communes merged since the file → their successor
    (applied by the build): such a commune counts in its successor's EPCI. Communes absent from
    the territories table still count in their département (from the code), its région and
    France. A territory is skipped (and reported) when the file holds less than 95 % of its
    communes, so that a regional extract never yields a "France" value.
    """
    parents = _common.commune_parents(territories)
    dep_region = _common.department_regions(territories)
    c = communes.reset_index(drop=True)
    merged = merged or {}
    tcode = ("C" + c["code"]).map(lambda code: merged.get(code, code))
    p = parents.reindex(tcode.to_numpy()).reset_index(drop=True).fillna("")
    known = tcode.isin(parents.index).to_numpy()
    unknown = sorted(set(c.loc[~known, "code"]))
    dep = p["departement"].where(p["departement"] != "", c["code"].map(_common.departement_of))
    region = p["region"].where(p["region"] != "", dep.map(lambda d: dep_region.get(d, "")))
    city = p["city"].where(p["city"] != "", _common.city_by_code(c["code"]))
    levels = {"city": city, "epci": p["epci"], "departement": dep, "region": region,
              "pays": pd.Series("FR", index=c.index)}

    numbers = c[["millesime", "pop_std", "pop_tot", *INDICATORS]].copy()
    for col in INDICATORS:   # share under the threshold = mean of this flag weighted by the total population
        numbers[f"{col}_under"] = (c[col] < THRESHOLD).astype(float).where(c[col].notna())
    by = ["millesime", "level", "territory"]
    long = pd.concat([numbers.assign(territory=codes.to_numpy(), level=level) for level, codes in levels.items()],
                     ignore_index=True)
    long = long[long["territory"] != ""]

    report: list[str] = []
    keys = long[by].drop_duplicates().sort_values(by).reset_index(drop=True)
    low_keys = []
    for year in keys["millesime"].unique():
        this = (c["millesime"] == year).to_numpy()
        present = set(tcode[this]) | set(city[this]) - {""}
        cov = _coverage(parents, present)
        deps = set(dep[this])
        for code, share in _common.departement_coverage(territories, deps).items():
            cov[code] = min(share, cov.get(code, 1.0))
        rows = keys[(keys["millesime"] == year) & (keys["level"] != "city")]
        share = rows["territory"].map(cov).fillna(1.0)  # territories unknown to the table: no check
        low = share[share < COVERAGE_MIN]
        low_keys += [(year, keys.at[i, "level"], keys.at[i, "territory"]) for i in low.index]
        if len(low):
            listed = ", ".join(f"{keys.at[i, 'territory']} ({share[i]:.0%})" for i in low.index[:10])
            report.append(f"APL {year} : agrégat non calculé pour {len(low)} territoire(s) dont le fichier couvre "
                          f"moins de {COVERAGE_MIN:.0%} des communes : {listed}{' …' if len(low) > 10 else ''}")
    if low_keys:
        long = long[~pd.MultiIndex.from_frame(long[by]).isin(low_keys)]

    parts = []
    for col, (mean_id, share_id) in INDICATORS.items():
        d = _common.weighted_mean(long, col, "pop_std", by)
        parts.append(pd.DataFrame({
            "indicator": mean_id, "territory": d["territory"], "period": d["millesime"].map(period_of),
            "value": d["value"], "status": "estimated",
            "source": "calcul selon la règle DREES (moyenne des APL communaux pondérée par la population "
                      "standardisée) à partir de " + d["millesime"].map(source_label).astype(str),
            "note": "",
            "release": d["millesime"].astype(str),
        }))
        d = _common.weighted_mean(long[long["level"] != "city"], f"{col}_under", "pop_tot", by)
        parts.append(pd.DataFrame({
            "indicator": share_id, "territory": d["territory"], "period": d["millesime"].map(period_of),
            "value": 100.0 * d["value"], "status": "estimated",
            "source": "calcul selon la règle DREES (part de la population totale vivant dans une commune où "
                      "l'APL est inférieur à 2,5) à partir de " + d["millesime"].map(source_label).astype(str),
            "note": "",
            "release": d["millesime"].astype(str),
        }))
    obs = pd.concat(parts, ignore_index=True)
    return obs, unknown, report


def check_weights(communes: pd.DataFrame, path: Path) -> None:
    """A département whose communes have APL values but no population cannot be averaged: DREES' rule
    weights by population, and a zero (or empty) total would silently drop its mean and share."""
    dep = communes["code"].map(_common.departement_of)
    for role, weight in (("apl", "pop_std"), ("apl", "pop_tot")):
        has = communes[role].notna()
        total = communes[weight].where(has, 0.0).fillna(0.0).groupby([communes["millesime"], dep]).sum()
        counted = has.groupby([communes["millesime"], dep]).sum()
        zero = total[(total <= 0) & (counted > 0)]
        if len(zero):
            year, code = zero.index[0]
            first = communes[(communes["millesime"] == year) & (dep == code) & has].iloc[0]
            raise InputError(f"{path} [feuille {first['sheet']}]",
                             f"les {int(counted[(year, code)])} communes de {code} ont une population nulle ou vide "
                             f"dans la colonne « {COLUMNS[weight][0]} » : la moyenne pondérée de l'APL du "
                             f"département (règle DREES) ne peut pas être calculée (colonne décalée ou vidée ?)",
                             int(first["row"]), first[f"col_{weight}"])


def _finalize(communes: pd.DataFrame, contribution: Contribution, territories: pd.DataFrame) -> None:
    aggregated, unknown, report = aggregate(communes, territories, contribution.merged)
    obs = contribution.observations
    if unknown:
        listed = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
        contribution.report.append(
            f"APL DREES : {len(unknown)} commune(s) du fichier absente(s) du référentiel territorial (fusionnées "
            f"depuis ?), comptées dans leur département mais sans valeur communale : {listed}")
        # Their own commune rows would point at territories the store does not know.
        obs = obs[~obs["territory"].isin({"C" + u for u in unknown})]
    contribution.facts["apl_unknown_communes"] = {"count": len(unknown), "codes": unknown}
    contribution.report.extend(report)
    contribution.observations = pd.concat([obs, aggregated], ignore_index=True)
