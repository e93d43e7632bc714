"""A SYNTHETIC whole-France raw folder (banc d'essai) that the real pipeline builds with ``--region FR``.

No official contour file of every French commune ships with the project, yet the national map must be
measured at commune level (≈ 35 000 shapes). This module writes, from the embedded reference only:

* ``catalogue/`` and ``reference/`` copied from ``data/raw`` (the real territorial reference: every real
  commune code and name, the real département outlines);
* ``plan/suivi-fictif-banc-essai.csv``: a few fictitious plan values (source « Essai (fictif) »);
* ``contours/communes-synthetiques-banc-essai.geojson``: one polygon per real ordinary commune of the
  reference (arrondissements excepted, as in IGN files), **not its real shape**: the Voronoi cells of N random
  points inside the real département (N = its commune count), clipped to the département, densified (as
  ``shapely.segmentize`` does, but cut identically from both sides of an edge) and bent deterministically by
  vertex coordinate, twice (the same vertex gets the same offset in both neighbours, so shared edges stay
  shared and the whole file is a valid coverage, as a real one is), to about the vertex count of the real
  simplified commune contours: ~20 per commune after the pipeline's simplification (19,5 measured on the IGN
  files of Auvergne-Rhône-Alpes by ``bench/map.py::real_vertices_per_polygon``);
* ``apl/apl-synthetique-banc-essai.xlsx``: a DREES-layout APL workbook with random values for the real codes,
  Paris, Lyon and Marseille by arrondissement as DREES lists them (``bench.synthetic.make_apl_workbook``; its
  notes say « synthétiques (banc d'essai) »);
* ``LISEZMOI-synthetique-banc-essai.txt``: says all of the above.

    python -m bench.france [--out DIR] [--departements 15 43]   # prints the store folder

``build()`` caches the raw folder and the store under the temporary folder, keyed by a hash of this file and
of the reference, so repeated benchmark runs do not rebuild (the first build takes a minute or two).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RAW = ROOT / "data" / "raw"
GENERATOR_VERSION = "1"
LABEL = "synthétique (banc d'essai)"
CONTOURS_FILE = "communes-synthetiques-banc-essai.geojson"
APL_FILE = "apl-synthetique-banc-essai.xlsx"
PLAN_FILE = "suivi-fictif-banc-essai.csv"
README_FILE = "LISEZMOI-synthetique-banc-essai.txt"
# densification: segments of at most ``step`` degrees, whose inserted vertices move across by at most ``amount``
# × the piece's length; twice (bends, then smaller bends), to about the vertex count of real simplified contours
WIGGLES = ((0.02, 0.5), (0.008, 0.5))
DIGITS = 7                 # vertex identity (and hash key) at 1e-7 ° ≈ 1 cm

PLAN = """indicateur,territoire,trimestre,valeur,statut,source,note
msp_count,FR,2023Q4,2500,observed,Essai (fictif),banc d'essai synthétique
msp_count,R84,2023Q4,380,observed,Essai (fictif),banc d'essai synthétique
msp_count,R53,2023Q4,120,observed,Essai (fictif),banc d'essai synthétique
msp_count,D15,2023Q4,20,observed,Essai (fictif),banc d'essai synthétique
"""
README = f"""Données SYNTHÉTIQUES (banc d'essai) — aucune n'est réelle, sauf le référentiel territorial copié.

Écrit par bench/france.py (version {GENERATOR_VERSION}) pour mesurer la carte nationale au niveau des communes.
- {CONTOURS_FILE} : une forme par commune réelle du référentiel, mais ce ne sont PAS ses contours :
  cellules de Voronoï de points tirés au hasard dans le vrai département, bords densifiés et bruités.
- {APL_FILE} : APL tirés au hasard (« Sources : synthétiques (banc d'essai) »).
- plan/{PLAN_FILE} : valeurs fictives (« Essai (fictif) »).
Ne jamais publier ce stock.
"""


# ---- the synthetic contours --------------------------------------------------------------------

def _keys(xy: np.ndarray) -> np.ndarray:
    """One integer per vertex: its coordinates at 1e-7 ° (the identity of a vertex, shared by neighbours)."""
    q = np.round(xy * 10 ** DIGITS).astype(np.int64) + (1 << 31)
    return (q[:, 0].astype(np.uint64) << np.uint64(32)) | q[:, 1].astype(np.uint64)


def _uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of the key: a deterministic uniform number in [0, 1) per vertex."""
    with np.errstate(over="ignore"):
        z = keys ^ np.uint64(salt)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _rounded(geoms):
    import shapely

    return shapely.transform(geoms, lambda xy: np.round(xy, DIGITS))


def _wiggle(cells: np.ndarray, step: float, frozen: np.ndarray, amount: float) -> np.ndarray:
    """Densify the cells' rings (segments of at most ``step``) and move each inserted vertex across its
    segment by ``amount`` / 2 to ``amount`` × the piece's length, by an amount that depends on its coordinates only.

    Like ``shapely.segmentize``, but every segment is cut from its lexicographically smaller end, so that the
    two neighbours sharing it get bitwise-identical vertices (segmentize cuts each ring in its own direction:
    the last bit differs, and so would any offset keyed on it). Moving across the segment keeps the order of
    the vertices along it. Vertices whose key is in ``frozen`` stay put.
    """
    import shapely

    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(cells), return_index=True)
    seg = np.nonzero(ring[:-1] == ring[1:])[0]
    a, b = xy[seg], xy[seg + 1]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    d = np.where(swap[:, None], a, b) - lo
    length = np.hypot(d[:, 0], d[:, 1])
    n = np.maximum(1, np.ceil(length / step)).astype(np.int64)
    of = np.repeat(np.arange(len(seg)), n)                       # segment of each output vertex
    k = np.arange(len(of)) - np.repeat(np.cumsum(n) - n, n)      # its rank in the segment (0: the start)
    frac = np.where(swap[of], n[of] - k, k) / n[of]              # from the smaller end, whichever the direction
    pts = lo[of] + d[of] * frac[:, None]
    pts[k == 0] = a[of][k == 0]
    keys = _keys(pts)
    u = 2 * _uniform(keys, 1) - 1
    shift = np.sign(u) * (0.5 + 0.5 * np.abs(u)) * amount * (length / n)[of]     # never a negligible bend
    shift[(k == 0) | np.isin(keys, frozen)] = 0.0
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(length, 1e-300)[:, None]
    pts = pts + shift[:, None] * normal[of]
    return shapely.polygons(shapely.linearrings(pts, indices=ring[seg][of]))


def _random_points(polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty((0, 2))
    while len(found) < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(64, 3 * (n - len(found))), 2))
        found = np.vstack([found, batch[shapely.contains_xy(polygon, batch[:, 0], batch[:, 1])]])
    return found[:n]


def departement_cells(polygon, n: int, seed: int) -> list:
    """``n`` cells tiling ``polygon``: Voronoi cells of random points inside it, clipped to it, with
    densified and jittered inner edges (identical in both neighbours); the outline is the département's."""
    import shapely

    if n == 1:
        return [polygon]
    rng = np.random.default_rng(seed)
    points = _random_points(polygon, n, rng)
    minx, miny, maxx, maxy = polygon.bounds
    pad = max(maxx - minx, maxy - miny)
    envelope = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope,
                                                       ordered=True))
    cells = shapely.remove_repeated_points(_rounded(cells))
    for step, amount in WIGGLES:     # coarse bends, then finer ones on them
        frozen = np.empty(0, dtype=np.uint64)
        for _ in range(10):
            jittered = _wiggle(cells, step, frozen, amount)
            bad = ~shapely.is_valid(jittered) | ~shapely.contains_xy(jittered, points[:, 0], points[:, 1])
            if not bad.any():
                break
            # a sharp corner let an edge cross another, or an edge passed over the cell's own point (the cell
            # might then lie out of the département): those cells' vertices stay put (in both neighbours)
            frozen = np.union1d(frozen, _keys(shapely.get_coordinates(_wiggle(cells[bad], step, frozen, 0.0))))
        cells = jittered
    return list(shapely.intersection(cells, polygon))


