"""Build orchestration: discover -> recognise -> read -> finalize -> merge -> validate -> publish.

Pure steps over frames; the only side effects are reading the raw folder and the final
publish. Any InputError or BuildError aborts before publishing, so the served version
stays untouched.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import fmt, store, territory, tracking
from ..schema import KEY, STATUS_LABELS, STATUSES, TABLES
from .. import settings
from ..settings import Settings
from ..thresholds import Thresholds
from . import plausibility, publish, readcache, totals
from .contribution import Contribution
from .errors import BuildError, InputError
from .sources import Source, registry

IGNORED_NAMES = {"sources.toml", ".gitkeep", "modele.csv"}
IGNORED_SUFFIXES = {".md", ".txt"}
# The keys of sources.toml, and what each takes (the readers read them from ``options``).
OPTION_KEYS = {
    "region": f"région suivie : {territory.REGION_EXPECTED}",
    "reference_date": "date de référence du build (\"AAAA-MM-JJ\") : aucune observation après elle",
    "mapping": "chemin de la table de correspondance du baromètre",
    "millesime": "millésime du référentiel territorial",
    "contour_key": "propriété des contours portant le code officiel (ex. \"INSEE_COM\")",
    "contour_name": "propriété des contours portant le nom",
    "level": "niveau imposé aux contours (pays, region, departement, epci, commune)",
    "contour_level": "niveau imposé aux contours (pays, region, departement, epci, commune)",
    "simplify": "tolérance de simplification des contours, en degrés (nombre ≥ 0)",
    "ignore": "liste de fichiers (motifs relatifs au dossier, ex. [\"notes/*.xlsx\"]) que la construction ne lit pas",
    "release": "date de publication des fichiers (\"AAAA-MM-JJ\"), gardée avec chaque valeur (sinon : le nom "
               "d'un dossier daté, ex. releases/2024-02-07/, ou le millésime du fichier)",
    "zonage": "table [zonage] : noms des colonnes de l'arrêté de zonage (commune, zone, date_arrete) et "
              "[zonage.dates] \"fichier.csv\" = \"AAAA-MM-JJ\" (voir docs/cpts-zonage.md)",
}
RELEASE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}


@dataclass
class BuildResult:
    version: str | None
    published: bool
    report: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)


class Steps:
    """Prints each step with its duration (the build report's timing lines)."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo, self.timings = echo, {}

    def run(self, name: str, fn, *args, **kwargs):
        self.echo(f"▶ {name}…")
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        self.timings[name] = round(seconds, 3)
        self.echo(f"  ✓ {name} ({_secs(seconds)})")
        return result


def _secs(seconds: float) -> str:
    return f"{seconds:.2f} s".replace(".", ",")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def discover(raw_dirs: list[Path]) -> tuple[list[Path], dict]:
    """Files to read (sorted, recursive) and the options of ``sources.toml`` files. A file its folder's
    ``sources.toml`` lists under ``ignore`` (patterns relative to that folder) is left out."""
    files, options = [], {}
    for raw in raw_dirs:
        if not raw.is_dir():
            raise InputError(raw, "dossier de données brutes introuvable")
        conf = raw / "sources.toml"
        ignore = []
        if conf.is_file():
            local = read_sources_toml(conf)
            ignore = local.pop("ignore", [])
            options.update(local)
        for path in sorted(raw.rglob("*")):
            rel = path.relative_to(raw).as_posix()
            if path.is_file() and path.name not in IGNORED_NAMES and path.suffix.lower() not in IGNORED_SUFFIXES \
                    and not any(part.startswith(".") or part == "node_modules" for part in path.parts) \
                    and not any(fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern)
                                for pattern in ignore):
                files.append(path)
    return files, options


