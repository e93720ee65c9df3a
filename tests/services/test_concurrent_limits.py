"""Limits under real concurrency: a live ``quizsvc serve`` (2 workers of 8 threads) on the suite's
database (SQLite, or PostgreSQL with QUIZSVC_TEST_DB=postgresql), hit by many clients at once.

A limit checked by counting in Python and then inserting lets concurrent requests through
together; these tests fire the requests from a barrier so that they really overlap, and count
what the database stored.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from live import free_port, start_process, wait_for_health
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from quizsvc.app import create_app
from quizsvc.cli.server import READY
from quizsvc.db import get_engine, get_session, make_engine
from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    AttemptStatus,
    Base,
    CourseRole,
    Quiz,
    Response,
    StudentException,
    Submission,
    utcnow,
)
from quizsvc.services import accounts, courses, quizzes, tokens
from quizsvc.services.assignments import ensure_course_assignments

BIN = Path(sys.executable).parent
RATE = 30  # submissions per student per minute on the live server
CAP = 3  # max_submissions of the capped assignment
CODE = registry.get("layernorm").solutions[0].source
STUDENTS = ("capped", "rapid", "starter", "submitter", "late", "extended")


@dataclass
class Live:
    base: str
    engine: Engine
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)

    def db(self) -> Session:
        return Session(self.engine)


def _option(oid: str, correct: bool = False) -> dict[str, Any]:
    return {"id": oid, "text": {"ko": f"보기 {oid}", "en": f"option {oid}"}, "correct": correct}


def _seed(url: str, instance: Path) -> tuple[dict[str, str], dict[str, int]]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "limits", "PASSWORD_HASH_FAST": True},
                     instance_path=str(instance))
    try:
        with app.app_context():
            s = get_session()
            prof = accounts.create_user(s, "prof@example.com", "prof", "correct-horse-battery",
                                        can_create_courses=True)
            course = courses.create_course(s, prof, "c1", "강좌")
            ensure_course_assignments(s, course)
            s.execute(update(Assignment).where(Assignment.course_id == course.id, Assignment.slug == "layernorm")
                      .values(max_submissions=CAP))
            s.commit()
            secrets, ids = {}, {}
            for name in STUDENTS:
                user = accounts.create_user(s, f"{name}@example.com", name, "correct-horse-battery")
                courses.enroll(s, user, course, CourseRole.STUDENT)
                secrets[name] = tokens.create_token(s, user, "ci", "read,answer,submit")[1]
                ids[name] = user.id
            for slug, max_attempts in (("limited", 2), ("unlimited", None)):
                quiz = quizzes.create_quiz(s, prof, course, {
                    "slug": slug, "title": slug, "published": True, "max_attempts": max_attempts,
                    "closes_at": utcnow() + timedelta(days=1)})
                quizzes.create_item(s, prof, quiz, {
                    "key": "q1", "type_name": "single_choice",
                    "prompt": {"ko": "고르세요", "en": "Pick one"},
                    "config": {"options": [_option("a", True), _option("b")]}})
                ids[slug] = quiz.id
                ids[f"{slug}.item"] = quiz.items[0].id
        return secrets, ids
    finally:
        app.extensions["quizsvc.dispatcher"].stop()
        get_engine(app).dispose()


def _wait_ready(log: Path, workers: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while log.read_text(errors="replace").count(READY) < workers:
        if time.monotonic() > deadline:
            raise AssertionError(log.read_text(errors="replace")[-3000:])
        time.sleep(0.1)


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("limits")
    secrets, ids = _seed(database_url, tmp / "seed")
    env = {**os.environ, "QUIZSVC_DATABASE_URL": database_url, "QUIZSVC_BROKER_URL": "",
           "QUIZSVC_INSTANCE_PATH": str(tmp / "inst"), "QUIZSVC_SECRET_KEY": "limits",
           "QUIZSVC_SUBMIT_RATE_PER_MIN": str(RATE), "QUIZSVC_PASSWORD_HASH_FAST": "1",
           "QUIZSVC_POOL_SIZE": "1", "QUIZSVC_SESSION_COOKIE_SECURE": "1"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "serve.log"
    procs: list[subprocess.Popen[bytes]] = []
    engine = make_engine(database_url)
    try:
        start_process(procs, env, [str(BIN / "quizsvc"), "serve", "--no-demo", "--port", str(port),
                                   "--workers", "2", "--threads", "8"], log)
        wait_for_health(base, 60, log)
        _wait_ready(log, 2, 60)
        yield Live(base, engine, secrets, ids)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        with engine.begin() as conn:  # the suite's database: leave it empty, as every test does
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()


def call(live: Live, who: str, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    """One API request; (status, JSON body, headers)."""
    req = urllib.request.Request(
        f"{live.base}/api/v1{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {live.tokens[who]}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), exc.headers


def at_once(n: int, request: Callable[[int], Any]) -> list[Any]:
    """``n`` clients, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        barrier.wait(10)
        return request(i)

    with ThreadPoolExecutor(n) as clients:
        return list(clients.map(one, range(n)))


