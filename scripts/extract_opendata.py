"""Extract the embedded default's real open data (data/raw/opendata/) from the official files.

Why: the region's official open data (Licence Ouverte / Etalab 2.0) may ship with the software, so the
default dashboard shows real figures instead of demo values. This script cuts the official files down to
the followed region and writes compact files **in the official formats**, so that the pipeline reads them
with the same readers as any file a user drops in (nothing is special-cased):

* baromètre DITP (CSV, official header and lines unchanged): the indicators of
  ``data/raw/mappings/barometre.csv``, rows of FRANCE, the region and its départements; rows carrying no
  value at all (placeholders of the dataset) are dropped and counted in the notes;
* DREES APL (xlsx, one ``APL <year>`` sheet per millésime with the title and notes rows, header, units
  row, then one row per commune of the region; the ``Paramètres`` sheet is left out);
* commune contours (GeoJSON, properties ``code``/``nom``): every file of the source merged, cut down to
  the region, simplified as a coverage (shared borders stay shared) at ``TOLERANCE`` degrees.

Files are recognised by content with the pipeline's own sniffers, so ``--source`` may also point at the
national files. ``data/raw/opendata/README.md`` is rewritten with source, millésime, licence and derivation
of each file (the pipeline ignores ``.md`` files).

Run: ``.venv/bin/python scripts/extract_opendata.py [--source ../shared/opendata/ara] [--region 84]``
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from dashboard.pipeline import geometry  # noqa: E402
from dashboard.pipeline.readers import _common, apl, barometre, contours  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "opendata" / "ara"
RAW = ROOT / "data" / "raw"
DEFAULT_OUT = RAW / "opendata"
# 0.004 ° ≈ 300-450 m: the pipeline's own display tolerance for communes (geometry.TOLERANCE), so the
# build's second simplification changes little; the ~4 000 communes of a region then weigh ~2 MB.
TOLERANCE = geometry.TOLERANCE["commune"]
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab), réutilisation libre avec mention de la source"
DITP_VALUES = ["indic_vi", "indic_va", "indic_vc", "indic_ta"]
EARLIER_RELEASES = "releases"


def region_departements(region: str) -> list[str]:
    """Département codes (``"15"``, ``"2A"``) of a région, from the territorial reference."""
    terr = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str).fillna("")
    deps = terr[(terr["level"] == "departement") & (terr["region"] == region)]["code"].str[1:]
    if deps.empty:
        sys.exit(f"erreur : aucun département de la région {region} dans data/raw/reference/territories.csv")
    return sorted(deps)


def find_sources(source: Path) -> dict[str, list[Path]]:
    """Official files of the source folder by kind, recognised by the pipeline's sniffers."""
    found: dict[str, list[Path]] = {"ditp": [], "apl": [], "contours": []}
    # ``releases/<date>/`` holds earlier monthly releases of the baromètre (values since revised): the
    # default ships the latest release only, else one quarter would get two competing values.
    files = (p for p in source.rglob("*") if p.is_file() and EARLIER_RELEASES not in p.relative_to(source).parts)
    for path in sorted(files):
        if barometre.sniff_ditp(path):
            found["ditp"].append(path)
        elif apl.sniff(path):
            found["apl"].append(path)
        elif contours.sniff(path):
            found["contours"].append(path)
    for kind, paths in found.items():
        if not paths:
            sys.exit(f"erreur : aucun fichier {kind} reconnu dans {source}")
    return found


# --- baromètre DITP ------------------------------------------------------------------------------

def extract_ditp(paths: list[Path], out: Path, region: str, deps: list[str]) -> dict:
    """One DITP CSV with the official header: mapped indicators, zones FRANCE/region/départements."""
    wanted_ids = {sid for sid in barometre.load_mapping(barometre.DEFAULT_MAPPING) if sid.startswith("IND-")}
    zones = {"FRANCE", region} | {"D" + d for d in deps}
    kept, dropped, header = [], 0, None
    for path in paths:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        if header is None:
            header = rows[0]
        elif rows[0] != header:
            sys.exit(f"erreur : {path} : en-tête différent de celui de {paths[0]}")
        col = {name: i for i, name in enumerate(header)}
        for fields in rows[1:]:
            if len(fields) != len(header) or fields[col["indic_id"]] not in wanted_ids \
                    or fields[col["enforce_zone_id"]] not in zones:
                continue
            if not any(fields[col[c]].strip() for c in DITP_VALUES):
                dropped += 1  # a placeholder row of the dataset: no date or no value, nothing to keep
                continue
            kept.append(fields)
    col = {name: i for i, name in enumerate(header)}
    kept.sort(key=lambda f: (f[col["indic_id"]], f[col["enforce_zone_id"]], f[col["metric_enforce_date"]]))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(kept)
    per_id: dict[str, dict] = {}
    for f in kept:
        info = per_id.setdefault(f[col["indic_id"]], {"rows": 0, "last": "", "zones": set()})
        info["rows"] += 1
        info["zones"].add(f[col["enforce_zone_id"]])
        if f[col["indic_va"]].strip():
            info["last"] = max(info["last"], f[col["metric_enforce_date"]])
    return {"sources": paths, "rows": len(kept), "dropped": dropped, "per_id": per_id}


