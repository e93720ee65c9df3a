"""The ``quizsvc`` command: bank import/export (round trip through a fresh database), users,
tokens, db and demo. Commands run in-process with click's runner against the test database."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import quizsvc.app
from quizsvc import migrate
from quizsvc.cli import main as cli
from quizsvc.db import get_engine, get_session, make_engine
from quizsvc.models import ApiToken, Course, Quiz, User
from quizsvc.services.accounts import authenticate
from quizsvc.services.demo import DEMO_BANK


@pytest.fixture
def run(app, database_url, tmp_path, monkeypatch):
    """Invoke the CLI against ``database_url`` (switchable), with a private instance folder."""
    created: list[Any] = []
    original = quizsvc.app.create_app
    state = {"url": database_url}

    def create_app(overrides=None, instance_path=None):
        cli_app = original({**(overrides or {}), "DATABASE_URL": state["url"], "SECRET_KEY": "cli-test",
                            "PASSWORD_HASH_FAST": True}, instance_path=str(tmp_path / "cli-instance"))
        created.append(cli_app)
        return cli_app

    monkeypatch.setattr(quizsvc.app, "create_app", create_app)

    def invoke(*args: str, url: str | None = None) -> Any:
        state["url"] = url or database_url
        return CliRunner().invoke(cli, list(args))

    yield invoke
    for a in created:
        get_engine(a).dispose()



def quiz_files() -> list[str]:
    return sorted(p.name for p in DEMO_BANK.glob("*.yaml") if p.name != "course.yaml")


def test_bank_import_export_round_trip(run, app, tmp_path, fresh_db_url):
    r = run("bank", "import", str(DEMO_BANK))
    assert r.exit_code == 0, r.output
    with app.app_context():
        course = get_session().scalar(select(Course).where(Course.slug == "reg-norm-101"))
        n_quizzes = len(get_session().scalars(select(Quiz).where(Quiz.course_id == course.id)).all())
    assert n_quizzes == len(quiz_files())
    assert f"imported {n_quizzes} quizzes into course reg-norm-101 (join code {course.join_code})" in r.stdout
    first = tmp_path / "first"
    r = run("bank", "export", str(first), "--course", "reg-norm-101")
    assert r.exit_code == 0, r.output
    assert f"wrote {n_quizzes + 1} files to {first}" in r.stdout
    assert sorted(p.name for p in first.glob("*.yaml")) == sorted([*quiz_files(), "course.yaml"])
    # a fresh database: import the export, export again, byte for byte the same
    assert run("db", "upgrade", url=fresh_db_url).exit_code == 0
    r = run("bank", "import", str(first), url=fresh_db_url)
    assert r.exit_code == 0, r.output
    second = tmp_path / "second"
    assert run("bank", "export", str(second), "--course", "reg-norm-101", url=fresh_db_url).exit_code == 0
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    # importing the same bank again is idempotent
    assert run("bank", "import", str(first)).exit_code == 0
    third = tmp_path / "third"
    run("bank", "export", str(third), "--course", "reg-norm-101")
    assert all(p.read_bytes() == (third / p.name).read_bytes() for p in first.iterdir())
    assert run("bank", "check", str(first)).exit_code == 0


def test_bank_import_of_a_broken_bank_fails_and_imports_nothing(run, app, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "course.yaml").write_text("slug: c\ntitle: {ko: 강좌, en: Course}\n", encoding="utf-8")
    (broken / "q.yaml").write_text(
        "slug: q\ntitle: {ko: 퀴즈, en: Quiz}\nitems:\n"
        "  - key: n1\n    type: numeric\n    prompt: {ko: 질문, en: Question}\n"
        "    compute: {fn: l2_norm, args: {x: [3, 4]}}\n", encoding="utf-8")
    r = run("bank", "import", str(broken))
    assert r.exit_code == 1
    assert "error: The quiz bank has problems." in r.stderr
    assert "q.yaml:n1: tolerance is missing" in r.stderr
    assert "Traceback" not in r.output
    with app.app_context():
        assert get_session().scalar(select(Course)) is None


def test_bank_export_of_an_unknown_course(run, tmp_path):
    r = run("bank", "export", str(tmp_path / "x"), "--course", "no-such-course")
    assert r.exit_code == 1 and "error: Course not found." in r.stderr
    assert not (tmp_path / "x").exists()


def test_user_create(run, app):
    r = run("user", "create", "--email", "Prof.Kim@Example.com", "--name", "김 교수", "--role", "instructor",
            "--password", "a-long-password")
    assert r.exit_code == 0 and "created prof.kim@example.com (instructor)" in r.stdout
    assert "a-long-password" not in r.output
    r = run("user", "create", "--email", "student@example.com")
    assert r.exit_code == 0
    generated = re.search(r"password: (\S+)", r.stdout).group(1)
    with app.app_context():
        s = get_session()
        prof = s.scalar(select(User).where(User.email == "prof.kim@example.com"))
        assert prof.can_create_courses and not prof.is_admin and prof.name == "김 교수"
        assert "a-long-password" not in prof.password_hash
        assert authenticate(s, "prof.kim@example.com", "a-long-password") is not None
        assert authenticate(s, "student@example.com", generated) is not None
        assert not s.scalar(select(User).where(User.email == "student@example.com")).can_create_courses
    r = run("user", "create", "--email", "student@example.com")
    assert r.exit_code == 1 and "error: That e-mail address is already registered." in r.stderr
    r = run("user", "create", "--email", "x@example.com", "--password", "short")
    assert r.exit_code == 1 and "at least 10 characters" in r.stderr
    r = run("user", "create", "--email", "x@example.com", "--role", "god")
    assert r.exit_code == 2


def test_token_create_list_revoke(run, app):
    run("user", "create", "--email", "ci@example.com", "--password", "a-long-password")
    r = run("token", "create", "--user", "ci@example.com", "--scope", "read", "--scope", "answer,read",
            "--name", "github", "--days", "30")
    assert r.exit_code == 0, r.output
    secret = r.stdout.strip()
    assert secret.startswith("qz_") and "\n" not in secret
    assert "scopes read, answer" in r.stderr
    with app.app_context():
        row = get_session().scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert row.name == "github" and row.expires_at is not None
        token_id = row.id
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["email"] == "ci@example.com"
    r = run("token", "list", "--user", "ci@example.com")
    assert r.exit_code == 0
    assert f"{token_id}\t{secret[:10]}…\tgithub\tread,answer\tactive" in r.stdout
    assert secret not in r.stdout
    r = run("token", "revoke", str(token_id), "--user", "ci@example.com")
    assert r.exit_code == 0 and f"token {token_id} revoked" in r.stdout
    assert "\trevoked" in run("token", "list", "--user", "ci@example.com").stdout
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # someone else's token cannot be revoked by naming another user
    run("user", "create", "--email", "other@example.com", "--password", "a-long-password")
    r = run("token", "revoke", str(token_id), "--user", "other@example.com")
    assert r.exit_code == 1 and "Token not found." in r.stderr
    r = run("token", "create", "--user", "ci@example.com", "--scope", "admin")
    assert r.exit_code == 1 and "Unknown scope: admin" in r.stderr
    r = run("token", "create", "--user", "nobody@example.com", "--scope", "read")
    assert r.exit_code == 1 and "User not found." in r.stderr


def test_db_upgrade_and_current(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    r = run("db", "upgrade", url=url)
    assert r.exit_code == 0, r.output
    engine = make_engine(url)
    try:
        head = migrate.head_revision(engine)
        assert f"database at revision {head}" in r.stdout
        assert migrate.current_revision(engine) == head
    finally:
        engine.dispose()
    r = run("db", "current", url=url)
    assert r.exit_code == 0 and f"current: {head}  head: {head}" in r.stdout


def test_demo_loads_once_and_prints_the_logins(run, app):
    r = run("demo")
    assert r.exit_code == 0, r.output
    m = re.search(r"instructor: (\S+)\s+password: (\S+)", r.stdout)
    assert m and m.group(1) == "instructor@demo.quizsvc.local"
    code = re.search(r"course join code: (\S+)", r.stdout).group(1)
    with app.app_context():
        s = get_session()
        assert authenticate(s, m.group(1), m.group(2)) is not None
        assert s.scalar(select(Course.join_code)) == code
    again = run("demo")
    assert again.exit_code == 0 and m.group(2) in again.stdout and code in again.stdout
    with app.app_context():
        assert len(get_session().scalars(select(User)).all()) == 2


def test_serve_refuses_bad_options_before_starting(tmp_path):
    run = CliRunner().invoke
    missing = tmp_path / "no-such-folder" / "access.log"
    result = run(cli, ["serve", "--access-log", str(missing)])
    assert result.exit_code == 2 and "cannot write" in result.output and "running at" not in result.output
    result = run(cli, ["serve", "--workers", "0"])
    assert result.exit_code == 2 and "at least 1" in result.output