def read_sources_toml(path: Path) -> dict:
    """Options of a ``sources.toml``, checked: an unknown key or a bad value names its line and key."""
    from .readers import _common

    text, doc = _common.read_toml(path)

    def line_of(key: str) -> int | None:
        return next((i + 1 for i, l in enumerate(text.splitlines())
                     if re.match(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}[\"']?\s*[=\]]", l)), None)

    def fail(key: str, expected: str):
        raise InputError(path, f"{key} = {doc[key]!r} : attendu {expected}", line_of(key), key)

    for key in doc:
        if key not in OPTION_KEYS:
            raise InputError(path, f"clé inconnue « {key} » ; clés possibles : {', '.join(sorted(OPTION_KEYS))}",
                             line_of(key), key)
    options = dict(doc)
    if "region" in doc:
        try:
            options["region"] = region_code(doc["region"])
        except ValueError:
            fail("region", OPTION_KEYS["region"])
    if "reference_date" in doc:
        value = doc["reference_date"]
        try:
            options["reference_date"] = value if type(value) is dt.date else dt.date.fromisoformat(str(value))
        except ValueError:
            fail("reference_date", OPTION_KEYS["reference_date"])
    for key in ("mapping", "contour_key", "contour_name"):
        if key in doc and (not isinstance(doc[key], str) or not doc[key].strip()):
            fail(key, "un texte non vide")
    for key in ("level", "contour_level"):
        if key in doc and doc[key] not in territory.LEVELS:
            fail(key, f"un niveau parmi {', '.join(territory.LEVELS)}")
    if "zonage" in doc and not isinstance(doc["zonage"], dict):
        fail("zonage", OPTION_KEYS["zonage"])
    if "simplify" in doc and (isinstance(doc["simplify"], bool) or not isinstance(doc["simplify"], (int, float))
                              or doc["simplify"] < 0):
        fail("simplify", OPTION_KEYS["simplify"])
    if "ignore" in doc and (not isinstance(doc["ignore"], list) or not all(isinstance(p, str) and p.strip()
                                                                           for p in doc["ignore"])):
        fail("ignore", OPTION_KEYS["ignore"])
    if "release" in doc:
        value = doc["release"]
        if type(value) is dt.date:
            options["release"] = value.isoformat()
        elif not (isinstance(value, str) and RELEASE_RE.match(value)):
            fail("release", OPTION_KEYS["release"])
    if "millesime" in doc and not isinstance(doc["millesime"], (str, int)):
        fail("millesime", "une année ou un texte (ex. 2024)")
    return options


def region_code(value) -> str | None:
    """The build's region: :func:`territory.parse_region`, with all of France as None; ValueError otherwise."""
    if value is None:
        return None
    code = territory.parse_region(value)
    return None if code == territory.FRANCE else code


def check_region(region: str | None, territories_all: pd.DataFrame, origin: str) -> None:
    """The followed region must be one the territorial reference knows (else the store silently loses
    its communes and EPCI)."""
    if region is None:
        return
    known = sorted(territories_all.loc[territories_all["level"] == "region", "code"])
    if region not in known:
        raise BuildError(f"région {region} ({origin}) absente du référentiel territorial ; régions connues : "
                         f"{', '.join(known)}")


def recognise(files: list[Path], sources: list[Source]) -> tuple[list[tuple[Path, Source]], list[Path]]:
    known, unknown = [], []
    for path in files:
        source = next((s for s in sources if _safe_sniff(s, path)), None)
        if source is None:
            unreadable(path)
        (known.append((path, source)) if source else unknown.append(path))
    return known, unknown


def unreadable(path: Path) -> None:
    """A file no reader recognises is only *warned* about, unless it is plainly broken: an empty
    file or a workbook that does not open is a failed delivery, not a file to skip."""
    import zipfile

    head = path.read_bytes()[:4096]
    if not head.strip():
        raise InputError(path, "fichier vide : des données étaient attendues (fichier incomplet ?)", 1, 1)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):   # Excel's « texte Unicode »: the readers expect UTF-8
        raise InputError(path, "fichier encodé en UTF-16 (« texte Unicode » d'Excel) : le réenregistrer en "
                               "« CSV UTF-8 »", 1, 1)
    if path.suffix.lower() in (".xlsx", ".xlsm") and not zipfile.is_zipfile(path):
        raise InputError(path, "classeur Excel illisible ou tronqué (ce n'est pas un fichier xlsx valide)", 1, "A")


def _safe_sniff(source: Source, path: Path) -> bool:
    try:
        return bool(source.sniff(path))
    except Exception:  # a sniffer must not abort discovery; the file is then "unknown"
        return False


def release_of(path: Path, contribution: Contribution, options: dict) -> str:
    """The release a file's values come from: a dated folder (``releases/2024-02-07/``), else ``release`` of
    sources.toml, else the file's millésime."""
    dated = next((p.name for p in path.parents if RELEASE_RE.match(p.name)), None)
    return dated or str(options.get("release") or contribution.millesime or "")


