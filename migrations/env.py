"""Alembic environment: the connection given by dashboard.saisie.db.upgrade, or the configured URL."""
from __future__ import annotations

from alembic import context

from dashboard import settings
from dashboard.saisie import db

config = context.config
target_metadata = db.Base.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        with db.engine(db.database_url(settings.current())).begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
