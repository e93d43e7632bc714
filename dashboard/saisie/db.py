"""The saisie database: entries, submissions, decisions and the audit log (SQLAlchemy 2, Alembic).

SQLite file next to the processed store by default (``data/saisie.sqlite3``), PostgreSQL when
``ACCES_SOINS_DATABASE_URL`` is set (e.g. ``postgresql+psycopg://user:pw@host/db``). The schema is
created and upgraded only by the Alembic migrations of ``migrations/`` (:func:`upgrade`), never by
``create_all``: a production database and a test one go through the same steps.

Tables:
* ``drafts``: the working copy, one row per (indicator, territory, quarter), shared by the contributors of
  that territory; ``revision`` detects concurrent edits (optimistic locking → :class:`Conflict`).
* ``submissions`` and ``submission_items``: what was submitted, frozen; the decision on it. Items of approved
  or published submissions (not withdrawn) are the validated values the pipeline reads.
* ``appraisals``: the team's appraisal of a plan indicator, one row per (indicator, territory, quarter): level,
  synthesis (what happened, risks, next actions), author, date; ``revision`` as for drafts.
* ``audit_log``: every action, append-only.
* ``user_emails``: a user's e-mail address (``python -m dashboard.security add-user … --email``), for the reminders.
* ``reminders_sent``: each reminder sent, one row per (user, quarter, reminder): the key that makes a second
  run, or the daily Celery job, send nothing twice.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import threading
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        create_engine, event, text)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, declared_attr, mapped_column, relationship,
                            sessionmaker)

from ..settings import ROOT, Settings

SQLITE_NAME = "saisie.sqlite3"
MIGRATIONS = ROOT / "migrations"

# Submission statuses (identifiers) and their French labels.
SUBMITTED, REJECTED, APPROVED, PUBLISHED = "submitted", "rejected", "approved", "published"
STATUS_LABELS = {SUBMITTED: "à valider", REJECTED: "rejetée", APPROVED: "approuvée", PUBLISHED: "publiée"}
VALIDATED = (APPROVED, PUBLISHED)


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no time zone, so every timestamp is stored as UTC without one."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class EntryRow:
    """Columns of a row kept per (indicator, territory, quarter) — a draft, an appraisal: its key (unique, named
    ``uq_<table>_key``), its author, when it last changed and its ``revision`` (optimistic locking)."""
    # sort_order: the key first and the bookkeeping last, around each table's own columns (as the migrations)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-4)
    indicator: Mapped[str] = mapped_column(String(64), sort_order=-3)
    territory: Mapped[str] = mapped_column(String(16), sort_order=-2)
    quarter: Mapped[str] = mapped_column(String(6), index=True, sort_order=-1)
    author: Mapped[str] = mapped_column(String(256), sort_order=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, sort_order=2)
    revision: Mapped[int] = mapped_column(Integer, default=1, sort_order=3)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("indicator", "territory", "quarter", name=f"uq_{cls.__tablename__}_key"),)


class Draft(EntryRow, Base):
    __tablename__ = "drafts"
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


class Submission(Base):
    __tablename__ = "submissions"
    # One open submission per scope and quarter, enforced by the database (concurrent submits of one scope
    # cannot duplicate it): a partial unique index, on SQLite and PostgreSQL alike.
    __table_args__ = (Index("uq_submissions_open_scope", "quarter", "scope", unique=True,
                            sqlite_where=text("status = 'submitted'"),
                            postgresql_where=text("status = 'submitted'")),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    author: Mapped[str] = mapped_column(String(256))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED, index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    published_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scope: Mapped[str] = mapped_column(String(512), default="")     # the submitted scope's codes, sorted
    items: Mapped[list["Item"]] = relationship(back_populates="submission", order_by="Item.id")


class Item(Base):
    __tablename__ = "submission_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    territory: Mapped[str] = mapped_column(String(16))
    quarter: Mapped[str] = mapped_column(String(6))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    previous_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    previous_period: Mapped[str | None] = mapped_column(String(6), nullable=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # everyone who typed or changed this value (draft, upload, correction), comma-separated: four eyes on the figure
    entered_by: Mapped[str] = mapped_column(Text, default="")
    submission: Mapped[Submission] = relationship(back_populates="items")


class AppraisalRow(EntryRow, Base):
    __tablename__ = "appraisals"
    level: Mapped[str] = mapped_column(String(16))
    happened: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    next_actions: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(32), index=True)
    territory: Mapped[str] = mapped_column(String(16), default="")
    indicator: Mapped[str] = mapped_column(String(64), default="")
    quarter: Mapped[str] = mapped_column(String(6), default="", index=True)
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class UserEmail(Base):
    """Kept in the database, not in the users file: the trusted-header mode has no users file, and the file's
    line format (``name:hash role territories``) is read by instances that know nothing of e-mail."""
    __tablename__ = "user_emails"
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReminderSent(Base):
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user", "quarter", "reminder", name="uq_reminders_sent_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(256))
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    reminder: Mapped[str] = mapped_column(String(32))        # « 2026-02-14 J-10 »: committee and days before it
    kind: Mapped[str] = mapped_column(String(16))            # saisie (missing entries) or validation (waiting)
    email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ---- connection -------------------------------------------------------------------------------

def database_url(conf: Settings) -> str:
    return conf.database_url or f"sqlite:///{Path(conf.data_dir).parent / SQLITE_NAME}"


def exists(url: str) -> bool:
    """False only for a SQLite file that was never created (nothing was ever entered)."""
    u = make_url(url)
    return not u.get_backend_name() == "sqlite" or bool(u.database and Path(u.database).is_file())


@functools.lru_cache(maxsize=8)
def engine(url: str) -> Engine:
    _CREATED.add(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(u, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(conn, _record):
            # WAL: readers (the pipeline) never block a contributor's save; foreign keys are off by default
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            conn.isolation_level = None          # transactions begun by SQLAlchemy below, not by pysqlite

        @event.listens_for(eng, "begin")
        def _begin(conn):
            # BEGIN IMMEDIATE: a transaction takes the write lock before it reads, so two concurrent
            # compare-and-sets are serialised (the second reads the first's revision) instead of the second
            # failing on a stale snapshot (« database is locked », an HTTP 400 under gunicorn)
            # A reader (the build reading validated entries) begins DEFERRED: under WAL it then never waits for
            # a writer, whereas IMMEDIATE made a publication wait out any open write and fail (« database is
            # locked ») on a busy instance.
            mode = "DEFERRED" if conn.get_execution_options().get("read_only") else "IMMEDIATE"
            conn.exec_driver_sql(f"BEGIN {mode}")
        return eng
    return create_engine(u, pool_pre_ping=True)


def _after_fork() -> None:
    """A worker forked from a master that had opened the database (gunicorn's ``preload_app``) must not use
    the master's connections: SQLite and PostgreSQL connections cannot cross a fork. Each child starts its own
    pools (SQLAlchemy's fork recipe: ``dispose(close=False)`` leaves the parent's connections to the parent)."""
    global _LOCK
    _LOCK = threading.Lock()
    for eng in _engines():
        eng.dispose(close=False)


def _engines() -> list[Engine]:
    # the engines this process created (functools.lru_cache keeps no list of its values: read them back)
    return [engine(url) for url in list(_CREATED)]


_CREATED: set[str] = set()
_UPGRADED: set[str] = set()
_LOCK = threading.Lock()
os.register_at_fork(after_in_child=_after_fork)


def upgrade(url: str) -> None:
    """Run the Alembic migrations up to head (idempotent; once per process and URL)."""
    if url in _UPGRADED:
        return
    with _LOCK:
        if url in _UPGRADED:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config(str(ROOT / "alembic.ini"))
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine(url).begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        _UPGRADED.add(url)


def session(url: str) -> Session:
    """A session on an up-to-date schema (``with db.session(url) as s, s.begin(): …``)."""
    upgrade(url)
    return _factory(url)()


@contextlib.contextmanager
def read_session(url: str):
    """A session that only reads: on SQLite it takes no write lock (see :func:`engine`)."""
    with session(url) as s:
        s.connection(execution_options={"read_only": True})
        yield s


@functools.lru_cache(maxsize=8)
def _factory(url: str):
    return sessionmaker(engine(url), expire_on_commit=False)


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    """Stored naive UTC → Paris time (what users read)."""
    import pandas as pd
    from zoneinfo import ZoneInfo

    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).to_pydatetime()
    return value.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo("Europe/Paris"))
