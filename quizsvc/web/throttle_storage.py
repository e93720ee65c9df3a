"""A ``limits`` storage in the service's own database, for installations without Redis.

Flask-Limiter's memory storage lives in one process: with two gunicorn workers an attacker
gets twice the guesses. This storage keeps the library's fixed-window counters in the
``rate_limits`` table, so every worker (and every machine sharing the database) counts the
same attempts. Each increment is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
statement: the database serialises concurrent increments of a key (SQLite's single writer,
PostgreSQL's row lock), so no two requests see the same count.
"""

from __future__ import annotations

import time
from typing import Any, cast

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from quizsvc.models import RateLimitCounter

_table = cast(Table, RateLimitCounter.__table__)
SWEEP_EVERY = 64  # increments between deletions of expired counters


class DatabaseStorage(Storage):
    """``quizsvc-db://``; Flask-Limiter passes the engine as the ``engine`` storage option."""

    STORAGE_SCHEME = ["quizsvc-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 engine: Engine | None = None, **options: Any) -> None:
        if engine is None:
            raise ConfigurationError("quizsvc-db:// needs the engine storage option")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = engine
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        expired = _table.c.expires_at <= now
        stmt = (
            insert(_table)
            .values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[_table.c.key],
                set_={"count": case((expired, amount), else_=_table.c.count + amount),
                      "expires_at": case((expired, now + expiry), else_=_table.c.expires_at)},
            )
            .returning(_table.c.count)
        )
        with self.engine.begin() as conn:
            count = int(conn.execute(stmt).scalar_one())
        self._increments += 1
        if self._increments % SWEEP_EVERY == 0:
            with self.engine.begin() as conn:
                conn.execute(delete(_table).where(_table.c.expires_at < now))
        return count

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_table.c.count, _table.c.expires_at)
                               .where(_table.c.key == key, _table.c.expires_at > time.time())).first()
        return None if row is None else (int(row[0]), float(row[1]))

    def get(self, key: str) -> int:
        row = self._row(key)
        return 0 if row is None else row[0]

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return time.time() if row is None else row[1]

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_table).where(_table.c.key == key))