def read_all(known, options, echo) -> list[Contribution]:
    out = []
    for i, (path, source) in enumerate(known, 1):
        start = time.perf_counter()
        contribution, kept = readcache.read(source.name, source.read, path, options)   # unchanged: not re-read
        contribution.release = release_of(path, contribution, options)
        seconds = time.perf_counter() - start
        millesime = f", millésime {contribution.millesime}" if contribution.millesime else ""
        echo(f"  [{i}/{len(known)}] {path.name} → {contribution.source}{millesime}, "
             f"{contribution.rows} lignes ({_secs(seconds)}{', déjà lu, inchangé' if kept else ''})")
        out.append(contribution)
    return out


def merge_territories(contributions: list[Contribution], region: str | None) -> pd.DataFrame:
    frames = [c.territories for c in contributions if c.territories is not None]
    if not frames:
        raise BuildError("référentiel territorial manquant : aucun fichier territories.csv reconnu "
                         "(voir data/raw/reference/)")
    territories = pd.concat(frames, ignore_index=True).drop_duplicates("code")
    check_region(region, territories, "région suivie")
    if region:
        # Keep the whole country down to départements (for comparisons and national maps),
        # and EPCI/communes of the followed region only.
        fine = territories["level"].isin(["epci", "commune"])
        territories = territories[~fine | (territories["region"] == region)]
    return territories.reset_index(drop=True)


def merge_indicators(contributions: list[Contribution]) -> pd.DataFrame:
    frames = [c.indicators for c in contributions if c.indicators is not None]
    if len(frames) != 1:
        raise BuildError(f"un catalogue d'indicateurs attendu (indicators.toml), {len(frames)} trouvé(s)")
    return frames[0]


