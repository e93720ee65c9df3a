"""Alembic is the only schema path: migrations build exactly the models' schema on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from helpers import create_pg_database, drop_pg_database, require_pg
from sqlalchemy import inspect, text

from quizsvc import migrate
from quizsvc.db import make_engine
from quizsvc.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on each backend (PostgreSQL only where a server is configured)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    require_pg()
    created = create_pg_database()
    try:
        yield created
    finally:
        drop_pg_database(created)


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_migrations_match_models(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        assert _diff(engine) == [], "models and migrations disagree: run alembic revision --autogenerate"
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        # Down to nothing and back up again: every migration is reversible.
        migrate.downgrade(engine, "base")
        assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
        migrate.upgrade(engine)
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_no_create_all_in_production_code() -> None:
    root = Path(__file__).resolve().parent.parent
    sources = [*(root / "quizsvc").rglob("*.py"), *(root / "migrations").rglob("*.py")]
    assert [p for p in sources if "create_all(" in p.read_text()] == []


def test_0004_gives_existing_users_their_own_session_token(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            for i in range(2):
                conn.execute(text(
                    "INSERT INTO users (email, name, password_hash, is_admin, can_create_courses, locale, "
                    "created_at) VALUES (:e, 'u', 'x', false, false, 'ko', CURRENT_TIMESTAMP)"), {"e": f"u{i}@x.org"})
        migrate.upgrade(engine)
        with engine.connect() as conn:
            tokens = list(conn.execute(text("SELECT session_token FROM users")).scalars())
        assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
    finally:
        engine.dispose()


def test_0006_keeps_existing_rows_both_ways_and_links_versions(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, is_admin, can_create_courses, locale, "
                "created_at, session_token) VALUES (1, 'u@x.org', 'u', 'x', false, false, 'ko', "
                "CURRENT_TIMESTAMP, 'tok')"))
            conn.execute(text("INSERT INTO courses (id, slug, title, title_en, join_code, created_at) "
                              "VALUES (1, 'c', 'c', 'c', 'j', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO assignments (id, course_id, slug, grader, title, title_en, position, published, "
                "late_penalty_per_day, score_policy, created_at) VALUES (1, 1, 'bn', 'batchnorm', 't', 't', "
                "1, true, 0, 'best', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO submissions (assignment_id, user_id, filename, source, via, status, created_at, "
                "deliveries, grade_count, late_days, result) VALUES (1, 1, 's.py', 'x = 1', 'web', 'graded', "
                "CURRENT_TIMESTAMP, 1, 1, 0, '{}')"))
        migrate.upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
            conn.execute(text("INSERT INTO assignment_versions (id, assignment_id, number, digest, package, "
                              "report, created_at) VALUES (7, 1, 1, :d, :p, '{}', CURRENT_TIMESTAMP)"),
                         {"d": "a" * 64, "p": b"zip"})
            conn.execute(text("UPDATE assignments SET version_id = 7"))
        with engine.begin() as conn:  # the new foreign key holds: a version's row cannot vanish under it
            conn.execute(text("DELETE FROM assignment_versions"))
            assert conn.execute(text("SELECT version_id FROM assignments")).scalar() is None
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            conn.execute(text("INSERT INTO score_overrides (submission_id, created_at, old_score, new_score, "
                              "comment) VALUES (1, CURRENT_TIMESTAMP, 0, 1, 'kept')"))
        # Back down: the rows stay (no table copy cascades into submissions or their overrides).
        migrate.downgrade(engine, "0005")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM score_overrides")).scalar() == 1
            assert "version_id" not in {c["name"] for c in inspect(conn).get_columns("assignments")}
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        migrate.upgrade(engine)
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_every_row_survives_upgrade_and_downgrade(url: str) -> None:
    """A course at revision 0003 (users, a course and its members, a quiz with an item and an
    answered attempt, an assignment with a submission) keeps every row through the upgrade to
    head and the downgrade back: no table copy (SQLite's way to alter a table) may cascade."""
    engine = make_engine(url)
    tables = ("users", "courses", "enrollments", "quizzes", "items", "attempts", "responses",
              "assignments", "submissions")
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, is_admin, can_create_courses, locale, "
                "created_at) VALUES (1, 'u@x.org', 'u', 'x', false, false, 'ko', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO courses (id, slug, title, title_en, join_code, created_at) "
                              "VALUES (1, 'c', 'c', 'c', 'j', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO enrollments (user_id, course_id, role, created_at) "
                              "VALUES (1, 1, 'student', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO quizzes (id, course_id, slug, title, title_en, description, published, "
                "feedback_policy, shuffle_options, position, created_at) VALUES (1, 1, 'q', 'q', 'q', "
                "'{}', true, 'after_submit', false, 0, CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO items (id, quiz_id, key, position, type_name, section, points, prompt, updated_at, "
                "explanation, config) VALUES (1, 1, 'k', 0, 'numeric', '', 1, '{}', CURRENT_TIMESTAMP, '{}', '{}')"))
            conn.execute(text(
                "INSERT INTO attempts (id, quiz_id, user_id, number, status, started_at) "
                "VALUES (1, 1, 1, 1, 'submitted', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO responses (attempt_id, item_id, answer, feedback, answered_at) "
                              "VALUES (1, 1, '{}', '{}', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO assignments (id, course_id, slug, grader, title, title_en, position, published, "
                "late_penalty_per_day, score_policy, created_at) VALUES (1, 1, 'bn', 'batchnorm', 't', 't', "
                "1, true, 0, 'best', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO submissions (assignment_id, user_id, filename, source, via, status, created_at, "
                "deliveries, grade_count, late_days, result) VALUES (1, 1, 's.py', 'x = 1', 'web', 'graded', "
                "CURRENT_TIMESTAMP, 1, 1, 0, '{}')"))

        def counts() -> dict[str, int]:
            with engine.connect() as conn:
                return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

        assert set(counts().values()) == {1}
        migrate.upgrade(engine)
        assert counts() == dict.fromkeys(tables, 1), "upgrade"
        migrate.downgrade(engine, "0003")
        assert counts() == dict.fromkeys(tables, 1), "downgrade"
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
        migrate.upgrade(engine)
        assert _diff(engine) == []
    finally:
        engine.dispose()


