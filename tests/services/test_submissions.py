"""Code submissions end to end on the default (in-process) dispatcher: durability, idempotent
claims, late penalties, limits, formats, regrading, the gradebook, and the web pages."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from helpers import backend, csrf_token, login, make_user
from sqlalchemy import select

from quizsvc import settings as app_settings
from quizsvc.db import get_session
from quizsvc.grading import registry
from quizsvc.models import Assignment, CourseRole, Submission, SubmissionStatus, utcnow
from quizsvc.services import courses, tokens
from quizsvc.services.assignments import ensure_course_assignments
from quizsvc.services.submissions import acceptance, claims

REFERENCE = registry.get("batchnorm").solutions[0].source


@pytest.fixture
def setup(app: Any) -> dict[str, Any]:
    with app.app_context():
        s = get_session()
        prof = make_user(s, "prof@example.com", instructor=True)
        course = courses.create_course(s, prof, "c1", "강좌")
        ensure_course_assignments(s, course)
        alice = make_user(s, "alice@example.com")
        bob = make_user(s, "bob@example.com")
        for u in (alice, bob):
            courses.enroll(s, u, course, CourseRole.STUDENT)
        _, secret = tokens.create_token(s, alice, "ci", "read,submit")
        _, bob_secret = tokens.create_token(s, bob, "ci", "read,submit")
        _, prof_secret = tokens.create_token(s, prof, "ci", "read,submit,manage")
        bn = s.scalar(select(Assignment).where(Assignment.slug == "batchnorm"))
        return {"course_id": course.id, "bn_id": bn.id, "alice": secret, "bob": bob_secret,
                "prof": prof_secret, "alice_id": alice.id}


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _row(app: Any, sid: int) -> Submission:
    with app.app_context():
        s = get_session()
        sub = s.get(Submission, sid)
        s.expunge(sub)
        return sub


def test_api_submit_waits_for_the_grade(client, setup):
    r = client.post("/api/v1/assignments/batchnorm/submissions?wait=20", json={"code": REFERENCE},
                    headers=_auth(setup["alice"]))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "graded" and body["score"] == body["max_score"] > 0
    assert r.headers["Location"].endswith(f"/api/v1/submissions/{body['id']}")
    hidden = [c for c in body["result"]["cases"] if not c["visible"]]
    assert hidden and all("private" not in c for c in hidden)


def test_accepted_submission_is_committed_before_202(app, client, setup):
    r = client.post("/api/v1/assignments/batchnorm/submissions", json={"code": REFERENCE},
                    headers=_auth(setup["alice"]))
    assert r.status_code == 202
    sid = r.get_json()["id"]
    assert _row(app, sid).source == REFERENCE  # the row exists as soon as the answer does
    r = client.get(f"/api/v1/submissions/{sid}?wait=20", headers=_auth(setup["alice"]))
    assert r.get_json()["status"] == "graded"


def test_an_accepted_submission_is_held_exactly_as_stored(app, setup):
    """submit() writes the row with one INSERT and keeps it as loaded: every column is set and
    equals what a fresh read of the row gives."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    from quizsvc.db import get_engine

    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        sub = acceptance.submit(s, alice, a, REFERENCE, "mine.py", via="api", dispatcher=None)
        state = inspect(sub)
        columns = [c.key for c in Submission.__table__.columns]
        assert state.persistent and not state.modified and not state.unloaded & set(columns)
        with Session(get_engine(app)) as other:
            stored = other.get(Submission, sub.id)
            assert {k: getattr(sub, k) for k in columns} == {k: getattr(stored, k) for k in columns}
        assert (sub.status, sub.filename, sub.via, sub.result) == (SubmissionStatus.QUEUED, "mine.py", "api", {})
        assert sub.assignment is a and sub.user is alice