def _by_precedence(frames: list[pd.DataFrame], key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate, order by precedence, split into winners (first per key) and losers."""
    data = pd.concat(frames, ignore_index=True)
    if "status" in data:
        data["_rank"] = data["status"].map(STATUS_RANK)
    else:
        data["_rank"] = 0
    # Same status and priority: the later release wins (a republished baromètre revises its past values).
    data["_release"] = data["release"].fillna("").astype(str) if "release" in data else ""
    data = data.sort_values(key + ["_rank", "_priority", "_release", "_order"],
                            ascending=[True] * len(key) + [True, True, False, True], kind="stable")
    lost = data.duplicated(key, keep="first")
    return data[~lost], data[lost]


def merge_observations(contributions: list[Contribution]) -> tuple[pd.DataFrame, int, int]:
    """One value per (indicator, territory, period): status observed > estimated > demo, then the
    contribution's priority (lower wins), then file order. The other values are kept in the note.

    A demo value never sits in an (indicator, territory) series that has an observed or estimated
    value, whatever its quarter: a chart mixing real and invented points reads as one real series.
    Such demo rows are dropped before precedence (not cited in notes either).
    Returns (observations, values superseded by precedence, demo values dropped)."""
    frames = []
    for order, c in enumerate(contributions):
        if c.observations is not None and len(c.observations):
            f = c.observations.copy()
            f["_priority"], f["_order"] = c.priority, order
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=TABLES["observations"]), 0, 0
    data = pd.concat(frames, ignore_index=True)
    series = ["indicator", "territory"]
    real = pd.MultiIndex.from_frame(data.loc[data["status"] != "demo", series])
    demo_in_real = (data["status"] == "demo").to_numpy() & pd.MultiIndex.from_frame(data[series]).isin(real)
    data = data[~demo_in_real]
    winners, losers = _by_precedence([data], KEY)
    winners = winners.copy()
    winners["note"] = winners["note"].fillna("").astype(str)
    if len(losers):
        def describe(g: pd.DataFrame) -> str:
            return " ; ".join(f"autre valeur {fmt.pace(v)} ({STATUS_LABELS[s]}, {src})"   # French decimals
                              for v, s, src in zip(g["value"], g["status"], g["source"]))
        extra = losers.groupby(KEY, sort=False)[["value", "status", "source"]].apply(describe)
        extra.name = "_extra"
        winners = winners.join(extra, on=KEY)
        has = winners["_extra"].notna()
        winners.loc[has, "note"] = (winners.loc[has, "note"] + " | " + winners.loc[has, "_extra"]).str.strip(" |")
    return winners.reset_index(drop=True), len(losers), int(demo_in_real.sum())


def merge_targets(contributions: list[Contribution], table: str = "targets") -> pd.DataFrame:
    """One target (or, ``table="baselines"``, one source baseline) per indicator and territory."""
    frames = []
    for order, c in enumerate(contributions):
        if getattr(c, table) is not None and len(getattr(c, table)):
            f = getattr(c, table).copy()
            # The catalogue states the plan's targets; an official file's target (baromètre) overrides it.
            f["_priority"] = 90 if c.indicators is not None else c.priority
            f["_order"] = order
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=TABLES[table])
    winners, _ = _by_precedence(frames, ["indicator", "territory"])
    return winners.reset_index(drop=True)


def validate_references(obs: pd.DataFrame, indicators: pd.DataFrame, territories: pd.DataFrame,
                        report: list[str]) -> pd.DataFrame:
    """Unknown indicator or territory: an error for hand-filled rows (``_hand``, with _file/_row),
    a reported drop for official files (e.g. communes merged since the file's millésime)."""
    known_ind = set(indicators["id"])
    known_terr = set(territories["code"])
    hand_rows = obs["_hand"].eq(True) if "_hand" in obs.columns else pd.Series(False, index=obs.index)
    for column, known, what in (("indicator", known_ind, "indicateur du catalogue"),
                                ("territory", known_terr, "code de territoire du référentiel")):
        bad = ~obs[column].isin(known)
        if not bad.any():
            continue
        hand = obs[bad & hand_rows]
        if len(hand):
            first = hand.iloc[0]
            col = {"indicator": "indicateur", "territory": "territoire"}[column]
            raise InputError(first["_file"], f"{what} attendu, reçu {first[column]!r}", int(first["_row"]), col)
        if column == "indicator":
            raise BuildError(f"indicateur(s) absent(s) du catalogue : {sorted(set(obs.loc[bad, column]))[:10]}")
        codes = sorted(set(obs.loc[bad, column]))
        report.append(f"⚠ {bad.sum()} valeur(s) écartée(s) : {len(codes)} territoire(s) hors du référentiel "
                      f"ou de la région construite ({', '.join(codes[:15])}{' …' if len(codes) > 15 else ''})")
        obs = obs[~bad]
        hand_rows = hand_rows[~bad]
    return obs


def check_levels(obs: pd.DataFrame, indicators: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    """A value at a level the catalogue does not declare for its indicator (an MCS count for a commune):
    refused at its file and row when a file gave it, dropped and counted when the build computed it."""
    levels = {i: set(str(lv).split("|")) for i, lv in zip(indicators["id"], indicators["levels"])}
    level = obs["territory"].map(lambda code: territory.level_of(code) if territory.is_code(code) else "")
    bad = pd.Series([lv not in levels.get(i, {lv}) for i, lv in zip(obs["indicator"], level)], index=obs.index,
                    dtype=bool)
    if not bad.any():
        return obs
    located = bad & obs.get("_file", pd.Series("", index=obs.index)).fillna("").astype(str).ne("") \
        & obs.get("_row", pd.Series(float("nan"), index=obs.index)).notna()
    if located.any():
        first = obs[located].iloc[0]
        ind = first["indicator"]
        raise InputError(first["_file"], f"{ind} n'existe pas au niveau « {level[first.name]} » ({first['territory']}) "
                                         f": le catalogue le déclare aux niveaux {', '.join(sorted(levels[ind]))}",
                         int(first["_row"]), "territoire" if first.get("_hand") is True else first.get("_column"))
    report.append(f"⚠ {int(bad.sum())} valeur(s) calculée(s) à un niveau que le catalogue ne déclare pas, écartée(s) "
                  f"({', '.join(sorted(set(obs.loc[bad, 'indicator'])))})")
    return obs[~bad]


def check_region_covered(obs: pd.DataFrame, raw: pd.DataFrame, region: str | None,
                         territories: pd.DataFrame) -> None:
    """A build for a region the files say nothing about is not a success: name the regions they cover."""
    if region is None:
        return
    ours = set(territories.loc[(territories["region"] == region) | (territories["code"] == region), "code"])
    if obs["territory"].isin(ours).any():
        return
    dep_region = dict(zip(territories.loc[territories["level"] == "departement", "code"],
                          territories.loc[territories["level"] == "departement", "region"]))

    def region_of(code: str) -> str:
        if code.startswith("R"):
            return code
        if code.startswith("D"):
            return dep_region.get(code, "")
        if code.startswith("C"):
            return dep_region.get("D" + (code[1:4] if code[1:3] == "97" else code[1:3]), "")
        return ""
    covered = raw["territory"].astype(str).map(region_of).value_counts()
    covered = covered[covered.index != ""]
    listed = ", ".join(covered.index) or "aucune (seulement la France)"
    raise BuildError(f"aucune valeur pour la région {region} dans les fichiers : ils couvrent les régions {listed} "
                     f"(choisir l'une d'elles avec --region, ou ajouter les fichiers de {region})")


def remap_merged_communes(contributions: list[Contribution], territories: pd.DataFrame, indicators: pd.DataFrame,
                          report: list[str]) -> None:
    """Files name communes as they were at their millésime: a commune merged since then is mapped to its
    successor (official table of changes, data/raw/communes_fusionnees/) before aggregation, in place, by the
    one rule of :mod:`.fusions`: CPTS and zoning memberships and FINESS structures take the successor's code,
    contours are dissolved, commune values combined (counts summed, averages weighted by population). One
    report line per file, the remapped codes per file in the manifest (facts « merged_communes »). Then each
    zoning decree applies until the next one."""
    from . import fusions, perimeters

    frames = [c.successors for c in contributions if c.successors is not None]
    successors = pd.concat(frames, ignore_index=True) if frames else None
    communes = territories[territories["level"] == "commune"]
    known = set(communes["code"])
    names = dict(zip(communes["code"], communes["name"].fillna("")))
    population = dict(zip(communes["code"], pd.to_numeric(communes["population"], errors="coerce")))
    sums = set(indicators.loc[indicators["unit"].isin(fusions.SUM_UNITS), "id"])
    for c in contributions:
        if c.successors is not None:
            continue
        name = Path(c.file).name
        codes = set()
        if c.perimeters is not None:
            codes |= set(c.perimeters["commune"])
        if c.structures is not None and len(c.structures):
            codes |= set(c.structures["commune"])
        if c.observations is not None and len(c.observations):
            codes |= set(fusions.commune_codes(c.observations["territory"].unique()))
        if "commune" in c.geometry:
            codes |= set(c.geometry["commune"]["code"])
        mapping, _unknown = fusions.successor_map(codes, successors, known)
        remapped = {}
        if c.perimeters is not None and len(c.perimeters):
            c.perimeters, done = perimeters.remap_successors(c.perimeters, successors, known)
            remapped.update(done["remapped"])
            report.extend(perimeters.report_remap(name, done))
        if not mapping:
            continue
        if c.structures is not None and len(c.structures):
            hit = c.structures["commune"].isin(mapping)
            remapped.update({old: mapping[old] for old in c.structures.loc[hit, "commune"]})
            c.structures = fusions.remap_column(c.structures, "commune", mapping)
        if "commune" in c.geometry:
            shapes = c.geometry["commune"]
            remapped.update({old: mapping[old] for old in shapes["code"] if old in mapping})
            c.geometry["commune"] = fusions.dissolve(shapes, mapping, names)
        if c.observations is not None and len(c.observations):
            c.observations, done = fusions.combine(c.observations, mapping, sums, c.weights, population)
            remapped.update(done["remapped"])
            if done["unweighted"]:
                report.append(f"⚠ {name} : {len(done['unweighted'])} commune(s) fusionnée(s) sans population pour "
                              f"pondérer leurs valeurs, non rattachée(s) : "
                              f"{', '.join(code[1:] for code in done['unweighted'][:10])}")
        c.merged = {old: new for old, new in mapping.items() if old in remapped}
        if remapped:
            if not (c.perimeters is not None and len(c.perimeters)):   # perimeters: report_remap said it
                report.append(fusions.report_line(name, remapped))
            c.facts.setdefault("merged_communes", {})[name] = remapped
    decrees = [c for c in contributions if c.perimeters is not None and (c.perimeters["kind"] == "zonage").any()]
    for c, chained in zip(decrees, perimeters.chain_decrees([c.perimeters for c in decrees], territories)):
        c.perimeters = chained


def reconciliation_lines(observations: pd.DataFrame) -> list[str]:
    """« calcul 81,2 % ; baromètre 83 % » for every official value that our computation also gives as of its
    quarter (ours is stored where it changes: its value as of a quarter is the last one at or before it)."""
    from .. import fmt
    from ..perimeters import RECONCILED

    lines = []
    for ours, official in RECONCILED.items():
        a = observations[observations["indicator"] == ours]
        b = observations[(observations["indicator"] == official) & (observations["status"] == "observed")]
        for territory, theirs in b.groupby("territory"):
            mine = a[a["territory"] == territory].sort_values("period")
            for period, value in zip(theirs["period"], theirs["value"]):
                before = mine[mine["period"] <= period]
                if before.empty:
                    continue
                x = float(before["value"].iloc[-1])
                lines.append(f"  Rapprochement CPTS {territory} {fmt.quarter(period)} : calcul {fmt.value(x, '%')} ; "
                             f"baromètre {fmt.value(value, '%')} (écart {fmt.delta(x - value, '%')})")
    return lines


def merge_geometry(contributions, territories, observations, report, facts) -> dict:
    from . import geometry  # geopandas is only needed when contours are present

    levels: dict[str, list] = {}
    for c in contributions:
        for level, gdf in c.geometry.items():
            levels.setdefault(level, []).append(gdf)
    merged = {}
    for level, gdfs in levels.items():
        gdf = pd.concat(gdfs, ignore_index=True).drop_duplicates("code")
        known = set(territories.loc[territories["level"] == level, "code"])
        outside = ~gdf["code"].isin(known)
        if outside.any():
            report.append(f"  {level} : {int(outside.sum())} contour(s) hors du référentiel ou de la région "
                          "construite, non publiés")
        gdf = gdf[~outside]
        data_codes = set(observations.loc[observations["territory"].isin(known), "territory"])
        joins = geometry.join_report(level, set(gdf["code"]), data_codes)
        report.extend(geometry.report_lines(joins))
        facts.setdefault("joins", {})[level] = joins
        # territories of the reference with no contour (a commune created or restored after the contours'
        # edition): the sheet says why they, and the EPCI made of them, are missing from the map
        facts.setdefault("without_shape", {})[level] = sorted(known - set(gdf["code"]))
        merged[level] = gdf
    return merged


def _geometry_writer(merged: dict):
    def write(folder: Path) -> dict:
        if not merged:
            return {}
        from . import geometry

        folder.mkdir(parents=True, exist_ok=True)
        info = {}
        for level, gdf in merged.items():
            path = folder / f"{level}.geojson"
            geometry.write_geojson(gdf, path)
            info[level] = {"file": f"geometry/{level}.geojson", "features": int(len(gdf)),
                           "bytes": path.stat().st_size}
        return info
    return write


def raw_values(contributions: list[Contribution], table: str) -> pd.DataFrame:
    """Every contribution's values (observations or targets) as read, before aggregation and merge."""
    frames = [getattr(c, table) for c in contributions if getattr(c, table) is not None and len(getattr(c, table))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TABLES[table])


def mark_revisions(observations: pd.DataFrame, out: Path | None, report: list[str]) -> tuple[pd.DataFrame, dict]:
    """Compare with the version in service (when publishing into ``out``): revised values keep their previous
    value and release, the report and the manifest say how many values were revised, added and withdrawn."""
    from . import revisions

    served = publish.current(Path(out)) if out is not None and Path(out).is_dir() else None
    if served is None:
        return revisions.with_revision_columns(observations), {}
    try:
        old, old_manifest = revisions.read_version(Path(out), served)
    except (OSError, ValueError) as exc:   # a damaged served version: nothing to compare with, said
        report.append(f"⚠ révisions non calculées : version en service {served} illisible ({exc})")
        return revisions.with_revision_columns(observations), {}
    marked, summary = revisions.mark(observations, old, old_manifest.get("built_at", ""))
    report.extend(revisions.report_lines(summary, served))
    return marked, {"against": served, **summary}


def read_databases(entries: Callable[[], Contribution | None] | None, echo) -> list[Contribution]:
    contribution = entries() if entries else None
    if contribution is None:
        return []
    echo(f"  [base] {contribution.source}, {contribution.rows} valeurs validées")
    return [contribution]


def track(tables: dict[str, pd.DataFrame], thresholds: Thresholds) -> dict[str, pd.DataFrame]:
    """The plan tracking of the version (:func:`dashboard.tracking.table`), on all values and on the public
    ones only (what the public instance serves: its figures never rest on an estimate or a demo value)."""
    def of(frames):
        data = store.from_frames(frames["territories"], frames["indicators"], frames["targets"],
                                 frames["observations"], milestones=frames["milestones"],
                                 baselines=frames["baselines"])
        return tracking.table(data, thresholds)
    return {"tracking": of(tables), "tracking_public": of(store.public_only(tables))}


def build(raw_dirs: list[Path], out: Path | None, region: str | None = "", publish_it: bool = True,
          echo: Callable[[str], None] = _stderr, reference_date: dt.date | None = None,
          lock_wait: float = Settings.build_lock_wait,
          entries: Callable[[], Contribution | None] | None = None,
          thresholds: Thresholds | None = None) -> BuildResult:
    """Build (and publish unless ``publish_it`` is False) a store version from raw folders (and the
    validated entries of the saisie database, when its caller hands ``entries``: a function returning their
    Contribution, e.g. ``functools.partial(dashboard.saisie.source.read_database, url)`` — the pipeline never
    imports the saisie package, see docs/architecture.md).

    ``region``: "" (default) the region of the settings (``ACCES_SOINS_REGION``), None or "FR" all of France.
    ``reference_date``: no observation may be dated after it (default: ``reference_date`` of
    sources.toml, else today). Publishing waits at most ``lock_wait`` seconds for a concurrent build
    (see publish.publish). ``thresholds``: the plan statuses' (default: the settings'), recorded in the
    manifest; the plan tracking is computed with them (dashboard.tracking).
    """
    steps = Steps(echo)
    report: list[str] = []
    files, options = steps.run("Inventaire des fichiers", discover, [Path(d) for d in raw_dirs])
    try:
        region = options["region"] if "region" in options else region_code(
            settings.current().region if region == "" else region)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    reference_date = reference_date or options.get("reference_date") or dt.date.today()
    known, unknown = steps.run("Reconnaissance par le contenu", recognise, files, registry())
    if unknown:   # never skipped silently: the build would publish without the file's data
        from .unknown import describe
        raise InputError(unknown[0], f"fichier non reconnu : {describe(unknown[0])} ; le corriger, le retirer du "
                                     f"dossier ou l'ajouter à « ignore » dans sources.toml"
                         + (f" (et {len(unknown) - 1} autre(s) fichier(s) non reconnu(s))" if len(unknown) > 1 else ""))
    contributions = steps.run("Lecture", read_all, known, options, echo)
    contributions += read_databases(entries, echo)
    territories = steps.run("Référentiel territorial", merge_territories, contributions, region)
    indicators = merge_indicators(contributions)
    # Plausibility of the values as read, so that an error names the file, row and column of the value
    # (an APL commune by its sheet row), before aggregation can blur it.
    population = dict(zip(territories["code"], pd.to_numeric(territories["population"], errors="coerce")))
    steps.run("Plausibilité des valeurs lues", plausibility.check_observations,
              raw_values(contributions, "observations"), indicators, reference_date, population)
    plausibility.check_targets(raw_values(contributions, "targets"), indicators)

    steps.run("Communes fusionnées (contours, valeurs, CPTS, zonage) et arrêtés successifs", remap_merged_communes,
              contributions, territories, indicators, report)

    def finalize():
        for c in contributions:
            if c.finalize:
                c.finalize(c, territories)
            if c.observations is not None:   # values computed from a file come from its release
                release = c.observations.get("release", pd.Series(None, index=c.observations.index, dtype=object))
                c.observations["release"] = release.fillna(c.release).astype(str)
    steps.run("Agrégations (EPCI, départements, région, France)", finalize)
    observations, superseded, demo_dropped = steps.run("Fusion des valeurs", merge_observations, contributions)
    observations = validate_references(observations, indicators, territories, report)
    observations = check_levels(observations, indicators, report)
    check_region_covered(observations, raw_values(contributions, "observations"), region, territories)
    observations, summed = totals.regional_sums(observations, indicators, territories)
    report.extend(summed)
    if demo_dropped:
        report.append(f"{demo_dropped} valeur(s) de démonstration écartée(s) : leur série (indicateur, territoire) "
                      "a des valeurs observées ou estimées")
    # Again on what will be published: computed values (aggregates, FINESS counts) obey the same rules,
    # and jumps are judged on the series users will see.
    # Soft bounds (unusual, never refused) are judged here only, once per published value.
    unusual = plausibility.check_observations(observations, indicators, reference_date, population)
    report.extend(unusual)
    if superseded:
        report.append(f"{superseded} valeur(s) en concurrence pour un même indicateur, territoire et trimestre : "
                      "une seule gardée par ordre de préséance, les autres citées en note")
    report.extend(reconciliation_lines(observations))
    targets = merge_targets(contributions)
    targets = targets[targets["indicator"].isin(indicators["id"]) & targets["territory"].isin(territories["code"])]
    baselines = merge_targets(contributions, "baselines")
    baselines = baselines[baselines["indicator"].isin(indicators["id"]) & baselines["territory"].isin(territories["code"])]
    milestones = [c.milestones for c in contributions if c.milestones is not None and len(c.milestones)]
    milestones = pd.concat(milestones, ignore_index=True) if milestones else pd.DataFrame(columns=TABLES["milestones"])
    milestones = milestones[milestones["territory"].isin(territories["code"])]
    structures = [c.structures for c in contributions if c.structures is not None]
    structures = pd.concat(structures, ignore_index=True) if structures else pd.DataFrame(columns=TABLES["structures"])
    if len(structures) and region:
        structures = structures[structures["commune"].isin(territories["code"])]
    initiatives = [c.initiatives for c in contributions if c.initiatives is not None]
    initiatives = pd.concat(initiatives, ignore_index=True) if initiatives else pd.DataFrame(columns=TABLES["initiatives"])
    facts: dict = {}
    for c in contributions:
        report.extend(c.report)
        for key, fact in c.facts.items():   # facts per file (dicts keyed by file) add up across files
            facts[key] = {**facts[key], **fact} if isinstance(fact, dict) and isinstance(facts.get(key), dict) \
                else fact
    geometry = steps.run("Contours", merge_geometry, contributions, territories, observations, report, facts) \
        if any(c.geometry for c in contributions) else {}

    observations = observations.sort_values(KEY).reset_index(drop=True)
    observations["value"] = observations["value"].astype(float)
    observations, revised = mark_revisions(observations, out if publish_it else None, report)
    inputs = [{"file": c.file, "source": c.source, "millesime": c.millesime, "rows": c.rows,
               "sha256": c.digest or publish.sha256(Path(c.file)), "bytes": 0 if c.digest else Path(c.file).stat().st_size}
              for c in contributions]
    digest = hashlib.sha256("".join(i["sha256"] for i in inputs).encode()).hexdigest()[:8]
    now = dt.datetime.now(dt.timezone.utc)
    version = now.strftime("%Y%m%dT%H%M%S%fZ")[:-4] + "-" + digest
    statuses = observations["status"].value_counts().to_dict()
    manifest = {
        "version": version, "built_at": now.isoformat(timespec="seconds"), "region": region,
        "reference_date": reference_date.isoformat(),
        "catalogue_version": next((c.millesime for c in contributions if c.indicators is not None), ""),
        "inputs": inputs, "statuses": {k: int(v) for k, v in statuses.items()},
        "periods": {"first": observations["period"].min() if len(observations) else None,
                    "last": observations["period"].max() if len(observations) else None},
        "facts": facts, "warnings": report, "plausibility": {"soft": unusual}, "revisions": revised,
    }
    perims = [c.perimeters for c in contributions if c.perimeters is not None]
    perims = pd.concat(perims, ignore_index=True) if perims else pd.DataFrame(columns=TABLES["perimeters"])
    tables = {"territories": territories, "indicators": indicators, "targets": targets, "baselines": baselines,
              "milestones": milestones,
              "observations": observations, "structures": structures, "initiatives": initiatives,
              "perimeters": perims.fillna("").astype(str)}
    thresholds = thresholds or settings.current().thresholds
    manifest["thresholds"] = {"on_track": thresholds.on_track, "watch": thresholds.watch}
    tables.update(steps.run("Suivi du plan (valeurs, avancement, statuts par trimestre)", track, tables, thresholds))
    for line in report:
        echo(line)
    if not publish_it or out is None:
        manifest["timings"] = steps.timings
        return BuildResult(version=None, published=False, report=report, manifest=manifest)
    manifest["timings"] = steps.timings
    if not publish.publish(Path(out), version, tables, _geometry_writer(geometry), manifest, lock_wait, echo,
                           steps.run):
        return BuildResult(version=version, published=False, report=report, manifest=manifest)
    echo(f"Version publiée : {version} ({len(observations)} valeurs, {len(territories)} territoires)")
    return BuildResult(version=version, published=True, report=report, manifest=manifest)

