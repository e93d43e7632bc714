"""Settings from environment variables prefixed ``ACCES_SOINS_`` (see README, "Configuration").

Read once per process into a frozen dataclass; nothing else in the code reads os.environ.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
class SmtpServer:
    """Where the reminders are sent from (``ACCES_SOINS_SMTP_URL``): ``smtp://`` upgrades with STARTTLS,
    ``smtps://`` speaks TLS from the first byte; user and password are optional (a relay on the LAN)."""
    host: str
    port: int
    implicit_tls: bool
    user: str = ""
    password: str = field(default="", repr=False)     # never printed with the settings


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
    # e-mail reminders of the saisie (docs/saisie.md, « Relances par courriel »): the steering committees of each
    # quarter — ISO dates, or « +N » days after the quarter's end when no date of that quarter is listed — and
    # how many days before each committee a reminder goes out
    committee_dates: tuple[str, ...] = ("+45",)
    remind_days: tuple[int, ...] = (10, 3)
    smtp: SmtpServer | None = None        # none: reminders can be listed (--dry-run) but not sent
    mail_from: str = ""
    base_url: str = ""                    # the internal instance as users open it (links in e-mails)

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


def parse_committee_dates(text: str) -> tuple[str, ...]:
    """« 2026-01-20,2026-04-21 » or « +45 » (days after the quarter's end), mixed at will; ValueError (French)."""
    out = []
    for item in re.split(r"[,;\s]+", text.strip()):
        if not item:
            continue
        if re.fullmatch(r"\+\d{1,2}", item) and 1 <= int(item[1:]) <= 90:
            out.append(f"+{int(item[1:])}")
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", item) and _is_date(item):
            out.append(item)
        else:
            raise ValueError("dates de comité AAAA-MM-JJ ou délai +N jours après la fin du trimestre (1 à 90), "
                             f"séparés par des virgules, attendus, reçu {item!r}")
    if not out:
        raise ValueError("au moins une date de comité (AAAA-MM-JJ) ou un délai (+45) attendu, reçu une valeur vide")
    return tuple(dict.fromkeys(out))


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_remind_days(text: str) -> tuple[int, ...]:
    """« 10,3 »: days before the committee, 0 (its day) to 90; largest first. ValueError (French)."""
    items = [i for i in re.split(r"[,;\s]+", text.strip()) if i]
    if not items or not all(i.isdigit() and int(i) <= 90 for i in items):
        raise ValueError("nombres de jours avant le comité (0 à 90) séparés par des virgules attendus, ex. 10,3, "
                         f"reçu {text!r}")
    return tuple(sorted({int(i) for i in items}, reverse=True))


def parse_smtp_url(text: str) -> SmtpServer | None:
    """``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://host:465`` (implicit TLS); empty: None."""
    if not text.strip():
        return None
    expected = "adresse smtp://utilisateur:mot-de-passe@hôte:port (STARTTLS) ou smtps://… (TLS) attendue"
    try:
        u = urlsplit(text.strip())
        port = u.port
    except ValueError:
        raise ValueError(f"{expected}, port illisible") from None
    if u.scheme not in ("smtp", "smtps"):
        raise ValueError(f"{expected}, reçu le schéma {u.scheme or '(aucun)'!r}")
    if not u.hostname:
        raise ValueError(f"{expected}, hôte manquant")
    if u.path not in ("", "/") or u.query or u.fragment:
        raise ValueError(f"{expected}, reçu un chemin ou des paramètres en trop")
    implicit = u.scheme == "smtps"
    return SmtpServer(host=u.hostname, port=port or (465 if implicit else 587), implicit_tls=implicit,
                      user=unquote(u.username or ""), password=unquote(u.password or ""))


def _mail_address(text: str) -> str:
    text = text.strip()
    if text and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+|[^<>]*<[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+>", text):
        raise ValueError(f"adresse électronique attendue (nom@domaine.fr ou « Nom <nom@domaine.fr> »), reçu {text!r}")
    return text


def _text(name: str, parse, default: str):
    """A setting read by a parser whose ValueError is already the French explanation."""
    try:
        return parse(_env(name, default))
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name} : {exc}") from None


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
        committee_dates=_text("COMMITTEE_DATES", parse_committee_dates, ",".join(Settings.committee_dates)),
        remind_days=_text("REMIND_DAYS", parse_remind_days, ",".join(map(str, Settings.remind_days))),
        smtp=_text("SMTP_URL", parse_smtp_url, ""),
        mail_from=_text("MAIL_FROM", _mail_address, ""),
        base_url=_env("BASE_URL").strip().rstrip("/"),
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
