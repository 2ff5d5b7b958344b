"""A company built from files shares one database per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import pg
from tests.conftest import fresh_database_url


@pytest.fixture(scope="module")
def _database(_pg_template: tuple[pg.Databases, str] | None) -> Iterator[str]:
    """The company's own database for the module: empty for SQLite, else a fresh PostgreSQL one."""
    yield from fresh_database_url(_pg_template)
