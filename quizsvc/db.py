"""Engine and session handling (plain SQLAlchemy 2, one session per request or command)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker


def make_engine(url: str, *, wait_for_disk: bool = True, **kwargs: Any) -> Engine:
    """``wait_for_disk=False`` (SQLite): commits return once the write-ahead log has the data,
    without an fsync. They survive the process crashing, not the machine losing power; use it
    only for writes whose loss is harmless (see :func:`get_grading_session`)."""
    if url.startswith("sqlite"):
        # Several threads (dev server, test live server) share the file; WAL lets readers and
        # one writer proceed together and busy_timeout waits for the writer instead of failing.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        wal = ":memory:" not in url

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
                # FULL: every commit is on disk before it returns (an accepted submission must
                # survive a power cut); NORMAL in WAL mode skips that fsync, stays consistent.
                cur.execute("PRAGMA synchronous=" + ("FULL" if wait_for_disk else "NORMAL"))
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    engine = make_engine(url)
    app.extensions["quizsvc.engine"] = engine
    app.extensions["quizsvc.session"] = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
    # Grading's own writes (the claim, the result) need not wait for the disk: if a power cut
    # loses one, the row is back to queued or to an expired lease and is simply graded again.
    # On SQLite that saves two fsyncs per submission, each holding the database's one write
    # lock. Other databases use the main engine.
    sqlite_file = url.startswith("sqlite") and ":memory:" not in url
    grading = make_engine(url, wait_for_disk=False) if sqlite_file else engine
    app.extensions["quizsvc.grading_engine"] = grading
    app.extensions["quizsvc.grading_session"] = scoped_session(
        sessionmaker(bind=grading, expire_on_commit=False))

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        app.extensions["quizsvc.session"].remove()
        app.extensions["quizsvc.grading_session"].remove()


def get_session() -> Session:
    """The session of the current request or app context."""
    return current_app.extensions["quizsvc.session"]()


def get_grading_session() -> Session:
    """A session for a grading worker's claim and result writes only (they do not wait for the
    disk on SQLite; nothing a client was promised may be written through it)."""
    return current_app.extensions["quizsvc.grading_session"]()


def dispose_engines(app: Flask, *, close: bool = True) -> None:
    """Drop pooled connections (``close=False`` in a forked child: leave the parent's alone)."""
    engines = {id(e): e for e in (app.extensions["quizsvc.engine"], app.extensions["quizsvc.grading_engine"])}
    for engine in engines.values():
        engine.dispose(close=close)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["quizsvc.engine"]