def _match_borders(geoms: list, outlines: list) -> list:
    """Clipping adds a vertex where an inner edge meets the département's outline, on that side only: insert
    those vertices into the neighbouring département's cells too, so that the whole file is a coverage whose
    shared edges match vertex for vertex (what ``coverage_simplify`` needs). ``outlines``: each cell's
    département polygon."""
    import shapely

    arr = np.asarray(geoms, dtype=object)
    found = []
    for outline in {id(o): o for o in outlines}.values():
        mine = arr[[o is outline for o in outlines]]
        xy = np.unique(shapely.get_coordinates(mine), axis=0)
        on_border = shapely.distance(shapely.points(xy), outline.boundary) < 1e-9
        own = np.isin(_keys(xy), _keys(shapely.get_coordinates(outline)))
        found.append(xy[on_border & ~own])
    points = np.vstack(found) if found else np.empty((0, 2))
    if not len(points):
        return list(arr)
    tree = shapely.STRtree(shapely.points(points))
    out = []
    for g in arr:
        near = tree.query(g.boundary, predicate="dwithin", distance=1e-9)
        out.append(_insert(g, points[near]) if len(near) else g)
    return out


def _insert(geom, extra: np.ndarray):
    """``geom`` with the ``extra`` points lying on its rings inserted in order (within 1e-9 °)."""
    import shapely

    def ring(coords: np.ndarray) -> np.ndarray:
        a, b = coords[:-1], coords[1:]
        d = b - a
        length2 = (d ** 2).sum(1)
        rows = [coords[:1]]
        for i in range(len(a)):
            if length2[i] == 0:
                continue
            t = ((extra - a[i]) @ d[i]) / length2[i]
            foot = a[i] + np.outer(t, d[i])
            on = (t > 1e-12) & (t < 1 - 1e-12) & (np.hypot(*(extra - foot).T) < 1e-9)
            if on.any():
                order = np.argsort(t[on])
                rows.append(extra[on][order])
            rows.append(coords[i + 1:i + 2])
        return np.vstack(rows)

    def polygon(p):
        return shapely.Polygon(ring(np.asarray(p.exterior.coords)), [ring(np.asarray(r.coords)) for r in p.interiors])

    if geom.geom_type == "Polygon":
        return shapely.remove_repeated_points(polygon(geom))
    return shapely.remove_repeated_points(shapely.MultiPolygon([polygon(p) for p in geom.geoms]))