def test_accepting_over_the_api_takes_two_reads_and_one_insert(app, client, setup):
    """The token with its owner, the assignment with the student's role, the row (the limits
    are counted inside its INSERT; PostgreSQL locks the student's row first): nothing is read
    twice (the role is remembered from the assignment's query) and nothing is read back after
    the INSERT."""
    from sqlalchemy import event

    from quizsvc.db import get_engine

    statements: list[str] = []
    me = threading.get_ident()  # the test client runs the request here; graders run elsewhere

    def log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == me:
            statements.append(statement.split()[0].upper())

    engine = get_engine(app)
    client.post("/api/v1/assignments/batchnorm/submissions", json={"code": REFERENCE},
                headers=_auth(setup["alice"]))  # the token's last use is written once a minute
    event.listen(engine, "before_cursor_execute", log)
    try:
        r = client.post("/api/v1/assignments/batchnorm/submissions", json={"code": REFERENCE},
                        headers=_auth(setup["alice"]))
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert r.status_code == 202
    lock = ["SELECT"] if backend() == "postgresql" else []
    assert statements == ["SELECT", "SELECT", *lock, "INSERT"], statements


def test_a_role_is_read_again_after_a_write_or_a_new_transaction(app, setup):
    from quizsvc.models import Course, User

    with app.app_context():
        s = get_session()
        course = s.get(Course, setup["course_id"])
        alice = s.get(User, setup["alice_id"])
        assert courses.role_in(s, alice, course) == CourseRole.STUDENT
        courses.enroll(s, alice, course, CourseRole.TA)  # commits
        assert courses.role_in(s, alice, course) == CourseRole.TA
        enrollment = next(e for e in course.enrollments if e.user_id == alice.id)
        enrollment.role = CourseRole.STUDENT  # pending, not flushed: the query flushes it
        assert courses.role_in(s, alice, course) == CourseRole.STUDENT
        s.rollback()
        assert courses.role_in(s, alice, course) == CourseRole.TA


def test_formats_junit_and_gradescope(client, setup):
    sid = client.post("/api/v1/assignments/batchnorm/submissions?wait=20", json={"code": "x ="},
                      headers=_auth(setup["alice"])).get_json()["id"]
    junit = client.get(f"/api/v1/submissions/{sid}?format=junit", headers=_auth(setup["alice"]))
    assert junit.status_code == 200 and junit.mimetype == "application/xml"
    assert b"<testsuite" in junit.data and b'failures="0"' not in junit.data
    gs = client.get(f"/api/v1/submissions/{sid}?format=gradescope", headers=_auth(setup["alice"])).get_json()
    assert gs["score"] == 0 and {t["visibility"] for t in gs["tests"]} >= {"visible"}
    bad = client.get(f"/api/v1/submissions/{sid}?format=xml", headers=_auth(setup["alice"]))
    assert bad.status_code == 422


def test_multipart_upload_and_bad_uploads(client, setup):
    import io

    h = _auth(setup["alice"])
    r = client.post("/api/v1/assignments/batchnorm/submissions?wait=20", headers=h,
                    data={"file": (io.BytesIO(REFERENCE.encode()), "bn.py")}, content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["filename"] == "bn.py"
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h,
                    data={"file": (io.BytesIO(b"\xff\xfe\x00"), "bn.py")}, content_type="multipart/form-data")
    assert r.status_code == 422
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h, json={"code": "x=1", "filename": "a.exe"})
    assert r.status_code == 422 and "py" in r.get_json()["error"]["message"]
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h, data="nope", content_type="text/plain")
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"
    r = client.post("/api/v1/assignments/nope/submissions", headers=h, json={"code": "x=1"})
    assert r.status_code == 404
    r = client.post("/api/v1/assignments/batchnorm/submissions?wait=-1", headers=h, json={"code": "x=1"})
    assert r.status_code == 422


