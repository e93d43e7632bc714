"""The ARS list of CPTS and the communes they cover (the project's own CSV format, docs/cpts-zonage.md).

One row per CPTS and commune::

    cpts_id,cpts_nom,stade,date_signature,commune,date_debut,date_fin

``stade`` is « signée » (the ACI agreement is signed: ``date_signature`` required) or « en projet »;
``date_debut``/``date_fin`` (optional) date a commune joining or leaving the perimeter. From it the build
computes, per quarter: the population covered by a signed CPTS (``cpts_coverage_calc_pct``, commune to
France, status ``estimated``) and the CPTS in operation (``cpts_count``), and publishes the dated
perimeters (table ``perimeters``) for the map and the territory sheet.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from ..contribution import Contribution
from ..errors import InputError
from .. import perimeters as P
from . import _common, csvutil
from .finess import parse_date

COLUMNS = ["cpts_id", "cpts_nom", "stade", "date_signature", "commune", "date_debut", "date_fin"]
REQUIRED = COLUMNS[:5]
SIGNED, PROJECT = "signée", "en projet"
INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
COVERAGE, COUNT = "cpts_coverage_calc_pct", "cpts_count"
METHOD = ("Calcul : population des communes couvertes par une CPTS signée (ACI) à la fin du trimestre ÷ "
          "population INSEE (liste des CPTS de l'ARS, {file})")
COUNT_METHOD = ("Comptage des CPTS signées (ACI) à la fin du trimestre (liste des CPTS de l'ARS, {file}) ; "
                "une CPTS est comptée dans le département où vit la plus grande part de sa population")


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def sniff(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    head = _plain(_common.first_line(path)).replace(";", ",")
    # Lenient: a CPTS list with a misspelt column is recognised, then rejected with a precise message.
    return "cpts_id" in head or ("cpts_nom" in head and "commune" in head)


def stage(raw: str) -> str | None:
    text = _plain(raw)
    return SIGNED if text in ("signee", "signe", "aci signe", "aci signee") else \
        PROJECT if text in ("en projet", "projet") else None


def insee(path: Path, raw: str, line: int, column: str) -> str:
    code = raw.strip().upper()
    if len(code) == 4 and code.isdigit():      # spreadsheets drop the leading zero of 01…09
        code = "0" + code
    if not INSEE.match(code):
        raise InputError(path, f"code INSEE de commune attendu (5 caractères, ex. 15014 ou 2A004), reçu {raw!r}",
                         line, column)
    return "C" + code


def read(path: Path, options: dict | None = None) -> Contribution:
    _, rows = csvutil.rows(path, REQUIRED)
    records, first_seen, pairs = [], {}, {}
    for line, row in rows:
        ident = row["cpts_id"]
        if not ident:
            raise InputError(path, "identifiant de CPTS attendu (non vide)", line, "cpts_id")
        if not row["cpts_nom"]:
            raise InputError(path, "nom de CPTS attendu (non vide)", line, "cpts_nom")
        st = stage(row["stade"])
        if st is None:
            raise InputError(path, f"stade attendu : « signée » ou « en projet », reçu {row['stade']!r}", line, "stade")
        signed = parse_date(path, row["date_signature"], line, "date_signature", required=st == SIGNED)
        if st == PROJECT and signed:
            raise InputError(path, "date de signature inattendue pour une CPTS « en projet » (stade à corriger ?)",
                             line, "date_signature")
        commune = insee(path, row["commune"], line, "commune")
        start = parse_date(path, row.get("date_debut", ""), line, "date_debut", required=False)
        end = parse_date(path, row.get("date_fin", ""), line, "date_fin", required=False)
        # A commune is covered once both the CPTS is signed and the commune is in its perimeter.
        valid_from = max(signed, start) if signed else ""
        if end and valid_from and end <= valid_from:
            raise InputError(path, f"date de fin ({end}) attendue après le début de la couverture ({valid_from})",
                             line, "date_fin")
        what = (row["cpts_nom"], st, signed)
        if ident in first_seen and first_seen[ident][1] != what:
            raise InputError(path, f"la CPTS {ident} a un autre nom, stade ou date de signature qu'en ligne "
                                   f"{first_seen[ident][0]} (une CPTS : mêmes valeurs sur toutes ses lignes)",
                             line, "cpts_nom")
        first_seen.setdefault(ident, (line, what))
        key = (ident, commune, start)
        if key in pairs:
            raise InputError(path, f"ligne en double : même CPTS et même commune qu'en ligne {pairs[key]}",
                             line, "commune")
        pairs[key] = line
        records.append({"kind": "cpts", "group": ident, "name": row["cpts_nom"], "stage": st, "commune": commune,
                        "valid_from": valid_from, "valid_to": end, "source": f"Liste des CPTS de l'ARS ({path.name})"})
    if not records:
        raise InputError(path, "aucune CPTS : au moins une ligne de données attendue", 2, "cpts_id")
    frame = pd.DataFrame.from_records(records, columns=P.COLUMNS)
    dates = sorted(d for d in frame["valid_from"].tolist() + frame["valid_to"].tolist() if d)
    return Contribution(source="Liste des CPTS (ARS)", file=str(path), millesime=dates[-1] if dates else "",
                        rows=len(records), perimeters=frame, priority=30, finalize=finalize)


def finalize(c: Contribution, territories: pd.DataFrame) -> None:
    """Coverage and CPTS count per territory and quarter, from the perimeters as the build remapped them."""
    base = P.base_communes(territories)
    perims = P.expand_cities(c.perimeters, territories)
    perims = perims[perims["commune"].isin(base.index)]
    signed = perims[perims["stage"] == SIGNED]
    regions, every = P.scope(perims, base), P.all_regions(territories)
    quarters = P.event_quarters(signed)
    members = {q: set(signed.loc[P.in_force(signed, P.quarter_day(q)), "commune"]) for q in quarters}
    name = Path(c.file).name
    values = P.shares(base, members, regions, every)
    counts = count_by_territory(signed, base, quarters, regions, every)
    c.observations = pd.concat([P.observations(values, COVERAGE, METHOD.format(file=name)),
                                P.observations(counts, COUNT, COUNT_METHOD.format(file=name))], ignore_index=True)
    c.perimeters = perims
    last = quarters[-1] if quarters else None
    if last:
        covered = members[last]
        inside = base[base["region"].isin(regions)]
        c.facts["cpts"] = {"quarter": last, "signed": int(signed["group"].nunique()),
                           "projects": int(perims.loc[perims["stage"] == PROJECT, "group"].nunique()),
                           "uncovered_communes": int((~inside.index.isin(list(covered))).sum())}
        c.report.append(f"  CPTS ({name}) : {c.facts['cpts']['signed']} signée(s), {c.facts['cpts']['projects']} "
                        f"en projet ; {c.facts['cpts']['uncovered_communes']} commune(s) couverte(s) par aucune CPTS "
                        f"au {P.quarter_day(last)}")
    in_force_now = signed[P.in_force(signed, P.quarter_day(last))] if last else signed.iloc[0:0]
    twice = in_force_now.groupby("commune")["group"].nunique()
    if (twice > 1).any():
        c.report.append(f"⚠ CPTS ({name}) : {int((twice > 1).sum())} commune(s) dans plusieurs CPTS à la fois "
                        f"(comptée(s) une fois dans la couverture)")


def count_by_territory(signed: pd.DataFrame, base: pd.DataFrame, quarters: list[str], regions: set[str],
                       every: set[str]) -> pd.DataFrame:
    """CPTS in operation per département, region (and France when complete), per quarter, kept where it changes."""
    frames = []
    for q in quarters:
        now = signed[P.in_force(signed, P.quarter_day(q))]
        if now.empty:
            home = pd.Series(dtype=object)
        else:
            pop = now.join(base[["population", "departement"]], on="commune")
            by = pop.groupby(["group", "departement"])["population"].sum().reset_index()
            home = by.sort_values(["group", "population", "departement"], ascending=[True, False, True]) \
                .drop_duplicates("group").set_index("group")["departement"]
        deps = base.loc[base["region"].isin(regions), ["departement", "region"]].drop_duplicates("departement")
        dep_count = home.value_counts().reindex(deps["departement"], fill_value=0)
        reg_count = dep_count.groupby(deps.set_index("departement")["region"]).sum()
        rows = [(d, v, "departement") for d, v in dep_count.items()] + [(r, v, "region") for r, v in reg_count.items()]
        if regions >= every and every:
            rows.append(("FR", int(dep_count.sum()), "pays"))
        frames.append(pd.DataFrame(rows, columns=["territory", "value", "level"]).assign(period=q))
    if not frames:
        return pd.DataFrame(columns=["territory", "period", "value", "level"])
    return P.only_changes(pd.concat(frames, ignore_index=True).astype({"value": float}))
