"""Build orchestration: discover -> recognise -> read -> finalize -> merge -> validate -> publish.

Pure steps over frames; the only side effects are reading the raw folder and the final
publish. Any InputError or BuildError aborts before publishing, so the served version
stays untouched.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..schema import KEY, STATUS_LABELS, STATUSES, TABLES
from ..settings import Settings
from . import publish
from .contribution import Contribution
from .errors import BuildError, InputError
from .sources import Source, registry

IGNORED_NAMES = {"sources.toml", ".gitkeep", "modele.csv"}
IGNORED_SUFFIXES = {".md", ".txt"}
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
    """Files to read (sorted, recursive) and the options of ``sources.toml`` files."""
    files, options = [], {}
    for raw in raw_dirs:
        if not raw.is_dir():
            raise InputError(raw, "dossier de données brutes introuvable")
        conf = raw / "sources.toml"
        if conf.is_file():
            try:
                options.update(tomllib.loads(conf.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise InputError(conf, f"TOML invalide : {exc}") from None
        for path in sorted(raw.rglob("*")):
            if path.is_file() and path.name not in IGNORED_NAMES and path.suffix.lower() not in IGNORED_SUFFIXES \
                    and not any(part.startswith(".") or part == "node_modules" for part in path.parts):
                files.append(path)
    return files, options


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

    if not path.read_bytes()[:4096].strip():
        raise InputError(path, "fichier vide : des données étaient attendues (fichier incomplet ?)", 1, 1)
    if path.suffix.lower() in (".xlsx", ".xlsm") and not zipfile.is_zipfile(path):
        raise InputError(path, "classeur Excel illisible ou tronqué (ce n'est pas un fichier xlsx valide)", 1, "A")


def _safe_sniff(source: Source, path: Path) -> bool:
    try:
        return bool(source.sniff(path))
    except Exception:  # a sniffer must not abort discovery; the file is then "unknown"
        return False


def read_all(known, options, echo) -> list[Contribution]:
    out = []
    for i, (path, source) in enumerate(known, 1):
        start = time.perf_counter()
        contribution = source.read(path, options)
        seconds = time.perf_counter() - start
        millesime = f", millésime {contribution.millesime}" if contribution.millesime else ""
        echo(f"  [{i}/{len(known)}] {path.name} → {contribution.source}{millesime}, "
             f"{contribution.rows} lignes ({_secs(seconds)})")
        out.append(contribution)
    return out


def merge_territories(contributions: list[Contribution], region: str | None) -> pd.DataFrame:
    frames = [c.territories for c in contributions if c.territories is not None]
    if not frames:
        raise BuildError("référentiel territorial manquant : aucun fichier territories.csv reconnu "
                         "(voir data/raw/reference/)")
    territories = pd.concat(frames, ignore_index=True).drop_duplicates("code")
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
    data = data.sort_values(key + ["_rank", "_priority", "_order"], kind="stable")
    lost = data.duplicated(key, keep="first")
    return data[~lost], data[lost]


def merge_observations(contributions: list[Contribution]) -> tuple[pd.DataFrame, int]:
    """One value per (indicator, territory, period): status observed > estimated > demo, then the
    contribution's priority (lower wins), then file order. The other values are kept in the note."""
    frames = []
    for order, c in enumerate(contributions):
        if c.observations is not None and len(c.observations):
            f = c.observations.copy()
            f["_priority"], f["_order"] = c.priority, order
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=TABLES["observations"]), 0
    winners, losers = _by_precedence(frames, KEY)
    winners = winners.copy()
    winners["note"] = winners["note"].fillna("").astype(str)
    if len(losers):
        def describe(g: pd.DataFrame) -> str:
            return " ; ".join(f"autre valeur {v:g} ({STATUS_LABELS[s]}, {src})"
                              for v, s, src in zip(g["value"], g["status"], g["source"]))
        extra = losers.groupby(KEY, sort=False)[["value", "status", "source"]].apply(describe)
        extra.name = "_extra"
        winners = winners.join(extra, on=KEY)
        has = winners["_extra"].notna()
        winners.loc[has, "note"] = (winners.loc[has, "note"] + " | " + winners.loc[has, "_extra"]).str.strip(" |")
    return winners.reset_index(drop=True), len(losers)


def merge_targets(contributions: list[Contribution]) -> pd.DataFrame:
    frames = []
    for order, c in enumerate(contributions):
        if c.targets is not None and len(c.targets):
            f = c.targets.copy()
            # The catalogue states the plan's targets; an official file's target (baromètre) overrides it.
            f["_priority"] = 90 if c.indicators is not None else c.priority
            f["_order"] = order
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=TABLES["targets"])
    winners, _ = _by_precedence(frames, ["indicator", "territory"])
    return winners.reset_index(drop=True)


def validate_references(obs: pd.DataFrame, indicators: pd.DataFrame, territories: pd.DataFrame,
                        report: list[str]) -> pd.DataFrame:
    """Unknown indicator or territory: an error for hand-filled rows (they carry _file/_row),
    a reported drop for official files (e.g. communes merged since the file's millésime)."""
    known_ind = set(indicators["id"])
    known_terr = set(territories["code"])
    row_info = "_file" in obs.columns
    for column, known, what in (("indicator", known_ind, "indicateur du catalogue"),
                                ("territory", known_terr, "code de territoire du référentiel")):
        bad = ~obs[column].isin(known)
        if not bad.any():
            continue
        hand = obs[bad & obs["_file"].notna()] if row_info else obs.iloc[0:0]
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
    return obs


