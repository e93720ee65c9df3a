"""Scale-out on real parts: PostgreSQL, Redis, `quizsvc worker` processes, gunicorn.

Fault tests: kill -9 a worker in the middle of a burst, and restart the web tier during a
burst; every accepted submission must end graded exactly once. Under CI=true a missing
PostgreSQL or Redis fails these tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import IN_CI, create_pg_database, drop_pg_database, require_pg

from quizsvc import migrate
from quizsvc.app import create_app
from quizsvc.db import get_engine, get_session, make_engine
from quizsvc.grading import registry
from quizsvc.models import CourseRole, Submission, SubmissionStatus
from quizsvc.services import accounts, courses, tokens
from quizsvc.services.assignments import ensure_course_assignments

pytestmark = pytest.mark.scaleout
REDIS_URL = os.environ.get("QUIZSVC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BIN = Path(sys.executable).parent
GOOD = registry.get("layernorm").solutions[0].source
BAD = GOOD + "\n\ndef layernorm_backward(dout, cache):\n    raise ValueError('todo')\n"


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (CI=true: not skipping)")
        pytest.skip("Redis not reachable")


@pytest.fixture
def stack(tmp_path: Path) -> Any:
    """A fresh PostgreSQL database, a private Celery queue, an env for child processes."""
    require_pg()
    require_redis()
    url = create_pg_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "QUIZSVC_DATABASE_URL": url, "QUIZSVC_BROKER_URL": REDIS_URL,
           "QUIZSVC_CELERY_QUEUE": f"test-{uuid.uuid4().hex[:8]}", "QUIZSVC_INSTANCE_PATH": str(tmp_path / "inst"),
           "QUIZSVC_SECRET_KEY": "scaleout", "QUIZSVC_LEASE_SECONDS": "3", "QUIZSVC_SWEEP_SECONDS": "1",
           "QUIZSVC_SUBMIT_RATE_PER_MIN": "100000", "QUIZSVC_PASSWORD_HASH_FAST": "1",
           "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    yield {"url": url, "env": env, "procs": procs, "tmp": tmp_path}
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
    drop_pg_database(url)


def _seed(env: dict[str, str]) -> str:
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


def _start(stack: dict[str, Any], args: list[str], log_name: str) -> subprocess.Popen[bytes]:
    with open(stack["tmp"] / log_name, "ab") as log:  # the child keeps its own descriptor
        p = subprocess.Popen(args, env=stack["env"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack["procs"].append(p)
    return p


def _start_worker(stack: dict[str, Any], name: str) -> subprocess.Popen[bytes]:
    p = _start(stack, [str(BIN / "quizsvc"), "worker", "--concurrency", "2"], f"{name}.log")
    _wait_for_log(stack["tmp"] / f"{name}.log", "ready", 60)
    return p


def _wait_for_log(path: Path, needle: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(base: str, token: str, code: str) -> int | None:
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


def _wait_all_graded(url: str, ids: list[int], seconds: float) -> list[Submission]:
    engine = make_engine(url)
    from sqlalchemy import select
    from sqlalchemy.orm import Session

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


def _start_web(stack: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    p = _start(stack, [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                       "quizsvc.wsgi:app"], "web.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                return p
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError((stack["tmp"] / "web.log").read_text())


def test_worker_killed_mid_burst_loses_nothing(stack: dict[str, Any]) -> None:
    token = _seed(stack["env"])
    port = _free_port()
    _start_web(stack, port)
    w1 = _start_worker(stack, "worker1")
    _start_worker(stack, "worker2")
    base = f"http://127.0.0.1:{port}"
    ids: list[int] = []
    for i in range(60):
        sid = _post(base, token, GOOD if i % 3 else BAD)
        assert sid is not None
        ids.append(sid)
        if i == 20:
            os.killpg(w1.pid, signal.SIGKILL)  # no goodbye: its claimed and prefetched jobs are orphaned
    rows = _wait_all_graded(stack["url"], ids, 90)
    by_id = {r.id: r for r in rows}
    for i, sid in enumerate(ids):
        full = by_id[sid].score == by_id[sid].max_score
        assert full == bool(i % 3), (sid, by_id[sid].score)
    assert [r.id for r in rows if r.grade_count != 1] == []  # graded exactly once


def test_web_restart_mid_burst_loses_no_accepted_submission(stack: dict[str, Any]) -> None:
    token = _seed(stack["env"])
    port = _free_port()
    web = _start_web(stack, port)
    _start_worker(stack, "worker1")
    base = f"http://127.0.0.1:{port}"
    accepted: list[int] = []
    refused = 0
    for i in range(50):
        if i == 20:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait(10)
            web = _start_web(stack, port)
        sid = _post(base, token, GOOD)
        if sid is None:
            refused += 1
        else:
            accepted.append(sid)
    assert len(accepted) >= 45
    rows = _wait_all_graded(stack["url"], accepted, 90)
    assert all(r.score == r.max_score for r in rows)
