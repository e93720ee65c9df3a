"""Engine and session handling (plain SQLAlchemy 2, one session per request or command)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        # Several threads (dev server, test live server) share the file; WAL lets readers and
        # one writer proceed together and busy_timeout waits for the writer instead of failing.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["quizsvc.engine"] = engine
    app.extensions["quizsvc.session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        app.extensions["quizsvc.session"].remove()


def get_session() -> Session:
    """The session of the current request or app context."""
    return current_app.extensions["quizsvc.session"]()  # type: ignore[no-any-return]


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["quizsvc.engine"]  # type: ignore[no-any-return]


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit on success, roll back on any error (services own their transactions)."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