def _submit(live: Live, who: str, slug: str) -> tuple[int, Any, Any]:
    return call(live, who, "POST", f"/assignments/{slug}/submissions", {"code": CODE})


# --- code submissions ------------------------------------------------------------------------


def test_max_submissions_holds_under_30_concurrent_submissions(live: Live) -> None:
    results = at_once(30, lambda _: _submit(live, "capped", "layernorm"))
    assert Counter(status for status, _, _ in results) == {202: CAP, 403: 30 - CAP}
    refused = next(body for status, body, _ in results if status == 403)["error"]
    assert refused["code"] == "forbidden" and f"all {CAP} submissions" in refused["message"]
    assert refused["message_ko"]
    with live.db() as s:
        stored = s.scalar(select(func.count()).select_from(Submission).where(
            Submission.user_id == live.ids["capped"]))
    assert stored == CAP


def test_a_students_extra_submissions_hold_under_30_concurrent_submissions(live: Live) -> None:
    """The allowance is read inside the accepting statement, so it is as atomic as the limit."""
    with live.db() as s:
        assignment_id = s.scalar(select(Assignment.id).where(Assignment.slug == "layernorm"))
        s.add(StudentException(user_id=live.ids["extended"], assignment_id=assignment_id, extra=2))
        s.commit()
    results = at_once(30, lambda _: _submit(live, "extended", "layernorm"))
    assert Counter(status for status, _, _ in results) == {202: CAP + 2, 403: 30 - CAP - 2}
    refused = next(body for status, body, _ in results if status == 403)["error"]
    assert f"all {CAP + 2} submissions" in refused["message"]
    with live.db() as s:
        stored = s.scalar(select(func.count()).select_from(Submission).where(
            Submission.user_id == live.ids["extended"]))
    assert stored == CAP + 2


def test_per_minute_rate_limit_holds_under_100_concurrent_submissions(live: Live) -> None:
    results = at_once(100, lambda _: _submit(live, "rapid", "batchnorm"))
    assert Counter(status for status, _, _ in results) == {202: RATE, 429: 100 - RATE}
    status, body, headers = next(r for r in results if r[0] == 429)
    assert body["error"]["code"] == "too_many_requests" and f"At most {RATE}" in body["error"]["message"]
    assert body["error"]["message_ko"] and headers["Retry-After"] == "60"
    with live.db() as s:
        stored = s.scalar(select(func.count()).select_from(Submission).where(
            Submission.user_id == live.ids["rapid"]))
    assert stored == RATE


# --- quiz attempts ---------------------------------------------------------------------------