def communes_frame(departements: list[str] | None = None) -> pd.DataFrame:
    """Real ordinary communes of the reference (code without « C », name, département without « D »)."""
    t = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str, keep_default_na=False)
    c = t[(t["level"] == "commune") & (t["commune"] == "")]
    c = c.assign(insee=c["code"].str[1:], dep=c["departement"].str[1:])
    if departements:
        c = c[c["dep"].isin(departements)]
    return c[["insee", "name", "dep"]].sort_values("insee").reset_index(drop=True)


def apl_codes(departements: list[str] | None = None) -> list[str]:
    """The codes of a DREES APL file: communes, with Paris, Lyon and Marseille as their arrondissements."""
    t = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str, keep_default_na=False)
    c = t[t["level"] == "commune"]
    c = c[~c["code"].isin(set(c["commune"]) - {""})]          # a city drawn whole, listed by arrondissement
    if departements:
        c = c[c["departement"].str[1:].isin(departements)]
    return sorted(c["code"].str[1:])


def contour_features(departements: list[str] | None = None, log=print) -> dict:
    """The synthetic commune contours as a GeoJSON FeatureCollection (properties ``code`` and ``name``)."""
    import geopandas as gpd
    import shapely

    communes = communes_frame(departements)
    outlines = gpd.read_file(RAW / "reference" / "departements.geojson").set_index("code")
    codes, names, geoms, owners = [], [], [], []
    t0 = time.perf_counter()
    for dep, group in communes.groupby("dep", sort=True):
        if dep not in outlines.index:
            log(f"  département {dep} sans contour dans le référentiel : ignoré")
            continue
        polygon = shapely.make_valid(outlines.geometry[dep])
        cells = departement_cells(polygon, len(group), zlib.crc32(dep.encode()))
        codes += group["insee"].tolist()
        names += group["name"].tolist()
        geoms += cells
        owners += [polygon] * len(cells)
    log(f"  {len(geoms)} cellules de Voronoï ({time.perf_counter() - t0:.0f} s)")
    geoms = _match_borders(geoms, owners)
    arr = np.asarray(geoms, dtype=object)
    valid = shapely.coverage_is_valid(arr)
    log(f"  bords raccordés entre départements ; couverture valide : {'oui' if valid else 'non'} "
        f"({time.perf_counter() - t0:.0f} s)")
    texts = shapely.to_geojson(shapely.transform(arr, lambda xy: np.round(xy, 6)))
    features = [{"type": "Feature", "properties": {"code": c, "name": n, "source": LABEL},
                 "geometry": json.loads(t)} for c, n, t in zip(codes, names, texts)]
    return {"type": "FeatureCollection", "name": f"Communes {LABEL}", "features": features}