# --- DREES APL -----------------------------------------------------------------------------------

def extract_apl(paths: list[Path], out: Path, deps: list[str]) -> dict:
    """The ``APL <year>`` sheets in the DREES layout, commune rows of the région only."""
    if len(paths) != 1:
        sys.exit(f"erreur : un classeur APL attendu, {len(paths)} trouvés : {', '.join(map(str, paths))}")
    source = openpyxl.load_workbook(paths[0], read_only=True, data_only=True)
    target = openpyxl.Workbook()
    target.remove(target.active)
    counts = {}
    try:
        for name in source.sheetnames:
            match = apl.SHEET_RE.match(name)
            if not match:
                continue
            rows = list(source[name].iter_rows(values_only=True))
            header = apl._find_header(paths[0], rows, name)
            # Only the columns the APL reader uses (found by meaning, as it does); commune names are in
            # the territorial reference.
            roles = apl._match_columns(paths[0], rows[header], name, header + 1)
            keep = sorted(roles.values())
            code_col = keep.index(roles["code"])
            ws = target.create_sheet(name)
            for row in rows[:header]:  # title and notes (DREES' aggregation rule), first cell only
                ws.append(list(row[:1]))
            for row in rows[header:header + 2]:  # header and units rows
                ws.append([row[j] for j in keep])
            n = 0
            for row in rows[header + 2:]:
                values = [row[j] if j < len(row) else None for j in keep]
                code = str(values[code_col] or "").strip()
                if code and _common.departement_of(code)[1:] in deps:
                    values[code_col] = code
                    ws.append(values)
                    n += 1
            counts[int(match.group(1))] = n
    finally:
        source.close()
    if not counts:
        sys.exit(f"erreur : {paths[0]} : aucune feuille « APL AAAA »")
    save_reproducible(target, out)
    return {"sources": paths, "communes": counts}


def save_reproducible(workbook: openpyxl.Workbook, out: Path) -> None:
    """Save so that the same content gives the same bytes: openpyxl stamps the save time in the
    document properties and the zip entries, which would change the file (and rebuild the store)
    at every run."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)


# --- contours ------------------------------------------------------------------------------------

def extract_contours(paths: list[Path], out: Path, deps: list[str]) -> dict:
    """Commune shapes of the région, merged and simplified as one coverage."""
    frames = []
    for path in paths:
        gdf = gpd.read_file(path)
        if "code" not in gdf.columns:
            continue
        gdf = gdf[gdf["code"].astype(str).str.fullmatch(r"\d{5}|2[AB]\d{3}")]
        frames.append(gdf.to_crs("EPSG:4326"))
    shapes = pd.concat(frames, ignore_index=True).drop_duplicates("code")
    shapes = shapes[shapes["code"].map(lambda c: _common.departement_of(c)[1:] in deps)]
    shapes = shapes.sort_values("code").reset_index(drop=True)
    original = shapes.geometry.values
    valid_coverage = bool(shapely.coverage_is_valid(original))
    simplified = geometry.simplify(original, "commune", TOLERANCE)
    derived = gpd.GeoDataFrame({"code": shapes["code"], "name": shapes.get("nom", "")},
                               geometry=simplified, crs="EPSG:4326")
    size = geometry.write_geojson(derived, out, name_key="nom")
    return {"sources": paths, "communes": len(derived), "valid_coverage": valid_coverage,
            "vertices_before": int(shapely.get_num_coordinates(original).sum()),
            "vertices_after": int(shapely.get_num_coordinates(derived.geometry.values).sum()), "bytes": size}


# --- notes ---------------------------------------------------------------------------------------

def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _names(paths: list[Path], source: Path) -> str:
    return ", ".join(f"`{p.relative_to(source)}`" for p in paths)


def notes(region: str, deps: list[str], source: Path, out: Path, ditp: dict, apl_info: dict, geo: dict) -> str:
    sizes = {name: (out / name).stat().st_size for name in ("barometre_ditp.csv", "apl_mg.xlsx", "communes.geojson")}
    ditp_lines = "\n".join(
        f"  - `{sid}` : {info['rows']} lignes, {len(info['zones'])} zones, dernière valeur au {info['last']}"
        for sid, info in sorted(ditp["per_id"].items()))
    years = ", ".join(f"{y} ({n} communes)" for y, n in sorted(apl_info["communes"].items()))
    return f"""# Données ouvertes réelles embarquées (région {region})

