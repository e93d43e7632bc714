"""The ARS zoning decree for GPs, as published per commune (docs/cpts-zonage.md).

Two layouts are recognised, both one row per commune:

* the project's: ``commune,zone,date_arrete`` (``nom`` optional);
* a published table (ARS site, ``;`` separator, UTF-8 or Windows-1252, headings such as « Code INSEE »,
  « Zonage médecins généralistes », zones written out « Zone d'intervention prioritaire »). Column names are
  recognised from usual headings or given in ``sources.toml``; the decree's date is a column or given there::

      [zonage]
      commune = "Code commune INSEE"
      zone = "Zonage MG"
      [zonage.dates]
      "zonage_publie.csv" = "2024-02-15"

A decree applies from its date until the next decree of the same region; a commune a decree does not list is
« hors zone » under it. The build computes ``zip_zac_pop_pct`` (population in ZIP or ZAC) per quarter.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from .. import perimeters as P
from ..contribution import Contribution
from ..errors import InputError
from . import _common, csvutil
from .cpts import insee
from .finess import parse_date

ALIASES = {
    "commune": ("commune", "code commune", "code_commune", "code insee", "code_insee", "codgeo", "insee_com",
                "code commune insee", "depcom"),
    "zone": ("zone", "zonage", "zonage mg", "zonage medecins", "zonage medecin", "zonage medecins generalistes",
             "zonage medecin generaliste", "zonage_mg", "type de zone"),
    "date_arrete": ("date_arrete", "date arrete", "date de l'arrete", "date d'arrete", "date de l arrete"),
}
INDICATOR = "zip_zac_pop_pct"
METHOD = ("Calcul : population des communes classées ZIP ou ZAC par l'arrêté de zonage médecins en vigueur à la fin "
          "du trimestre ÷ population INSEE ({files})")


def _plain(text: str) -> str:
    """Heading or cell without accents, case, underscores or repeated spaces (« Zonage_Médecins » → « zonage medecins »)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("’", "'").replace("_", " ").split())


_ALIASES = {field: tuple(_plain(a) for a in names) for field, names in ALIASES.items()}


def zone_code(raw: str) -> str | None:
    """« ZIP », « Zone d'intervention prioritaire (ZIP) », « Hors zonage »… → ZIP, ZAC, ZV or HZ."""
    t = _plain(raw)
    words = set(t.replace("(", " ").replace(")", " ").replace("-", " ").split())
    if "zip" in words or "intervention prioritaire" in t:
        return "ZIP"
    if "zac" in words or "action complementaire" in t:
        return "ZAC"
    if "zv" in words or "vigilance" in t:
        return "ZV"
    if "hz" in words or "hors" in words or t in ("non zone", "aucun", "aucune", "sans zonage"):
        return "HZ"
    return None


def _text(path: Path, size: int | None = None) -> str:
    data = _common.read_bytes(path) if size is None else open(path, "rb").read(size)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")   # published tables often come from Excel in French


def _header(path: Path) -> tuple[str, list[str]]:
    first = _text(path, 4096).split("\n", 1)[0].rstrip("\r")
    sep = ";" if first.count(";") > first.count(",") else ","
    return sep, [h.strip().strip('"') for h in first.split(sep)]


def sniff(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    _, header = _header(path)
    plain = [_plain(h) for h in header]
    return any(p in _ALIASES["zone"] or p.startswith("zonage") for p in plain) and \
        any(p in _ALIASES["commune"] for p in plain)


def columns(path: Path, header: list[str], options: dict) -> dict[str, str | None]:
    """Which heading holds the commune, the zone and the date: sources.toml first, then usual headings."""
    mapping = options.get("zonage", {}) if isinstance(options.get("zonage"), dict) else {}
    plain = {_plain(h): h for h in header}
    out: dict[str, str | None] = {}
    for field in ALIASES:
        named = mapping.get(field)
        if isinstance(named, str) and named in header:
            out[field] = named
            continue
        out[field] = next((plain[a] for a in _ALIASES[field] if a in plain), None)
        if out[field] is None and field != "date_arrete":
            raise InputError(path, f"colonne « {field} » introuvable (en-tête : {', '.join(header)}) ; la nommer "
                                   f"dans sources.toml, section [zonage] : {field} = \"…\"", 1, field)
    return out


def read(path: Path, options: dict | None = None) -> Contribution:
    options = options or {}
    sep, header = _header(path)
    cols = columns(path, header, options)
    dates = options.get("zonage", {}).get("dates", {}) if isinstance(options.get("zonage"), dict) else {}
    fixed = dates.get(path.name, "")
    if not cols["date_arrete"] and not fixed:
        raise InputError(path, "date de l'arrêté attendue : une colonne date_arrete, ou dans sources.toml "
                               f"[zonage.dates] \"{path.name}\" = \"AAAA-MM-JJ\"", 1, "date_arrete")
    fixed = parse_date(path, str(fixed), 1, "date_arrete") if fixed else ""
    records, seen = [], {}
    rows = csvutil.records(path, _text(path), sep)
    next(rows, None)
    index = {h: i for i, h in enumerate(header)}
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        cell = {f: (row[index[c]].strip() if c is not None and index[c] < len(row) else "") for f, c in cols.items()}
        commune = insee(path, cell["commune"], line, cols["commune"])
        zone = zone_code(cell["zone"])
        if zone is None:
            raise InputError(path, f"zone attendue : ZIP, ZAC, ZV ou hors zone, reçu {cell['zone']!r}", line, cols["zone"])
        day = parse_date(path, cell["date_arrete"], line, cols["date_arrete"]) if cols["date_arrete"] else fixed
        if (commune, day) in seen:
            raise InputError(path, f"commune en double pour l'arrêté du {day} (déjà en ligne {seen[(commune, day)]})",
                             line, cols["commune"])
        seen[(commune, day)] = line
        records.append({"kind": "zonage", "group": zone, "name": zone, "stage": "", "commune": commune,
                        "valid_from": day, "valid_to": "", "source": f"Arrêté de zonage médecins du {day} ({path.name})"})
    if not records:
        raise InputError(path, "aucune commune : au moins une ligne de données attendue", 2, cols["commune"])
    frame = pd.DataFrame.from_records(records, columns=P.COLUMNS)
    return Contribution(source="Zonage médecins (arrêté ARS)", file=str(path), millesime=max(frame["valid_from"]),
                        rows=len(frame), perimeters=frame, finalize=finalize)


def finalize(c: Contribution, territories: pd.DataFrame) -> None:
    """zip_zac_pop_pct for the quarters this file's decree(s) were in force (the build has dated their end)."""
    base = P.base_communes(territories)
    perims = P.expand_cities(c.perimeters, territories)
    perims = perims[perims["commune"].isin(base.index)]
    c.perimeters = perims
    quarters = P.in_force_quarters(perims)
    members = {q: set(perims.loc[P.in_force(perims, P.quarter_day(q)) & perims["group"].isin(["ZIP", "ZAC"]),
                                 "commune"]) for q in quarters}
    values = P.shares(base, members, P.scope(perims, base), P.all_regions(territories))
    c.observations = P.observations(values, INDICATOR, METHOD.format(files=Path(c.file).name))
    counts = perims.drop_duplicates("commune")["group"].value_counts()
    c.report.append(f"  Zonage ({Path(c.file).name}) : arrêté(s) du {', '.join(sorted(set(perims['valid_from'])))} ; "
                    + ", ".join(f"{z} {int(counts.get(z, 0))}" for z in ("ZIP", "ZAC", "ZV", "HZ")) + " commune(s)")
