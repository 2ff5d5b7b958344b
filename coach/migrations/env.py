"""Alembic environment: runs on the connection (holding the migration lock) that
`coach.core.db.migrate` hands over, else on a connection of its engine."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import coach.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = config.attributes.get("engine")
    if engine is None:
        from coach.core.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run_on(connection)


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Building an index on a large table may take longer than a request may.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        context.run_migrations()


run_migrations()
