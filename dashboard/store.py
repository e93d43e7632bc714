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
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import periods
from .schema import TABLES


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
    # (indicator, territory) -> (start, stop) rows in observations (sorted by key)
    _slices: dict = field(default_factory=dict, repr=False)

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
    def geometry_levels(self) -> list[str]:
        return list(self.manifest.get("geometry", {}))


_LOCK = threading.Lock()
_MEMO: dict[tuple, Store] = {}
_CURRENT_SEEN: dict[Path, tuple[float, str | None]] = {}
RECHECK_SECONDS = 1.0


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


def _load(root: Path, version: str, public: bool) -> Store:
    folder = root / version
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    ind = tables["indicators"]
    ind["public"] = ind["public"].astype(bool)
    obs = tables["observations"]
    if public:
        # The public boundary: enforced where data is loaded, not in layouts.
        ind = ind[ind["public"]].reset_index(drop=True)
        keep = set(ind["id"])
        obs = obs[(obs["status"] == "observed") & obs["indicator"].isin(keep)]
        tables["targets"] = tables["targets"][tables["targets"]["indicator"].isin(keep)].reset_index(drop=True)
        manifest = {k: v for k, v in manifest.items() if k not in ("inputs", "warnings", "facts", "statuses")}
    return from_frames(tables["territories"], ind, tables["targets"], obs, tables["structures"],
                       tables["initiatives"], root=root, version=version, manifest=manifest, public=public)


def from_frames(territories: pd.DataFrame, indicators: pd.DataFrame, targets: pd.DataFrame,
                observations: pd.DataFrame, structures: pd.DataFrame | None = None,
                initiatives: pd.DataFrame | None = None, root: Path | None = None, version: str = "en-memoire",
                manifest: dict | None = None, public: bool = False) -> Store:
    """A Store from frames with the columns of :data:`dashboard.schema.TABLES` (what a published version
    loads into; also a preview of unpublished values, and small stores in tests)."""
    obs = observations.sort_values(["indicator", "territory", "period"]).reset_index(drop=True)
    obs["note"] = obs["note"].fillna("")
    obs["source"] = obs["source"].fillna("")
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
                 initiatives=initiatives if initiatives is not None else empty["initiatives"], _slices=slices)


def open_store(root: Path | str, public: bool = False) -> Store | None:
    """The current version under ``root`` (memoised), or None when nothing is published."""
    root = Path(root)
    version = current_version(root)
    if version is None:
        return None
    key = (str(root.resolve()), version, public)
    store = _MEMO.get(key)
    if store is None:
        with _LOCK:
            store = _MEMO.get(key)
            if store is None:
                store = _load(root, version, public)
                # keep only the newest version per (root, public): the store is immutable, old ones are garbage
                for old in [k for k in _MEMO if k[0] == key[0] and k[2] == public]:
                    del _MEMO[old]
                _MEMO[key] = store
    return store


def get() -> Store:
    """The store of this process's settings; raises StoreUnavailable when nothing is published."""
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
    row = store.indicators.loc[ident].to_dict()
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


def has_demo(frame: pd.DataFrame) -> bool:
    return bool(len(frame)) and bool((frame["status"] == "demo").any())


def _plain(row: dict) -> dict:
    """numpy scalars -> Python (for JSON and Dash)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def quarter_label(q: str | None) -> str:
    return periods.label(q) if q else "–"
