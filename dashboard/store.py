"""Read-only access to the processed store (the only way the app reads data).

The current version is loaded once per process and memoised on its version id; a new
version published by the pipeline is noticed on the next access (``CURRENT`` is re-read
at most once a second), without a restart.

On a public instance (``ACCES_SOINS_PUBLIC=1``) the store is loaded *filtered*: only
indicators flagged public and only ``observed`` values ever enter memory, so no layout
or callback can return anything else, whatever a client sends.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import ctypes
import ctypes.util

import numpy as np
import pandas as pd
import pyarrow as pa

from .pipeline.publish import check_files
from . import settings, texts
from .schema import OPTIONAL_COLUMNS, OPTIONAL_TABLES, TABLES
from .thresholds import Thresholds


class StoreUnavailable(RuntimeError):
    """No published version could be loaded."""


@dataclass(frozen=True, eq=False)
class Store:
    root: Path
    version: str
    manifest: dict
    public: bool
    territories: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    observations: pd.DataFrame
    structures: pd.DataFrame
    initiatives: pd.DataFrame
    milestones: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLES["milestones"]))
    # (indicator, territory) -> (start, stop) rows in observations (sorted by key)
    _slices: dict = field(default_factory=dict, repr=False)
    # dated CPTS perimeters and zoning (see dashboard/perimeters.py)
    perimeters: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLES["perimeters"]), repr=False)
    # the sources' own baselines (baromètre indic_vi), one per indicator and territory
    baselines: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLES["baselines"]), repr=False)
    # the plan tracking the build computed (dashboard.tracking); None: computed on the fly (previews, tests)
    tracking: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        return self.root / self.version

    @property
    def built_at(self) -> str:
        return self.manifest.get("built_at", "")

    def geometry_file(self, level: str) -> Path | None:
        info = self.manifest.get("geometry", {}).get(level)
        return self.folder / info["file"] if info else None

    @property
    def thresholds(self) -> Thresholds:
        """The status thresholds of this version: the build's (recorded in its manifest), else the settings'
        (a store from frames, a version built before they were recorded)."""
        t = self.manifest.get("thresholds")
        return Thresholds(float(t["on_track"]), float(t["watch"])) if t else settings.current().thresholds

    @property
    def geometry_levels(self) -> list[str]:
        return list(self.manifest.get("geometry", {}))


_LOCK = threading.Lock()


def _new_lock() -> None:
    """In a forked child (a background job), a lock held by a thread of the parent would never be released."""
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_lock)
_SERVED: dict[tuple[str, bool], Store] = {}       # (root, public) -> the last version loaded successfully
_FAILED: dict[tuple[str, bool], "Failure"] = {}   # (root, public) -> the newer CURRENT that could not be loaded
_LOGGED: set[tuple[str, str | None]] = set()      # (root, version) already logged: once per bad version
_CURRENT_SEEN: dict[Path, tuple[float, str | None]] = {}
RECHECK_SECONDS = 1.0
RETRY_SECONDS = 30.0        # a version that failed to load is tried again after this delay
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """The version ``CURRENT`` names but that could not be loaded (None: ``CURRENT`` itself is missing)."""
    version: str | None
    error: str
    at: float               # time.monotonic() of the last attempt


def current_version(root: Path) -> str | None:
    now = time.monotonic()
    seen = _CURRENT_SEEN.get(root)
    if seen and now - seen[0] < RECHECK_SECONDS:
        return seen[1]
    try:
        version = (root / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        version = None
    _CURRENT_SEEN[root] = (now, version)
    return version


# Arrow's default pool (mimalloc) keeps what a read frees, per thread: reading a version left ~35 MB more resident
# in every web worker than the frames it yields. The system allocator gives it back (``_give_back``) once a
# version is loaded: a version is read once per process, so the pool's speed does not matter here.
pa.set_memory_pool(pa.system_memory_pool())
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if os.name == "posix" else None


def _give_back() -> None:
    """Return the memory freed by a load to the system (glibc's ``malloc_trim``; nothing elsewhere)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(folder / f"{name}.parquet")
    except Exception as exc:  # pyarrow raises its own types; which one does not matter to the reader
        raise OSError(f"{name}.parquet illisible : {exc}") from exc


def _load(root: Path, version: str, public: bool) -> Store:
    """Load one version; raises (OSError, ValueError…) when anything in it is missing or damaged."""
    folder = root / version
    if not folder.is_dir():
        raise OSError("dossier de la version absent")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OSError("manifest.json absent") from None
    except ValueError as exc:
        raise OSError(f"manifest.json illisible : {exc}") from None
    check_files(folder, manifest)     # the sha256 the build recorded: a truncated file is refused here
    # A version written before a table existed (milestones, perimeters) is still served, with that table empty.
    # The public instance reads the tracking computed on public values only, never the internal one.
    skip = "tracking" if public else "tracking_public"
    tables = {name: _read_table(folder, name) for name in TABLES
              if name != skip and (name not in OPTIONAL_TABLES or (folder / f"{name}.parquet").exists())}
    if public:
        tables["tracking"] = tables.pop("tracking_public", None)
    tables["indicators"]["public"] = tables["indicators"]["public"].astype(bool)
    if public:
        tables = public_only(tables)
        manifest = {k: v for k, v in manifest.items() if k not in ("inputs", "warnings", "facts", "statuses")}
    ind, obs = tables["indicators"], tables["observations"]
    return from_frames(tables["territories"], ind, tables["targets"], obs, tables["structures"],
                       tables["initiatives"], root=root, version=version, manifest=manifest, public=public,
                       milestones=tables.get("milestones"), perimeters=tables.get("perimeters"),
                       baselines=tables.get("baselines"), tracking=tables.get("tracking"))


def public_only(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The public boundary, enforced where data is loaded, not in layouts: only indicators flagged public and
    only ``observed`` values (the public instance's loading, and the build's ``tracking_public``)."""
    tables = dict(tables)
    ind = tables["indicators"]
    ind = ind[ind["public"].astype(bool)].reset_index(drop=True)
    keep = set(ind["id"])
    obs = tables["observations"]
    tables["indicators"] = ind
    obs = obs[(obs["status"] == "observed") & obs["indicator"].isin(keep)].copy()
    for column in ("source", "note"):       # the team's internal document numbers stay inside
        if column in obs.columns:
            obs[column] = obs[column].map(texts.public_source)
    tables["observations"] = obs
    if tables.get("initiatives") is not None and "source" in tables["initiatives"].columns:
        tables["initiatives"] = tables["initiatives"].assign(
            source=tables["initiatives"]["source"].map(texts.public_source))
    for name in ("targets", "milestones", "baselines", "tracking"):
        if tables.get(name) is not None:
            tables[name] = tables[name][tables[name]["indicator"].isin(keep)].reset_index(drop=True)
    return tables


def with_revision_columns(obs: pd.DataFrame) -> pd.DataFrame:
    """The revision columns, empty when a frame (or a version written before them) lacks them."""
    obs = obs.copy()
    for col in OPTIONAL_COLUMNS["observations"]:
        if col not in obs.columns:
            obs[col] = float("nan") if col == "previous_value" else ""
    obs["release"] = obs["release"].fillna("").astype(str)
    obs["previous_release"] = obs["previous_release"].fillna("").astype(str)
    obs["previous_value"] = pd.to_numeric(obs["previous_value"], errors="coerce")
    return obs


def from_frames(territories: pd.DataFrame, indicators: pd.DataFrame, targets: pd.DataFrame,
                observations: pd.DataFrame, structures: pd.DataFrame | None = None,
                initiatives: pd.DataFrame | None = None, root: Path | None = None, version: str = "en-memoire",
                manifest: dict | None = None, public: bool = False,
                milestones: pd.DataFrame | None = None, perimeters: pd.DataFrame | None = None,
                baselines: pd.DataFrame | None = None, tracking: pd.DataFrame | None = None) -> Store:
    """A Store from frames with the columns of :data:`dashboard.schema.TABLES` (what a published version
    loads into; also a preview of unpublished values, and small stores in tests)."""
    obs = observations.sort_values(["indicator", "territory", "period"]).reset_index(drop=True)
    obs["note"] = obs["note"].fillna("")
    obs["source"] = obs["source"].fillna("")
    # a version (or a test's frame) from before observations were dated: the quarter alone dates them
    obs["date"] = obs["date"].fillna("").astype(str) if "date" in obs else ""
    obs = with_revision_columns(obs)       # a version written before releases were kept: none revised
    slices = {}
    if len(obs):
        keys = list(zip(obs["indicator"], obs["territory"]))
        starts = np.flatnonzero([True] + [a != b for a, b in zip(keys[1:], keys[:-1])])
        stops = list(starts[1:]) + [len(obs)]
        slices = {keys[s]: (int(s), int(e)) for s, e in zip(starts, stops)}
    ind = indicators.copy()
    if "order" not in ind.columns:
        ind["order"] = range(len(ind))
    empty = {name: pd.DataFrame(columns=TABLES[name]) for name in ("structures", "initiatives")}
    return Store(root=Path(root) if root else Path("."), version=version, manifest=manifest or {}, public=public,
                 territories=territories.set_index("code", drop=False),
                 indicators=ind.set_index("id", drop=False).sort_values("order"), targets=targets,
                 observations=obs, structures=structures if structures is not None else empty["structures"],
                 initiatives=initiatives if initiatives is not None else empty["initiatives"],
                 milestones=milestones if milestones is not None else pd.DataFrame(columns=TABLES["milestones"]),
                 _slices=slices,
                 perimeters=(perimeters if perimeters is not None else pd.DataFrame(columns=TABLES["perimeters"]))
                 .fillna("").astype(str),
                 baselines=(baselines if baselines is not None else pd.DataFrame(columns=TABLES["baselines"])),
                 tracking=tracking)


def _describe(exc: Exception, root: Path) -> str:
    """A short message without the server's paths (/healthz is public on the kiosk instance)."""
    text = str(exc) or type(exc).__name__
    for prefix in {str(root.resolve()), str(root)}:
        text = text.replace(prefix + "/", "")
    return text[:300]


def open_store(root: Path | str, public: bool = False) -> Store | None:
    """The current version under ``root`` (memoised on its id), or None when nothing is published.

    A version that cannot be loaded (folder or manifest missing, truncated or altered file) never
    replaces the one in memory: the last good version keeps being served, the failure is logged once
    per version and reported by ``failure()``, and loading is retried every RETRY_SECONDS (and at
    once when ``CURRENT`` names another version). With no good version in memory: StoreUnavailable.
    """
    root = Path(root)
    slot = (str(root.resolve()), public)
    version = current_version(root)
    served = _SERVED.get(slot)
    if served is not None and served.version == version:
        return served
    if version is None and served is None:
        return None
    failed = _FAILED.get(slot)
    if failed and failed.version == version and time.monotonic() - failed.at < RETRY_SECONDS:
        return _fallback(served, failed)                 # too soon to try that version again
    if version is None:                                  # CURRENT vanished: keep the version in memory
        return _fallback(served, _record(root, slot, None, "fichier CURRENT absent ou vide", served))
    # One thread loads; while it does, the others keep answering with the version in memory.
    if not _LOCK.acquire(blocking=served is None):
        return served
    try:
        served = _SERVED.get(slot)
        if served is not None and served.version == version:
            return served
        try:
            store = _load(root, version, public)
        except Exception as exc:  # any damage: keep serving what was good
            return _fallback(served, _record(root, slot, version, _describe(exc, root), served))
        _SERVED[slot] = store
        _FAILED.pop(slot, None)
        _give_back()
        return store
    finally:
        _LOCK.release()


def _record(root: Path, slot: tuple, version: str | None, error: str, served: Store | None) -> Failure:
    """Note the failed attempt (its time starts the retry delay); log it the first time only."""
    failed = _FAILED[slot] = Failure(version, error, time.monotonic())
    if (slot[0], version) not in _LOGGED:
        _LOGGED.add((slot[0], version))
        kept = f"la version {served.version} reste servie" if served else "aucune version servie"
        log.error("stock %s : version %s illisible (%s) ; %s, nouvel essai toutes les %g s",
                  root, version or "(aucune)", error, kept, RETRY_SECONDS)
    return failed


def _fallback(served: Store | None, failed: Failure) -> Store:
    """The version still served despite ``failed``, or StoreUnavailable when there is none."""
    if served is None:
        raise StoreUnavailable(f"version {failed.version} illisible : {failed.error}")
    return served


def failure() -> Failure | None:
    """Why this process's settings' ``CURRENT`` is not the version served (None when it is)."""
    from .settings import current

    conf = current()
    return _FAILED.get((str(Path(conf.data_dir).resolve()), conf.public))


def get() -> Store:
    """The store of this process's settings; raises StoreUnavailable when nothing is published or readable."""
    from .settings import current

    conf = current()
    store = open_store(conf.data_dir, public=conf.public)
    if store is None:
        raise StoreUnavailable(f"aucune version publiée dans {conf.data_dir}")
    return store


# ---- queries (pure functions over a Store) ----------------------------------------------------

def indicator(store: Store, ident: str) -> dict | None:
    if not isinstance(ident, str) or ident not in store.indicators.index:
        return None
    # missing optional fields (a bound, a jump factor) are None, never NaN: NaN != NaN in comparisons and JSON
    row = {k: (None if isinstance(v, float) and v != v else v) for k, v in _plain(store.indicators.loc[ident].to_dict()).items()}
    row["levels"] = row["levels"].split("|")
    return row


def territory(store: Store, code: str) -> dict | None:
    if not isinstance(code, str) or code not in store.territories.index:
        return None
    return store.territories.loc[code].to_dict()


def quarters(store: Store) -> list[str]:
    """Quarters with at least one value, ascending."""
    return sorted(store.observations["period"].unique().tolist())


def latest_quarter(store: Store) -> str | None:
    q = quarters(store)
    return q[-1] if q else None


def children(store: Store, code: str, level: str) -> pd.DataFrame:
    """Territories of ``level`` inside ``code`` (e.g. the départements of R84)."""
    t = store.territories
    parent_level = "pays" if code == "FR" else {"R": "region", "D": "departement", "E": "epci"}[code[0]]
    if parent_level == "pays":
        return t[t["level"] == level]
    return t[(t["level"] == level) & (t[parent_level] == code)]


def _plain(row: dict) -> dict:
    """numpy scalars -> Python (for JSON and Dash)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
