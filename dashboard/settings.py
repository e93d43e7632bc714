"""Settings from environment variables prefixed ``ACCES_SOINS_`` (see README, "Configuration").

Read once per process into a frozen dataclass; nothing else in the code reads os.environ.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from . import territory
from .thresholds import Thresholds

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "ACCES_SOINS_"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(PREFIX + name, default)


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name, "1" if default else "0").strip().lower()
    return value in ("1", "true", "yes", "oui", "on")


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = ROOT / "data" / "raw"
    data_dir: Path = ROOT / "data" / "processed"
    host: str = "127.0.0.1"
    port: int = 8050
    public: bool = False                 # public/kiosk instance: public indicators, observed values only
    region: str = "R84"                  # the region the dashboard follows
    secret_key: str = ""
    cache_dir: Path = ROOT / ".cache"
    redis_url: str = ""
    tile_url: str = ""                   # empty: no basemap tiles (offline, kiosk, CI)
    tile_attribution: str = ""
    users_file: str = ""                 # internal instance: users file with hashed passwords
    trusted_header: str = ""             # or a header set by an authenticating reverse proxy
    roles_file: str = ""                 # trusted-header mode: "name role territories" per line (saisie)
    database_url: str = ""               # saisie database; empty: SQLite file next to data_dir (data/saisie.sqlite3)
    frame_ancestors: str = ""            # sites allowed to embed the app (CSP frame-ancestors)
    kiosk_slides: str = "plan,carte,territoire,trimestre,source"
    kiosk_seconds: int = 12
    # the kiosk leaves out figures more than this many quarters older than the newest published one (0: none):
    # three years, so a public screen never shows a 2018 count as « le plan en chiffres » (docs/kiosque.md)
    kiosk_max_age_quarters: int = 12
    status_on_track: float = 0.95        # share of expected progress for "en bonne voie" (the one default)
    status_watch: float = 0.80           # ... for "à surveiller" (below: "en retard")
    build_lock_wait: float = 600.0       # seconds a build waits for a concurrent one before failing (exit 2)
    # saisie uploads (CSV/XLSX), each limit checked before or while reading (docs/saisie.md): the file's size, an
    # XLSX's uncompressed parts (total and compression ratio of each), rows and columns read, seconds spent
    upload_max_bytes: int = 2 * 1024 * 1024
    upload_max_unzipped: int = 20 * 1024 * 1024
    upload_max_ratio: int = 100
    upload_max_rows: int = 5000
    upload_max_columns: int = 30
    upload_seconds: float = 10.0

    @property
    def thresholds(self) -> Thresholds:
        """The status thresholds every rule is given (pages, sheet, pack, alerts, saisie preview)."""
        return Thresholds(on_track=self.status_on_track, watch=self.status_watch)


class SettingsError(ValueError):
    """An ACCES_SOINS_* variable that cannot be read; the message names it, in French."""


def _parsed(name: str, parse, default):
    text = _env(name, str(default))
    try:
        return parse(text)
    except ValueError as exc:
        detail = str(exc) if parse is territory.parse_region else f"attendu un nombre, reçu {text!r}"
        raise SettingsError(f"{PREFIX}{name} : {detail}") from None


def load() -> Settings:
    secret = _env("SECRET_KEY") or secrets.token_hex(32)
    return Settings(
        raw_dir=Path(_env("RAW_DIR") or ROOT / "data" / "raw"),
        data_dir=Path(_env("DATA_DIR") or ROOT / "data" / "processed"),
        host=_env("HOST", "127.0.0.1"),
        port=_parsed("PORT", int, Settings.port),
        public=_flag("PUBLIC"),
        region=_parsed("REGION", territory.parse_region, Settings.region),
        secret_key=secret,
        cache_dir=Path(_env("CACHE_DIR") or ROOT / ".cache"),
        redis_url=_env("REDIS_URL"),
        tile_url=_env("TILE_URL"),
        tile_attribution=_env("TILE_ATTRIBUTION"),
        users_file=_env("USERS_FILE"),
        trusted_header=_env("TRUSTED_HEADER"),
        roles_file=_env("ROLES_FILE"),
        database_url=_env("DATABASE_URL"),
        frame_ancestors=_env("FRAME_ANCESTORS"),
        kiosk_slides=_env("KIOSK_SLIDES", "plan,carte,territoire,trimestre,source"),
        kiosk_seconds=_parsed("KIOSK_SECONDS", int, Settings.kiosk_seconds),
        kiosk_max_age_quarters=_parsed("KIOSK_MAX_AGE_QUARTERS", int, Settings.kiosk_max_age_quarters),
        status_on_track=_parsed("STATUS_ON_TRACK", float, Settings.status_on_track),
        status_watch=_parsed("STATUS_WATCH", float, Settings.status_watch),
        build_lock_wait=_parsed("BUILD_LOCK_WAIT", float, Settings.build_lock_wait),
        upload_max_bytes=_parsed("UPLOAD_MAX_BYTES", int, Settings.upload_max_bytes),
        upload_max_unzipped=_parsed("UPLOAD_MAX_UNZIPPED", int, Settings.upload_max_unzipped),
        upload_max_ratio=_parsed("UPLOAD_MAX_RATIO", int, Settings.upload_max_ratio),
        upload_max_rows=_parsed("UPLOAD_MAX_ROWS", int, Settings.upload_max_rows),
        upload_max_columns=_parsed("UPLOAD_MAX_COLUMNS", int, Settings.upload_max_columns),
        upload_seconds=_parsed("UPLOAD_SECONDS", float, Settings.upload_seconds),
    )


_CURRENT: Settings | None = None


def current() -> Settings:
    """This process's settings, read from the environment on first use."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = load()
    return _CURRENT


def use(conf: Settings) -> Settings:
    """Install explicit settings (app factory, tests)."""
    global _CURRENT
    _CURRENT = conf
    return conf
