"""Throwaway PostgreSQL databases for the test suite's PostgreSQL pass.

`COACH_TEST_DATABASE_URL` names a database on a server the test command started; the role
needs CREATEDB. Each xdist worker migrates its own template once, and every test then gets
a copy of it (`CREATE DATABASE ... TEMPLATE`, a few tens of milliseconds), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import make_url, text

from coach.core.db import make_engine, migrate

TEST_DATABASE_URL = os.environ.get("COACH_TEST_DATABASE_URL", "")


class Databases:
    """Creates and drops databases on the server of one URL."""

    def __init__(self, url: str) -> None:
        self._url = make_url(url)
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        self._admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")

    def url_for(self, name: str) -> str:
        """The URL of database `name` on this server, with the same role."""
        return self._url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`); returns its name."""
        name = name or f"t_{uuid.uuid4().hex}"
        # FILE_COPY is the quicker strategy for small databases on a cluster without fsync.
        source = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else " TEMPLATE template0"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{source}'))
        return name

    def drop(self, name: str) -> None:
        """Drop a database, ending any connection a test left open to it."""
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def migrated_template(self, name: str) -> str:
        """(Re)create database `name` and upgrade it to the newest schema."""
        self.drop(name)
        self.create(name)
        engine = make_engine(self.url_for(name))
        try:
            migrate(engine)
        finally:
            # A template must have no open connection when it is copied.
            engine.dispose()
        return name

    def close(self) -> None:
        """Release the administrative connection pool."""
        self._admin.dispose()
