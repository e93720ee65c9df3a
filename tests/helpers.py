"""Helpers shared by the test files (a plain module: ``conftest`` names collide across folders)."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from quizsvc.models import User
from quizsvc.services import accounts

PASSWORD = "correct-horse-battery"
PG_ADMIN_URL = os.environ.get("QUIZSVC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def backend() -> str:
    return os.environ.get("QUIZSVC_TEST_DB", "sqlite")


def pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def require_pg() -> None:
    if not pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI=true: not skipping)")
        pytest.skip("PostgreSQL not reachable")


def create_pg_database() -> str:
    name = f"quizsvc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()



_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: Any, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    m = _CSRF.search(page)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: Any, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, "/account/tokens")
    return client.post(path, data=payload, **kw)


def make_user(session: Session, email: str, *, instructor: bool = False, admin: bool = False) -> User:
    return accounts.create_user(session, email, email.split("@")[0], PASSWORD,
                                can_create_courses=instructor, is_admin=admin)