def test_attempt_limit_holds_when_clients_start_and_submit_concurrently(live: Live) -> None:
    quiz = live.ids["limited"]

    def take_attempts(_: int) -> list[int]:
        seen = []
        for _round in range(4):
            status, body, _ = call(live, "starter", "POST", f"/quizzes/{quiz}/attempts")
            seen.append(status)
            if status != 200 and status != 201:
                break
            seen.append(call(live, "starter", "POST", f"/attempts/{body['id']}/submit",
                             {"answers": {str(live.ids["limited.item"]): "a"}})[0])
        return seen

    statuses = Counter(s for run in at_once(10, take_attempts) for s in run)
    assert statuses[500] == 0, statuses
    assert statuses[403] >= 1  # every client was told in the end that no attempt is left
    with live.db() as s:
        attempts = list(s.scalars(select(Attempt).where(Attempt.quiz_id == quiz,
                                                        Attempt.user_id == live.ids["starter"])))
    assert sorted(a.number for a in attempts) == [1, 2]
    assert {a.status for a in attempts} == {AttemptStatus.SUBMITTED}


def test_an_attempt_is_submitted_once_and_scores_the_answer_it_stored(live: Live) -> None:
    quiz, item = live.ids["unlimited"], live.ids["unlimited.item"]
    for _round in range(3):
        status, body, _ = call(live, "submitter", "POST", f"/quizzes/{quiz}/attempts")
        assert status == 201, body
        attempt = body["id"]
        # Half the clients answer a (right), half b (wrong), each submitting at once.
        path = f"/attempts/{attempt}/submit"
        results = at_once(20, lambda i, path=path: call(live, "submitter", "POST", path,
                                                        {"answers": {str(item): "ab"[i % 2]}}))
        assert Counter(status for status, _, _ in results) == {200: 1, 409: 19}
        with live.db() as s:
            a = s.get(Attempt, attempt)
            responses = list(s.scalars(select(Response).where(Response.attempt_id == attempt)))
        assert a is not None and a.status == AttemptStatus.SUBMITTED
        assert len(responses) == 1
        stored = responses[0]
        # What is stored is what was scored: no later save slipped in after the scoring.
        assert stored.correct == (stored.answer["value"] == "a"), (stored.answer, stored.correct)
        assert a.score == (1.0 if stored.correct else 0.0)


def test_answers_after_the_close_are_refused_and_not_stored(live: Live) -> None:
    quiz, item = live.ids["unlimited"], live.ids["unlimited.item"]
    status, body, _ = call(live, "late", "POST", f"/quizzes/{quiz}/attempts")
    assert status == 201, body
    attempt = body["id"]
    assert call(live, "late", "PUT", f"/attempts/{attempt}/answers/{item}", {"answer": "b"})[0] == 200
    with live.db() as s:
        s.execute(update(Quiz).where(Quiz.id == quiz).values(closes_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    try:
        results = at_once(20, lambda i: call(
            live, "late", *(("PUT", f"/attempts/{attempt}/answers/{item}", {"answer": "a"}) if i % 2 else
                            ("POST", f"/attempts/{attempt}/submit", {"answers": {str(item): "a"}}))))
    finally:
        with live.db() as s:
            s.execute(update(Quiz).where(Quiz.id == quiz).values(closes_at=utcnow() + timedelta(days=1)))
            s.commit()
    assert Counter(status for status, _, _ in results) == {403: 20}
    with live.db() as s:
        a = s.get(Attempt, attempt)
        answers = [r.answer for r in s.scalars(select(Response).where(Response.attempt_id == attempt))]
    assert a is not None and a.status == AttemptStatus.IN_PROGRESS
    assert answers == [{"value": "b"}]


# --- what the live server says about itself --------------------------------------------------


def test_the_live_server_sends_no_server_banner_and_its_security_headers(live: Live) -> None:
    status, _, headers = call(live, "capped", "GET", "/me")
    assert status == 200
    with urllib.request.urlopen(f"{live.base}/login", timeout=10) as page:
        page_headers = page.headers
    for h in (headers, page_headers):
        assert h.get_all("Server") is None, h.get_all("Server")
        assert h["Cache-Control"] == "no-store"
        assert h["Strict-Transport-Security"] == "max-age=31536000"  # QUIZSVC_SESSION_COOKIE_SECURE=1