def test_scopes_and_other_students_submissions(client, setup):
    sid = client.post("/api/v1/assignments/batchnorm/submissions", json={"code": REFERENCE},
                      headers=_auth(setup["alice"])).get_json()["id"]
    assert client.get(f"/api/v1/submissions/{sid}", headers=_auth(setup["bob"])).status_code == 404
    assert client.get(f"/api/v1/submissions/{sid}", headers=_auth(setup["prof"])).status_code == 200
    r = client.post("/api/v1/assignments/batchnorm/submissions", json={"code": REFERENCE},
                    headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_claim_is_idempotent_and_finish_needs_the_claim(app, setup):
    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        user = a.course.enrollments[1].user
        sub = acceptance.submit(s, user, a, REFERENCE, dispatcher=None)
        first = claims.claim(s, sub.id)
        assert first is not None
        assert claims.claim(s, sub.id) is None  # a duplicate delivery gets nothing
        assert claims.process(s, sub.id) is False  # and does not grade
        # The holder's lease expires (its worker died): the next delivery takes over and grades.
        s.execute(Submission.__table__.update().where(Submission.id == sub.id)
                  .values(lease_until=utcnow() - timedelta(seconds=1)))
        s.commit()
        assert claims.pending_ids(s, stale_only=True) == [sub.id]
        assert claims.process(s, sub.id) is True
        s.refresh(sub)
        assert sub.status == SubmissionStatus.GRADED and sub.deliveries == 2 and sub.grade_count == 1
        assert claims.process(s, sub.id) is False  # graded exactly once


def test_grading_failure_is_retried_then_reported(app, setup):
    class Broken:
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("sandbox unavailable")

    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        sub = acceptance.submit(s, alice, a, REFERENCE, dispatcher=None)
        for attempt in range(1, claims.MAX_DELIVERIES):
            with pytest.raises(RuntimeError, match="sandbox unavailable"):  # the dispatcher retries
                claims.process(s, sub.id, Broken())
            assert (sub.status, sub.deliveries, sub.claim) == (SubmissionStatus.QUEUED, attempt, None)
            assert "sandbox unavailable" in sub.error and sub.finished_at is None
        assert claims.process(s, sub.id, Broken()) is False  # the last attempt: reported
        assert sub.status == SubmissionStatus.ERROR and sub.deliveries == claims.MAX_DELIVERIES
        assert sub.finished_at is not None and sub.claim is None and sub.grade_count == 0


def test_a_worker_whose_claim_was_taken_over_writes_no_grade(app, setup):
    """A slow worker's lease expired and another took the job: the slow one's result is dropped."""
    from sqlalchemy.orm import Session

    from quizsvc.db import get_engine
    from quizsvc.grading.runner import default_runner

    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        sub = acceptance.submit(s, alice, a, REFERENCE, dispatcher=None)

        class TakenOverMidway:
            def run(self, *args: Any, **kwargs: Any) -> Any:
                with Session(get_engine(app)) as other:  # another worker, its own connection
                    other.execute(Submission.__table__.update().where(Submission.id == sub.id)
                                  .values(lease_until=utcnow() - timedelta(seconds=1)))
                    other.commit()
                    assert claims.claim(other, sub.id) is not None
                return default_runner().run(*args, **kwargs)

        assert claims.process(s, sub.id, TakenOverMidway()) is False
        assert sub.status == SubmissionStatus.RUNNING and sub.grade_count == 0 and sub.deliveries == 2


def test_a_batch_is_claimed_graded_and_finished_once(app, setup):
    """One claim for several submissions: rows someone else holds are skipped, every other row
    is graded exactly once, with its own author's language and the assignment's late policy."""
    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        bob = next(e.user for e in a.course.enrollments if e.user.email == "bob@example.com")
        alice.locale, bob.locale = "en", "ko"
        a.due_at, a.late_penalty_per_day = utcnow() - timedelta(hours=1), 0.25
        s.commit()
        mistake = registry.get("batchnorm").mistakes[0]
        ids = [acceptance.submit(s, user, a, source, dispatcher=None).id
               for user, source in ((alice, REFERENCE), (bob, REFERENCE), (alice, mistake.source))]
        held = acceptance.submit(s, bob, a, REFERENCE, dispatcher=None).id
        assert claims.claim(s, held) is not None  # another worker has this one
        graded = claims.process_batch(s, [*ids, held, 10**6])
        assert graded == set(ids)
        rows = {sid: s.get(Submission, sid) for sid in [*ids, held]}
        for sid in ids:
            s.refresh(rows[sid])
            assert rows[sid].status == SubmissionStatus.GRADED and rows[sid].grade_count == 1
            assert rows[sid].late_days == 1 and rows[sid].deliveries == 1
        assert [rows[sid].result["language"] for sid in ids] == ["en", "ko", "en"]
        assert rows[ids[0]].score == rows[ids[0]].max_score * 0.75  # full marks, one day late
        assert mistake.key in [d["key"] for d in rows[ids[2]].result["diagnoses"]]
        assert rows[held].status == SubmissionStatus.RUNNING and rows[held].grade_count == 0
        assert claims.process_batch(s, ids) == set()  # a duplicate delivery grades nothing


def test_a_failure_in_a_batch_is_retried_alone(app, setup):
    """The sandbox fails for one submission of a batch: the others are still graded, the
    failed one goes back to the queue and the failure reaches the caller."""
    from quizsvc.grading.runner import default_runner

    class FailsOnce:
        def __init__(self) -> None:
            self.calls = 0

        def run(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("sandbox unavailable")
            return default_runner().run(*args, **kwargs)

    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        ids = [acceptance.submit(s, alice, a, REFERENCE, dispatcher=None).id for _ in range(3)]
        with pytest.raises(RuntimeError, match="sandbox unavailable"):
            claims.process_batch(s, ids, FailsOnce())
        statuses = [s.get(Submission, sid) for sid in ids]
        assert [sub.status for sub in statuses] == [SubmissionStatus.GRADED, SubmissionStatus.QUEUED,
                                                    SubmissionStatus.GRADED]
        assert "sandbox unavailable" in statuses[1].error and statuses[1].claim is None
        assert claims.process_batch(s, ids) == {ids[1]}  # the retry grades the rest


def test_a_burst_through_the_dispatcher_is_graded_once_each(app, client, setup):
    """More submissions than grading threads: they are taken in batches, and every accepted
    one ends graded exactly once."""
    ids = []
    for i in range(12):
        r = client.post("/api/v1/assignments/batchnorm/submissions",
                        json={"code": REFERENCE + f"\n# {i}\n"}, headers=_auth(setup["alice"]))
        assert r.status_code in (200, 202), r.get_json()
        ids.append(r.get_json()["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = [_row(app, sid) for sid in ids]
        if all(r.status == SubmissionStatus.GRADED for r in rows):
            break
        time.sleep(0.1)
    assert [(r.status, r.grade_count, r.deliveries) for r in rows] == \
           [(SubmissionStatus.GRADED, 1, 1)] * len(ids)
    assert all(r.score == r.max_score for r in rows)


def test_grading_reads_the_authors_language_and_stores_the_full_result(app, setup):
    from quizsvc.grading.result import result_from_dict

    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        for locale in ("en", "ko"):
            alice.locale = locale
            s.commit()
            sub = acceptance.submit(s, alice, a, REFERENCE + f"\n# {locale}\n")
            assert claims.process(s, sub.id)
            s.refresh(sub)
            assert sub.status == SubmissionStatus.GRADED and sub.result["language"] == locale
            assert sub.score == sub.max_score == sub.result["max_score"] and sub.late_days == 0
            # What was stored rebuilds into the same result, private details included.
            assert result_from_dict(sub.result).to_dict(include_private=True) == sub.result
            assert all("private" in c for c in sub.result["cases"])


def test_late_penalty_and_close(app, setup):
    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        a.due_at = utcnow() - timedelta(days=1, hours=2)  # two started days late
        a.late_penalty_per_day = 0.25
        a.closes_at = utcnow() + timedelta(days=1)
        s.commit()
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        sub = acceptance.submit(s, alice, a, REFERENCE)
        assert claims.process(s, sub.id)
        s.refresh(sub)
        assert sub.late_days == 2 and sub.score == pytest.approx(sub.raw_score * 0.5)
        a.closes_at = utcnow() - timedelta(seconds=1)
        s.commit()
        with pytest.raises(Exception, match="closed"):
            acceptance.submit(s, alice, a, REFERENCE)


def test_rate_and_count_limits(app, client, setup):
    app.extensions["quizsvc.settings"] = app_settings.of(app).model_copy(update={"submit_rate_per_min": 2})
    h = _auth(setup["alice"])
    for _ in range(2):
        assert client.post("/api/v1/assignments/batchnorm/submissions", headers=h,
                           json={"code": "x=1"}).status_code == 202
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h, json={"code": "x=1"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    with app.app_context():
        assert get_session().query(Submission).count() == 2  # the refused one was not stored


def test_restart_sweeps_queued_submissions(app, setup):
    """Accepted while no dispatcher ran (the process died before grading): a new process's
    start-up sweep grades it."""
    with app.app_context():
        s = get_session()
        a = s.get(Assignment, setup["bn_id"])
        alice = s.get(type(a.course.enrollments[0].user), setup["alice_id"])
        sub = acceptance.submit(s, alice, a, REFERENCE, dispatcher=None)
    dispatcher = app.extensions["quizsvc.dispatcher"]
    dispatcher.start()
    deadline = time.monotonic() + 20
    while _row(app, sub.id).status != SubmissionStatus.GRADED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _row(app, sub.id).status == SubmissionStatus.GRADED


def test_web_submit_regrade_and_gradebook(app, client, setup):
    login(client, "alice@example.com")
    course_page = client.get(f"/courses/{setup['course_id']}").get_data(as_text=True)
    assert 'id="assignments"' in course_page
    title = course_page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and len(title) < 100
    page = client.get(f"/assignments/{setup['bn_id']}").get_data(as_text=True)
    assert "batchnorm_forward" in page and "codemirror.js" in page
    token = csrf_token(client, f"/assignments/{setup['bn_id']}")
    r = client.post(f"/assignments/{setup['bn_id']}/submit", data={"code": REFERENCE, "csrf_token": token})
    assert r.status_code == 302
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + 20
    while client.get(f"/submissions/{sid}/status").get_json()["status"] != "graded":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert 'id="score"' in client.get(f"/submissions/{sid}").get_data(as_text=True)
    # Without a CSRF token nothing is stored.
    assert client.post(f"/assignments/{setup['bn_id']}/submit", data={"code": "x=1"}).status_code == 400
    # A student cannot regrade or see the gradebook.
    assert client.get(f"/staff/courses/{setup['course_id']}/gradebook").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "prof@example.com")
    token = csrf_token(client, f"/staff/assignments/{setup['bn_id']}")
    r = client.post(f"/staff/assignments/{setup['bn_id']}/regrade", data={"csrf_token": token})
    assert r.status_code == 302
    deadline = time.monotonic() + 20
    while client.get(f"/staff/assignments/{setup['bn_id']}/progress").get_json()["graded"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    csv_text = client.get(f"/staff/courses/{setup['course_id']}/gradebook?format=csv").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("name,email") and any(line.startswith("alice,alice@example.com") for line in lines)
    alice_row = next(line for line in lines if line.startswith("alice,"))
    assert alice_row.endswith(",17")


@pytest.fixture
def live_url(app: Any):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_cli_submit_exit_codes_and_formats(live_url, setup, tmp_path):
    from click.testing import CliRunner

    from quizsvc.cli import main

    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(REFERENCE)
    bad.write_text(REFERENCE + "\n\ndef batchnorm_backward(dout, cache):\n    raise ValueError('todo')\n")
    base = ["submit", "--server", live_url, "--token", setup["alice"], "--assignment", "batchnorm"]
    runner = CliRunner()
    ok = runner.invoke(main, [*base, str(good)])
    assert ok.exit_code == 0, ok.output
    assert "score: 17 / 17" in ok.output
    junit = tmp_path / "report.xml"
    below = runner.invoke(main, [*base, "--format", "junit", "--output", str(junit), str(bad)])
    assert below.exit_code == 1, below.output
    assert "<testsuite" in junit.read_text()
    relaxed = runner.invoke(main, [*base, "--min-score", "0", "--format", "gradescope", str(bad)])
    assert relaxed.exit_code == 0 and '"tests"' in relaxed.output
    denied = runner.invoke(main, ["submit", "--server", live_url, "--token", "qz_wrong", "--assignment",
                                  "batchnorm", str(good)])
    assert denied.exit_code == 2 and "401" in denied.output


def _count(app: Any) -> int:
    with app.app_context():
        return len(get_session().scalars(select(Submission.id)).all())


MALFORMED = {
    "cell source of numbers": ("hw.ipynb", '{"cells": [{"cell_type": "code", "source": [1, 2]}]}',
                               "the source of cell 1 is neither a string nor a list of strings"),
    "nested brackets": ("hw.ipynb", "[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply"),
    "no code cells": ("hw.ipynb", '{"cells": [{"cell_type": "markdown", "source": "# hi"}]}',
                      "the notebook has no code cells"),
    "parser crash": ("hw.py", "x = " + "1+" * 100_000 + "1\n", "nested too deeply for Python's parser"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_submissions_are_refused_with_422_and_cost_nothing(app, client, setup, name):
    import io

    filename, text, reason = MALFORMED[name]
    h = _auth(setup["alice"])
    before = _count(app)
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h,
                    json={"code": text, "filename": filename})
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert error["message"].startswith("The submission cannot be graded: ") and reason in error["message"]
    assert error["message_ko"].startswith("채점할 수 없는 제출물입니다: ")
    r = client.post("/api/v1/assignments/batchnorm/submissions", headers=h,
                    data={"file": (io.BytesIO(text.encode()), filename)},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and reason in r.get_json()["error"]["message"]
    assert _count(app) == before


def test_a_malformed_notebook_is_a_form_error_on_the_web(app, client, setup):
    import io

    with app.app_context():  # a limit of one: a refused upload must not use it up
        get_session().get(Assignment, setup["bn_id"]).max_submissions = 1
        get_session().commit()
    login(client, "alice@example.com")
    before = _count(app)
    _, text, _ = MALFORMED["cell source of numbers"]
    token = csrf_token(client, f"/assignments/{setup['bn_id']}")
    r = client.post(f"/assignments/{setup['bn_id']}/submit", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "hw.ipynb")})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "1번 셀의 source가 문자열도 문자열 목록도 아닙니다" in page  # alice reads Korean
    assert _count(app) == before
    token = csrf_token(client, f"/assignments/{setup['bn_id']}")
    r = client.post(f"/assignments/{setup['bn_id']}/submit", data={"code": REFERENCE, "csrf_token": token})
    assert r.status_code == 302 and _count(app) == before + 1


def test_a_real_homework_file_over_the_api_gets_full_marks_and_the_skip_note(client, setup):
    source = ("import numpy as np\nimport matplotlib.pyplot as plt\nfrom cs231n.layers import *\n"
              + REFERENCE + "\nfor i in range(3):\n    plt.plot(batchnorm_forward(np.ones((4, 3)), 1, 0, {'mode': 'train'})[0])\n")
    r = client.post("/api/v1/assignments/batchnorm/submissions?wait=20",
                    json={"code": source, "filename": "hw.py"}, headers=_auth(setup["alice"]))
    body = r.get_json()
    assert r.status_code == 200 and body["score"] == body["max_score"], body
    notes = body["result"]["notes"]
    assert notes[0].startswith("채점 환경에 없는 모듈의 import를 건너뛰었습니다")  # alice reads Korean
    assert "(for 반복문)" in notes[1]


def test_cli_submit_refuses_a_malformed_notebook_before_sending(app, live_url, setup, tmp_path):
    from click.testing import CliRunner

    from quizsvc.cli import main

    notebook = tmp_path / "hw.ipynb"
    notebook.write_text(MALFORMED["nested brackets"][1])
    before = _count(app)
    out = CliRunner().invoke(main, ["submit", "--server", live_url, "--token", setup["alice"],
                                    "--assignment", "batchnorm", str(notebook)])
    assert out.exit_code == 2 and "the JSON is nested too deeply" in out.output
    assert _count(app) == before