def remap_perimeters(contributions: list[Contribution], territories: pd.DataFrame, report: list[str]) -> None:
    """CPTS perimeters and zoning name communes as they were when the file was written: a commune merged since
    then is mapped to its successor (official table of changes, data/raw/communes_fusionnees/), in place."""
    from . import perimeters

    frames = [c.successors for c in contributions if c.successors is not None]
    successors = pd.concat(frames, ignore_index=True) if frames else None
    known = set(territories.loc[territories["level"] == "commune", "code"])
    for c in contributions:
        if c.perimeters is not None and len(c.perimeters):
            c.perimeters, done = perimeters.remap_successors(c.perimeters, successors, known)
            report.extend(perimeters.report_remap(f"{c.source} ({Path(c.file).name})", done))
            c.facts.setdefault("merged_communes", {})[Path(c.file).name] = done["remapped"]
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


def build(raw_dirs: list[Path], out: Path | None, region: str | None = "R84", publish_it: bool = True,
          echo: Callable[[str], None] = _stderr,
          lock_wait: float = Settings.build_lock_wait) -> BuildResult:
    """Build (and publish unless ``publish_it`` is False) a store version from raw folders.

    Publishing waits at most ``lock_wait`` seconds for a concurrent build (see publish.publish)."""
    steps = Steps(echo)
    report: list[str] = []
    files, options = steps.run("Inventaire des fichiers", discover, [Path(d) for d in raw_dirs])
    region = options.get("region", region)
    if region and not str(region).startswith("R"):
        region = f"R{region}"
    known, unknown = steps.run("Reconnaissance par le contenu", recognise, files, registry())
    for path in unknown:
        report.append(f"⚠ fichier non reconnu, ignoré : {path}")
        echo(f"  ⚠ fichier non reconnu, ignoré : {path}")
    contributions = steps.run("Lecture", read_all, known, options, echo)
    territories = steps.run("Référentiel territorial", merge_territories, contributions, region)

    steps.run("Communes fusionnées et arrêtés successifs (CPTS, zonage)", remap_perimeters, contributions, territories, report)

    def finalize():
        for c in contributions:
            if c.finalize:
                c.finalize(c, territories)
    steps.run("Agrégations (EPCI, départements, région, France)", finalize)
    indicators = merge_indicators(contributions)
    observations, superseded = steps.run("Fusion des valeurs", merge_observations, contributions)
    observations = validate_references(observations, indicators, territories, report)
    if superseded:
        report.append(f"{superseded} valeur(s) en concurrence pour un même indicateur, territoire et trimestre : "
                      "une seule gardée par ordre de préséance, les autres citées en note")
    report.extend(reconciliation_lines(observations))
    targets = merge_targets(contributions)
    targets = targets[targets["indicator"].isin(indicators["id"]) & targets["territory"].isin(territories["code"])]
    structures = [c.structures for c in contributions if c.structures is not None]
    structures = pd.concat(structures, ignore_index=True) if structures else pd.DataFrame(columns=TABLES["structures"])
    if len(structures) and region:
        structures = structures[structures["commune"].isin(territories["code"])]
    initiatives = [c.initiatives for c in contributions if c.initiatives is not None]
    initiatives = pd.concat(initiatives, ignore_index=True) if initiatives else pd.DataFrame(columns=TABLES["initiatives"])
    facts: dict = {}
    for c in contributions:
        report.extend(c.report)
        facts.update(c.facts)
    geometry = steps.run("Contours", merge_geometry, contributions, territories, observations, report, facts) \
        if any(c.geometry for c in contributions) else {}

    observations = observations.sort_values(KEY).reset_index(drop=True)
    observations["value"] = observations["value"].astype(float)
    inputs = [{"file": c.file, "source": c.source, "millesime": c.millesime, "rows": c.rows,
               "sha256": publish.sha256(Path(c.file)), "bytes": Path(c.file).stat().st_size}
              for c in contributions]
    digest = hashlib.sha256("".join(i["sha256"] for i in inputs).encode()).hexdigest()[:8]
    now = dt.datetime.now(dt.timezone.utc)
    version = now.strftime("%Y%m%dT%H%M%S%fZ")[:-4] + "-" + digest
    statuses = observations["status"].value_counts().to_dict()
    manifest = {
        "version": version, "built_at": now.isoformat(timespec="seconds"), "region": region,
        "catalogue_version": next((c.millesime for c in contributions if c.indicators is not None), ""),
        "inputs": inputs, "statuses": {k: int(v) for k, v in statuses.items()},
        "periods": {"first": observations["period"].min() if len(observations) else None,
                    "last": observations["period"].max() if len(observations) else None},
        "facts": facts, "warnings": report,
    }
    perims = [c.perimeters for c in contributions if c.perimeters is not None]
    perims = pd.concat(perims, ignore_index=True) if perims else pd.DataFrame(columns=TABLES["perimeters"])
    tables = {"territories": territories, "indicators": indicators, "targets": targets,
              "observations": observations, "structures": structures, "initiatives": initiatives,
              "perimeters": perims.fillna("").astype(str)}
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

