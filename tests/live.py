"""Helpers for tests that run the service as real processes (a plain module, like helpers)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.app import create_app
from quizsvc.db import get_engine, get_session, make_engine
from quizsvc.models import CourseRole, Submission, SubmissionStatus
from quizsvc.services import accounts, courses, tokens
from quizsvc.services.assignments import ensure_course_assignments


def seed_course(env: dict[str, str]) -> str:
    """A course with its assignments, a student and a submit token; returns the token."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        app = create_app()
        with app.app_context():
            s = get_session()
            prof = accounts.create_user(s, "prof@example.com", "prof", "correct-horse-battery",
                                        can_create_courses=True)
            course = courses.create_course(s, prof, "c1", "강좌")
            ensure_course_assignments(s, course)
            student = accounts.create_user(s, "s@example.com", "s", "correct-horse-battery")
            courses.enroll(s, student, course, CourseRole.STUDENT)
            secret = tokens.create_token(s, student, "ci", "read,submit")[1]
        get_engine(app).dispose()
        return secret
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_process(procs: list[subprocess.Popen[bytes]], env: dict[str, str], args: list[str],
                  log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session (killable with its children), logging to ``log``."""
    with open(log, "ab") as out:  # the child keeps its own descriptor
        p = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(p)
    return p


def wait_for_log(path: Path, needle: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def wait_for_health(base: str, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(log.read_text(errors="replace")[-3000:])


@contextmanager
def served(tmp_path: Path, database_url: str, *, workers: int = 1,
           secret: str = "live") -> Iterator[tuple[str, dict[str, str], Path]]:
    """``quizsvc serve --no-demo`` on a free port with its own instance folder, until every
    worker takes requests: (base URL, its environment, its log). Killed (with its children)
    on the way out."""
    import signal
    import sys

    from quizsvc.cli.server import READY

    env = {**os.environ, "QUIZSVC_DATABASE_URL": database_url, "QUIZSVC_BROKER_URL": "",
           "QUIZSVC_INSTANCE_PATH": str(tmp_path / "inst"), "QUIZSVC_SECRET_KEY": secret,
           "QUIZSVC_PASSWORD_HASH_FAST": "1", "QUIZSVC_POOL_SIZE": "1"}
    port = free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        start_process(procs, env, [str(Path(sys.executable).parent / "quizsvc"), "serve",
                                   "--no-demo", "--port", str(port), "--workers", str(workers)], log)
        wait_for_health(base, 90, log)
        deadline = time.monotonic() + 60
        while log.read_text(errors="replace").count(READY) < workers and time.monotonic() < deadline:
            wait_for_log(log, READY, 60)
            time.sleep(0.1)
        assert log.read_text(errors="replace").count(READY) == workers, "every worker takes requests"
        yield base, env, log
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post_submission(base: str, token: str, code: str) -> int | None:
    req = urllib.request.Request(
        f"{base}/api/v1/assignments/layernorm/submissions", method="POST",
        data=json.dumps({"code": code}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 202
            return int(json.loads(resp.read())["id"])
    except (urllib.error.URLError, OSError):
        return None  # not accepted: a client retries, nothing was promised


def wait_all_graded(url: str, ids: list[int], seconds: float) -> list[Submission]:
    engine = make_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            with Session(engine) as s:
                rows = list(s.scalars(select(Submission).where(Submission.id.in_(ids))))
            if all(r.status == SubmissionStatus.GRADED for r in rows) and len(rows) == len(ids):
                return rows
            if time.monotonic() > deadline:
                states = Counter(r.status.value for r in rows)
                raise AssertionError(f"not all graded after {seconds}s: {states}, {len(rows)}/{len(ids)} rows")
            time.sleep(0.2)
    finally:
        engine.dispose()