Fichiers **dérivés** des fichiers officiels par `scripts/extract_opendata.py` (ne pas les modifier à la main :
relancer le script). Ils gardent le format officiel : le pipeline les lit avec les mêmes lecteurs que les
fichiers nationaux qu'un utilisateur dépose. Périmètre : France, la région {region} et ses départements
({", ".join(deps)}).

Licence de toutes les sources : {LICENCE}. Mention : « source : <producteur>, <jeu de données>, <millésime> ;
extraction et simplification : projet accès aux soins ».

## `barometre_ditp.csv` ({_thousands(sizes["barometre_ditp.csv"])} octets)

- Source : Direction interministérielle de la transformation publique (DITP), jeu de données « Baromètre des
  résultats de l'action publique » (data.gouv.fr), fichiers par indicateur ({_names(ditp["sources"], source)}).
- Millésime : situation la plus récente de chaque indicateur ci-dessous (date `metric_enforce_date`).
{ditp_lines}
- Dérivation : en-tête officiel et lignes inchangées ; seuls les indicateurs de
  `data/raw/mappings/barometre.csv` et les zones FRANCE, {region} et départements de la région sont gardés ;
  {ditp["dropped"]} ligne(s) sans aucune valeur (`indic_vi`, `indic_va`, `indic_vc` et `indic_ta` vides :
  lignes d'attente du jeu de données) écartée(s) ; lignes triées par indicateur, zone et date ; les
  publications mensuelles antérieures (dossier `releases/`, valeurs révisées depuis) ne sont pas reprises.

## `apl_mg.xlsx` ({_thousands(sizes["apl_mg.xlsx"])} octets)

- Source : DREES, « L'accessibilité potentielle localisée (APL) aux médecins généralistes » (data.drees),
  classeur {_names(apl_info["sources"], source)}.
- Millésimes : {years}.
- Dérivation : une feuille `APL <année>` par millésime, mise en page DREES conservée (lignes de titre et de
  notes, dont la règle d'agrégation de la DREES, en-tête, ligne d'unités, puis une ligne par commune) ;
  seules les communes de la région et les colonnes lues par le pipeline (code commune, APL, APL des médecins
  de moins de 65 ans, populations standardisée et totale) sont gardées, valeurs inchangées (Lyon en
  arrondissements, comme dans le fichier officiel) ; la colonne du nom de commune (présent dans le référentiel
  territorial) et la feuille `Paramètres` (notes de méthode) ne sont pas reprises.

## `communes.geojson` ({_thousands(sizes["communes.geojson"])} octets)

- Source : IGN, Admin Express 2018 (contours simplifiés du dépôt public « france-geojson »), fichiers
  {_names(geo["sources"], source)}.
- Millésime : découpage communal 2018 ({geo["communes"]} communes ; Lyon en une seule commune 69123).
- Dérivation : fichiers fusionnés, communes de la région seulement, propriétés `code` (INSEE) et `nom` ;
  simplification en couverture (`shapely.coverage_simplify`, les frontières communes restent communes, ni
  trou ni chevauchement ; couverture d'origine valide : {"oui" if geo["valid_coverage"] else "non"}) avec une
  tolérance de {str(TOLERANCE).replace(".", ",")} ° (≈ 300 à 450 m, celle du pipeline pour l'affichage des
  communes) ;
  coordonnées arrondies à {geometry.DIGITS} décimales ; {_thousands(geo["vertices_before"])} sommets avant,
  {_thousands(geo["vertices_after"])} après.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Extrait les données ouvertes réelles de la région "
                                                 "(data/raw/opendata/) des fichiers officiels.")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="dossier des fichiers officiels (défaut : ../shared/opendata/ara)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dossier des fichiers dérivés")
    parser.add_argument("--region", default="84", help="région suivie (84 ou R84)")
    args = parser.parse_args(argv)
    region = args.region if args.region.startswith("R") else f"R{args.region}"
    source = args.source.resolve()
    if not source.is_dir():
        print(f"erreur : dossier source introuvable : {args.source}", file=sys.stderr)
        return 2
    deps = region_departements(region)
    found = find_sources(source)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    ditp = extract_ditp(found["ditp"], out / "barometre_ditp.csv", region, deps)
    apl_info = extract_apl(found["apl"], out / "apl_mg.xlsx", deps)
    geo = extract_contours(found["contours"], out / "communes.geojson", deps)
    (out / "README.md").write_text(notes(region, deps, source, out, ditp, apl_info, geo), encoding="utf-8")
    print(f"baromètre DITP : {ditp['rows']} lignes ({ditp['dropped']} sans valeur écartées) ; "
          f"APL : {apl_info['communes']} communes ; contours : {geo['communes']} communes, "
          f"{_thousands(geo['bytes'])} octets → {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
