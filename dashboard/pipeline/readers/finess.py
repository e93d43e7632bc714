"""FINESS etalab stock file (``etalab-cs1100507-stock-YYYYMMDD-HHMM.csv``), published by DREES.

No header row; ``;``-separated; historically latin-1 (UTF-8 accepted):

- line 1: ``finess;etalab;<n>;<extraction date>``;
- ``structureet;`` lines: 31 values (see FIELDS) then a trailing ``;``;
- ``geolocalisation;nofinesset;coordxet;coordyet;`` + 7 fields naming source and projection + datemaj.

We keep the structures of categories 603 (MSP), 124 (CDS) and 604 (CPTS) as points, and
``finalize`` counts them per territory and quarter.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from ... import periods
from ..contribution import Contribution
from ..errors import InputError
from . import _common

FIELDS = ["structureet", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie",
          "typvoie", "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement",
          "ligneacheminement", "telephone", "telecopie", "categetab", "libcategetab", "categagretab",
          "libcategagretab", "siret", "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor",
          "datemaj"]
F = {name: i for i, name in enumerate(FIELDS)}
GEO_FIELDS = ["geolocalisation", "nofinesset", "coordxet", "coordyet", "sourcecoordet_1", "sourcecoordet_2",
              "sourcecoordet_3", "sourcecoordet_4", "sourcecoordet_5", "sourcecoordet_6", "projection", "datemaj"]

CATEGORIES = {"603": "msp_count_finess", "124": "cds_count_finess", "604": "cpts_count_finess"}
PROJECTIONS = {
    "LAMBERT_93": "EPSG:2154",   # metropolitan France
    "UTM_N20": "EPSG:5490",      # Guadeloupe, Martinique (RGAF09 / UTM 20N)
    "UTM_N22": "EPSG:2972",      # Guyane (RGFG95 / UTM 22N)
    "UTM_S40": "EPSG:2975",      # La Réunion (RGR92 / UTM 40S)
    "UTM_S38": "EPSG:4471",      # Mayotte (RGM04 / UTM 38S)
}
# FINESS writes overseas départements as 9A…9F; the INSEE commune code is 97x + 2 digits.
OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
PRIORITY = 50
FIRST_LINE_RE = re.compile(r"^finess;etalab;[^;]*;([^;]*)")


def sniff(path: Path) -> bool:
    # "finess;" only: a file whose first line is otherwise wrong is still read, and reported precisely.
    return _common.first_line(path).startswith("finess;")


def _decode(path: Path, data: bytes) -> str:
    # Strict UTF-8 first: a latin-1 file almost never decodes as UTF-8 by accident, the reverse always does.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_date(path: Path, text: str, line: int, column: str, required: bool = True) -> str:
    """``YYYY-MM-DD`` (recent files) or ``DD/MM/YYYY`` (older ones) -> ISO text; "" when empty."""
    text = text.strip()
    if not text and not required:
        return ""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text).isoformat()
        m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        pass
    raise InputError(path, f"date impossible « {text} » (attendu AAAA-MM-JJ ou JJ/MM/AAAA)", line, column)


def insee_code(departement: str, commune: str) -> str:
    """``"01"`` + ``"451"`` -> ``"01451"``; ``"2A"`` + ``"004"`` -> ``"2A004"``; ``"9A"`` + ``"101"`` -> ``"97101"``."""
    departement, commune = departement.strip(), commune.strip()
    if departement in OVERSEAS:
        return OVERSEAS[departement] + commune[-2:]
    if departement.startswith("97"):
        return departement + commune[-2:]
    return departement.zfill(2) + commune.zfill(3)


def _values(line: str) -> list[str]:
    values = line.split(";")
    if values and values[-1] == "":
        values.pop()  # the trailing ";" of every line
    return values


def read_structures(path: Path) -> tuple[pd.DataFrame, str, dict]:
    """-> (structures frame with x/y/projection, extraction date ISO, stats for the report)."""
    path = Path(path)
    data = _common.read_bytes(path)
    if not data.strip():
        raise InputError(path, "fichier vide (première ligne attendue : finess;etalab;<n>;<date>)", 1, 1)
    text = _decode(path, data)
    lines = text.splitlines()
    m = FIRST_LINE_RE.match(lines[0])
    if not m:
        raise InputError(path, f"première ligne « {lines[0][:40]} » : attendu « finess;etalab;<n>;<date> » "
                               f"(fichier FINESS etalab)", 1, 1)
    extraction = parse_date(path, m.group(1), 1, 4)
    source = f"FINESS (extraction du {extraction})"
    kept: dict[str, dict] = {}
    departements: set[str] = set()
    geo: dict[str, tuple] = {}
    stats = {"structureet": 0, "no_opening": 0}
    for n, line in enumerate(lines[1:], start=2):
        if line.startswith("structureet;"):
            values = _values(line)
            if len(values) != len(FIELDS):
                raise InputError(path, f"ligne structureet : {len(FIELDS)} valeurs attendues, {len(values)} "
                                       f"trouvées", n, len(values) + 1 if len(values) < len(FIELDS) else len(FIELDS) + 1)
            stats["structureet"] += 1
            departements.add(values[F["departement"]].strip())
            category = values[F["categetab"]].strip()
            if category not in CATEGORIES:
                continue
            opening = parse_date(path, values[F["dateouv"]], n, "dateouv", required=False)
            stats["no_opening"] += not opening
            street = " ".join(v for v in (values[F["numvoie"]], values[F["typvoie"]], values[F["voie"]]) if v.strip())
            address = ", ".join(p.strip() for p in (street, values[F["compvoie"]], values[F["lieuditbp"]],
                                                    values[F["ligneacheminement"]]) if p.strip())
            ident = values[F["nofinesset"]].strip()
            kept[ident] = {
                "id": ident, "category": category, "category_label": values[F["libcategetab"]].strip(),
                "name": values[F["rs"]].strip(), "address": address,
                "commune": "C" + insee_code(values[F["departement"]], values[F["commune"]]),
                "opening_date": opening, "source": source, "_line": n,
            }
        elif line.startswith("geolocalisation;"):
            values = _values(line)
            ident = values[1].strip() if len(values) > 1 else ""
            if ident not in kept:
                continue
            xy = []
            for j, col in ((2, "coordxet"), (3, "coordyet")):
                raw = values[j].strip() if j < len(values) else ""
                try:
                    xy.append(float(raw) if raw else np.nan)
                except ValueError:
                    raise InputError(path, f"coordonnée non numérique « {raw} »", n, col) from None
            projection = values[10].strip() if len(values) > 10 else ""
            geo[ident] = (xy[0], xy[1], projection)
    stats["departements"] = departements
    rows = []
    for ident, rec in kept.items():
        x, y, projection = geo.get(ident, (np.nan, np.nan, ""))
        rows.append({**rec, "x": x, "y": y, "projection": projection})
    cols = _common.frame("structures", []).columns.tolist() + ["x", "y", "projection", "_line"]
    df = pd.DataFrame(rows, columns=[c for c in cols if c not in ("lon", "lat")])
    return df, extraction, stats


def to_wgs84(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """lon/lat from x/y in the projection named per row; unknown projections -> NaN (counted)."""
    lon = pd.Series(np.nan, index=df.index)
    lat = pd.Series(np.nan, index=df.index)
    unknown: dict[str, int] = {}
    located = df["x"].notna() & df["y"].notna()
    for projection, group in df[located].groupby("projection"):
        crs = PROJECTIONS.get(projection)
        if crs is None:
            unknown[projection or "(vide)"] = len(group)
            continue
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        x, y = transformer.transform(group["x"].to_numpy(), group["y"].to_numpy())
        lon[group.index] = np.round(x, 6)
        lat[group.index] = np.round(y, 6)
    return lon, lat, unknown


def read(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    raw, extraction, stats = read_structures(path)
    lon, lat, unknown = to_wgs84(raw)
    structures = raw.assign(lon=lon, lat=lat)[_common.frame("structures", []).columns]
    c = Contribution(source="FINESS", file=str(path), millesime=extraction, rows=stats["structureet"],
                     priority=PRIORITY, structures=structures.reset_index(drop=True))
    counts = structures["category"].value_counts()
    c.report.append(f"FINESS (extraction du {extraction}) : {stats['structureet']} établissements, dont "
                    + ", ".join(f"{counts.get(k, 0)} de catégorie {k}" for k in CATEGORIES))
    for projection, n in sorted(unknown.items()):
        c.report.append(f"FINESS : projection inconnue « {projection} » pour {n} établissement(s) : "
                        f"coordonnées non converties")
    missing_xy = int((raw["x"].isna() | raw["y"].isna()).sum())
    if missing_xy:
        c.report.append(f"FINESS : {missing_xy} établissement(s) retenu(s) sans coordonnées")
    if stats["no_opening"]:
        c.report.append(f"FINESS : {stats['no_opening']} établissement(s) sans date d'ouverture, comptés au seul "
                        f"trimestre de l'extraction")
    c.facts["finess_extraction"] = extraction
    c.facts["finess_unknown_projections"] = unknown
    c.finalize = partial(_finalize, extraction, sorted(stats["departements"]))
    return c


# --- counts per territory and quarter --------------------------------------------------------------

def _finess_departement(code: str) -> str:
    return "D" + OVERSEAS.get(code, code)


def count(structures: pd.DataFrame, territories: pd.DataFrame, extraction: str,
          departements: list[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Structures open at the end of each quarter, per territory -> (observations, unknown communes, report).

    The stock file lists the establishments open at extraction: a structure counts from the
    quarter of its opening date. Quarterly counts go to EPCI and above; communes get the
    latest quarter only, to keep the store small. A territory gets a count only if the file
    covers all its départements (a partial extract must not yield a zero for a whole region).
    """
    last = periods.from_date(extraction)
    parents = _common.commune_parents(territories)
    dep_region = _common.department_regions(territories)
    seen = {_finess_departement(d) for d in departements if d}
    s = structures.reset_index(drop=True)
    p = parents.reindex(s["commune"].to_numpy()).reset_index(drop=True).fillna("")
    known = s["commune"].isin(parents.index).to_numpy()
    unknown = sorted(set(s.loc[~known, "commune"]))
    dep = p["departement"].where(p["departement"] != "", s["commune"].str[1:].map(_common.departement_of))
    region = p["region"].where(p["region"] != "", dep.map(lambda d: dep_region.get(d, "")))
    last_index = periods.index(last)
    opened = s["opening_date"].map(lambda d: periods.index(periods.from_date(d)) if d else last_index)
    opened = opened.clip(upper=last_index + 1)  # opened after extraction: never counted
    base = pd.DataFrame({"indicator": s["category"].map(CATEGORIES), "q": opened})

    # coverage: départements of each territory (per the territories table) all present in the file
    covered: dict[str, bool] = {}
    if not parents.empty:
        long = pd.concat([pd.DataFrame({"territory": parents[col].to_numpy(), "dep": parents["departement"].to_numpy()})
                          for col in ("epci", "departement", "region")]
                         + [pd.DataFrame({"territory": "FR", "dep": parents["departement"].to_numpy()})])
        long = long[(long["territory"] != "") & (long["dep"] != "")]
        long["ok"] = long["dep"].isin(seen)
        covered = long.groupby("territory")["ok"].all().to_dict()
    for code, share in _common.departement_coverage(territories, seen).items():
        covered[code] = covered.get(code, True) and share >= 1.0

    note = "établissements encore ouverts à la date d'extraction (les fermetures passées ne figurent pas dans le fichier)"
    source = {cat: f"dénombrement FINESS des établissements de catégorie {cat} ouverts à la fin du trimestre, " \
                   f"extraction du {extraction}" for cat in CATEGORIES}
    by_indicator = {v: source[k] for k, v in CATEGORIES.items()}
    parts = []
    # quarterly series, EPCI and above
    levels = {"epci": p["epci"], "departement": dep, "region": region, "pays": pd.Series("FR", index=s.index)}
    long = pd.concat([base.assign(territory=codes.to_numpy()) for codes in levels.values()], ignore_index=True)
    long = long[long["territory"] != ""]
    long = long[long["territory"].map(lambda t: covered.get(t, True))]
    if not long.empty:
        first = int(min(long["q"].min(), last_index))
        quarters = list(range(first, last_index + 1))
        table = long.groupby(["indicator", "territory", "q"]).size().unstack("q", fill_value=0)
        table = table.reindex(columns=range(first, last_index + 2), fill_value=0).cumsum(axis=1)[quarters]
        series = table.stack().rename("value").reset_index()
        series["period"] = series["q"].map(periods.from_index)
        parts.append(series.drop(columns="q"))
    # zero at the latest quarter where the file covers the territory and it has no such structure
    for indicator in CATEGORIES.values():
        have = set(long.loc[long["indicator"] == indicator, "territory"]) if not long.empty else set()
        zero = sorted(t for t, ok in covered.items() if ok and t not in have)
        if zero:
            parts.append(pd.DataFrame({"indicator": indicator, "territory": zero, "value": 0, "period": last}))
    # communes (and whole cities for arrondissements): latest quarter only
    city = p["city"].where(p["city"] != "", _common.city_by_code(s["commune"].str[1:]))
    communes = pd.concat([base.assign(territory=s["commune"].to_numpy()), base.assign(territory=city.to_numpy())])
    communes = communes[(communes["territory"] != "") & (communes["q"] <= last_index)]
    if not communes.empty:
        latest = communes.groupby(["indicator", "territory"]).size().rename("value").reset_index()
        latest["period"] = last
        parts.append(latest[~latest["territory"].isin(unknown)])
    if parts:
        obs = pd.concat(parts, ignore_index=True)
    else:
        obs = _common.frame("observations", [])
    obs["value"] = obs["value"].astype(float)
    obs["status"] = "estimated"
    obs["source"] = obs["indicator"].map(by_indicator)
    obs["note"] = np.where(obs["period"] == last, "", note)
    obs["date"] = ""        # a count per quarter: the quarter's end dates it
    report = []
    skipped = sorted(t for t, ok in covered.items() if not ok)
    if skipped:
        report.append(f"FINESS : {len(skipped)} territoire(s) non dénombré(s), le fichier ne couvrant pas tous "
                      f"leurs départements : {', '.join(skipped[:10])}{' …' if len(skipped) > 10 else ''}")
    return obs[_common.frame("observations", []).columns].reset_index(drop=True), unknown, report


def _finalize(extraction: str, departements: list[str], contribution: Contribution,
              territories: pd.DataFrame) -> None:
    obs, unknown, report = count(contribution.structures, territories, extraction, departements)
    # Every count is dated by the extraction date (line 1, 4th field): a count "in the future" comes from it.
    obs = obs.assign(_file=contribution.file, _row=1, _column=4)
    if unknown:
        contribution.report.append(
            f"FINESS : {len(unknown)} commune(s) d'implantation absente(s) du référentiel territorial, comptées dans "
            f"leur département : {', '.join(unknown[:20])}{' …' if len(unknown) > 20 else ''}")
    contribution.facts["finess_unknown_communes"] = {"count": len(unknown), "codes": unknown}
    contribution.report.extend(report)
    previous = contribution.observations
    contribution.observations = obs if previous is None else pd.concat([previous, obs], ignore_index=True)