# ---- the raw folder and the store ----------------------------------------------------------------

def write_raw(folder: Path, departements: list[str] | None = None, log=print) -> Path:
    """Write the synthetic raw folder (see the module's docstring); returns it."""
    from bench.synthetic import make_apl_workbook

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("catalogue", "reference"):
        shutil.copytree(RAW / part, folder / part, dirs_exist_ok=True)
    (folder / "plan").mkdir(exist_ok=True)
    (folder / "plan" / PLAN_FILE).write_text(PLAN, encoding="utf-8")
    (folder / README_FILE).write_text(README, encoding="utf-8")
    log("contours synthétiques des communes…")
    collection = contour_features(departements, log)
    (folder / "contours").mkdir(exist_ok=True)
    with open(folder / "contours" / CONTOURS_FILE, "w", encoding="utf-8") as fh:
        json.dump(collection, fh, ensure_ascii=False, separators=(",", ":"))
    log("classeur APL synthétique…")
    (folder / "apl").mkdir(exist_ok=True)
    make_apl_workbook(folder / "apl" / APL_FILE, codes=apl_codes(departements))
    return folder


def cache_key(departements: list[str] | None = None) -> str:
    """This generator's version: its source, the reference it reads, the départements chosen."""
    h = hashlib.sha256(GENERATOR_VERSION.encode())
    for path in (Path(__file__), ROOT / "bench" / "synthetic.py", RAW / "reference" / "territories.csv",
                 RAW / "reference" / "departements.geojson"):
        h.update(path.read_bytes())
    h.update(",".join(departements or []).encode())
    return h.hexdigest()[:12]


def run_pipeline(raw: Path, store: Path, region: str = "FR") -> tuple[int, str]:
    """``python -m dashboard.pipeline build`` in this process; (exit code, build report). The report goes to
    stderr, never stdout (benchmarks print JSON there)."""
    import io

    from dashboard.pipeline.__main__ import main as pipeline_main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pipeline_main(["build", "--raw", str(raw), "--out", str(store), "--region", region])
    return code, out.getvalue() + err.getvalue()


def build(out_dir: Path | None = None, departements: list[str] | None = None, log=None) -> Path:
    """Generate (or reuse) the synthetic raw folder and build its store with ``--region FR``; returns the store
    folder (holding ``CURRENT``) for ``ACCES_SOINS_DATA_DIR``. Raises RuntimeError if the build fails."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    key = cache_key(departements)
    out_dir = Path(out_dir) if out_dir else Path(tempfile.gettempdir()) / f"acces-soins-france-synthetique-{key}"
    raw, store, done = out_dir / "raw", out_dir / "store", out_dir / f"built-{key}"
    if done.exists() and (store / "CURRENT").exists():
        log(f"France synthétique : stock en cache {store}")
        return store
    t0 = time.perf_counter()
    log(f"France synthétique (banc d'essai) : génération dans {raw}")
    shutil.rmtree(raw, ignore_errors=True)
    write_raw(raw, departements, log)
    log(f"construction du stock (--region FR) dans {store}…")
    shutil.rmtree(store, ignore_errors=True)
    code, report = run_pipeline(raw, store)
    (out_dir / "build-report.txt").write_text(report, encoding="utf-8")
    if code != 0:
        raise RuntimeError(f"la construction a échoué (code {code}) :\n{report[-3000:]}")
    done.write_text(f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n", encoding="utf-8")
    log(f"France synthétique prête en {time.perf_counter() - t0:.0f} s (rapport : {out_dir / 'build-report.txt'})")
    return store


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="dossier (défaut : dossier temporaire, en cache)")
    ap.add_argument("--departements", nargs="+", help="seulement ces départements (ex. 15 43)")
    args = ap.parse_args(argv)
    print(build(args.out, args.departements))


if __name__ == "__main__":
    main()
