"""Settings from environment variables prefixed ``ACCES_SOINS_`` (see README, "Configuration").

Read once per process into a frozen dataclass; nothing else in the code reads os.environ.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

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
    status_on_track: float = 0.95        # share of expected progress for "en bonne voie"
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


def region_code(text: str) -> str:
    """``84``, ``R84`` → ``R84``; ``FR``, ``France``, ``toutes`` → ``FR`` (a national instance); else as given."""
    value = str(text).strip().upper()
    if value.lower() in ("fr", "france", "toutes", "all"):
        return "FR"
    return f"R{value}" if value.isdigit() and len(value) == 2 else value


def load() -> Settings:
    secret = _env("SECRET_KEY") or secrets.token_hex(32)
    return Settings(
        raw_dir=Path(_env("RAW_DIR") or ROOT / "data" / "raw"),
        data_dir=Path(_env("DATA_DIR") or ROOT / "data" / "processed"),
        host=_env("HOST", "127.0.0.1"),
        port=int(_env("PORT", "8050")),
        public=_flag("PUBLIC"),
        region=region_code(_env("REGION", "R84")),
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
        kiosk_seconds=int(_env("KIOSK_SECONDS", "12")),
        kiosk_max_age_quarters=int(_env("KIOSK_MAX_AGE_QUARTERS", str(Settings.kiosk_max_age_quarters))),
        status_on_track=float(_env("STATUS_ON_TRACK", "0.95")),
        status_watch=float(_env("STATUS_WATCH", "0.80")),
        build_lock_wait=float(_env("BUILD_LOCK_WAIT", "600")),
        upload_max_bytes=int(_env("UPLOAD_MAX_BYTES", str(Settings.upload_max_bytes))),
        upload_max_unzipped=int(_env("UPLOAD_MAX_UNZIPPED", str(Settings.upload_max_unzipped))),
        upload_max_ratio=int(_env("UPLOAD_MAX_RATIO", str(Settings.upload_max_ratio))),
        upload_max_rows=int(_env("UPLOAD_MAX_ROWS", str(Settings.upload_max_rows))),
        upload_max_columns=int(_env("UPLOAD_MAX_COLUMNS", str(Settings.upload_max_columns))),
        upload_seconds=float(_env("UPLOAD_SECONDS", str(Settings.upload_seconds))),
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
