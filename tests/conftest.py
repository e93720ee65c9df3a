"""Test fixtures: one suite for SQLite (default) and PostgreSQL.

``QUIZSVC_TEST_DB=postgresql`` runs the database tests against a fresh PostgreSQL database
(``QUIZSVC_TEST_PG_URL``, default the local server); with ``CI=true`` an unreachable server
fails the run instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import backend, create_pg_database, drop_pg_database, require_pg
from sqlalchemy.orm import Session
from world import World, build_world

from quizsvc import migrate
from quizsvc.app import create_app
from quizsvc.db import get_engine, get_session, make_engine
from quizsvc.models import Base
from quizsvc.services.passwords import use_fast_hashing


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole run; tests empty its tables after themselves."""
    if backend() == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    if backend() == "postgresql":
        drop_pg_database(url)


def _wipe(app: Any) -> None:
    engine = get_engine(app)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    use_fast_hashing(True)
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
         "PASSWORD_HASH_FAST": True},
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    app.extensions["quizsvc.dispatcher"].stop()
    _wipe(app)
    get_engine(app).dispose()


@pytest.fixture
def session(app: Any) -> Iterator[Session]:
    with app.app_context():
        yield get_session()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """On the PostgreSQL pass, run only the tests that use the database (the rest already ran)."""
    if backend() != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        uses_db = "database_url" in getattr(item, "fixturenames", ())
        (keep if uses_db and not item.get_closest_marker("browser") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def w(app: Any) -> World:
    """The demo course built in a short app context; each request then gets its own context."""
    return build_world(app)


@pytest.fixture
def fresh_db_url(tmp_path: Path) -> Iterator[str]:
    """A second, empty database (the bank round trip must not depend on the first one)."""
    url = create_pg_database() if backend() == "postgresql" else f"sqlite:///{tmp_path / 'fresh.db'}"
    yield url
    if backend() == "postgresql":
        drop_pg_database(url)
