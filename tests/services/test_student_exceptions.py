"""Per-student exceptions: one student's own close date and extra tries, for a quiz and for an
assignment, let exactly that student in while the others are still refused; late days count
from the student's own due date. Set through the staff page (on both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from world import form_post, logged_in

from quizsvc.errors import DomainError
from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    FeedbackPolicy,
    Quiz,
    StudentException,
    Submission,
    User,
    utcnow,
)
from quizsvc.services import attempts as attempt_svc
from quizsvc.services.fast import claims
from quizsvc.services.submissions import acceptance
from quizsvc.services.submissions.claims import late_days

SOURCE = "def f():\n    return 1\n"


def _start(w: Any, quiz_id: int, who: str) -> None:
    """Start and submit an attempt (raises the domain error if refused)."""
    with w.db() as s:
        user, quiz = s.get(User, w.ids[who]), s.get(Quiz, quiz_id)
        attempt_svc.submit_attempt(s, user, attempt_svc.start_attempt(s, user, quiz))


def _submit(w: Any, assignment_id: int, who: str) -> int:
    with w.db() as s:
        return acceptance.submit(s, s.get(User, w.ids[who]), s.get(Assignment, assignment_id), SOURCE).id


def _refused(fn: Any, *args: Any) -> int:
    with pytest.raises(DomainError) as info:
        fn(*args)
    return info.value.status


def _set(app: Any, w: Any, **data: Any) -> Any:
    prof = logged_in(app, "instructor")
    path = f"/staff/courses/{w.course_id}/exceptions"
    return form_post(prof, path, {"extra": "0", **data}, token_from=path)


def _assignment(w: Any, **values: Any) -> int:
    with w.db() as s:
        grader = next(iter(registry.all_assignments()))
        a = Assignment(course_id=w.course_id, slug=grader, grader=grader, title="과제", published=True, **values)
        s.add(a)
        s.commit()
        return a.id


def test_a_quiz_exception_gives_one_student_another_attempt_and_time(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, max_attempts=1)
    for who in ("alice", "bob"):
        _start(w, quiz_id, who)
    assert _refused(_start, w, quiz_id, "bob") == 403
    r = _set(app, w, user_id=str(w.ids["bob"]), target=f"q-{quiz_id}", extra="1")
    assert r.status_code == 302
    _start(w, quiz_id, "bob")  # bob's second attempt
    assert _refused(_start, w, quiz_id, "bob") == 403  # and no third
    assert _refused(_start, w, quiz_id, "alice") == 403

    # the quiz closes; bob alone gets until tomorrow
    w.update_quiz(quiz_id, max_attempts=None, closes_at=utcnow() - timedelta(hours=1))
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _set(app, w, user_id=str(w.ids["bob"]), target=f"q-{quiz_id}", closes_at=later).status_code == 302
    # the quiz page offers bob (only) a new attempt and shows his own date
    bob_page = logged_in(app, "bob").get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    alice_page = logged_in(app, "alice").get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="start-attempt"' in bob_page and 'id="own-exception"' in bob_page
    assert 'id="start-attempt"' not in alice_page and 'id="own-exception"' not in alice_page
    # and the course page says "open" to bob (his own date) and "closed" to alice
    def course_status(who: str) -> str:
        page = logged_in(app, who).get(f"/courses/{w.course_id}").get_data(as_text=True)
        row = page.split(f'href="/quizzes/{quiz_id}"')[1].split("</tr>")[0]
        return row.split('class="badge status-')[1].split('"')[0]

    assert (course_status("bob"), course_status("alice")) == ("open", "closed")
    _start(w, quiz_id, "bob")
    assert _refused(_start, w, quiz_id, "alice") == 403
    page = logged_in(app, "instructor").get(f"/staff/courses/{w.course_id}/exceptions").get_data(as_text=True)
    with w.db() as s:
        bob_name, title = s.get(User, w.ids["bob"]).name, s.get(Quiz, quiz_id).title
    table = page.split('id="exceptions"')[1].split("</table>")[0]
    assert bob_name in table and title in table


def test_an_assignment_exception_gives_one_student_a_submission_a_close_and_a_due_date(w, app):
    due = utcnow() - timedelta(days=3) + timedelta(hours=1)  # 2 days and 23 hours late: 3 days
    aid = _assignment(w, max_submissions=1, due_at=due, late_penalty_per_day=0.1)
    for who in ("alice", "bob"):
        _submit(w, aid, who)
    assert _refused(_submit, w, aid, "bob") == 403
    own_due = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = _set(app, w, user_id=str(w.ids["bob"]), target=f"a-{aid}", extra="1", due_at=own_due)
    assert r.status_code == 302
    page = logged_in(app, "bob").get(f"/assignments/{aid}").get_data(as_text=True)
    assert 'id="own-exception"' in page and "1 / 2" in page
    assert 'id="own-exception"' not in logged_in(app, "alice").get(f"/assignments/{aid}").get_data(as_text=True)
    bob_second = _submit(w, aid, "bob")
    assert _refused(_submit, w, aid, "bob") == 403
    assert _refused(_submit, w, aid, "alice") == 403
    with w.db() as s:
        ids = list(s.scalars(select(Submission.id).where(Submission.assignment_id == aid)))
        jobs = {j.id: j for j in claims.take(s, ids, 60)}
        alice_first = s.scalar(select(Submission.id).where(Submission.user_id == w.ids["alice"]))
    # late days: alice counts from the assignment's due date, bob from his own
    assert late_days(jobs[alice_first].due_at, jobs[alice_first].created_at) == 3
    assert late_days(jobs[bob_second].due_at, jobs[bob_second].created_at) == 0

    # the assignment closes; bob alone may still submit (one more extra)
    with w.db() as s:
        s.get(Assignment, aid).closes_at = utcnow() - timedelta(minutes=1)
        s.get(Assignment, aid).max_submissions = None
        s.commit()
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _set(app, w, user_id=str(w.ids["bob"]), target=f"a-{aid}", closes_at=later).status_code == 302
    _submit(w, aid, "bob")
    assert _refused(_submit, w, aid, "alice") == 403


def test_bad_exceptions_are_refused_with_a_4xx(w, app):
    quiz_id = w.quiz_id("dropout")
    bob = str(w.ids["bob"])
    assert _set(app, w, user_id=str(w.ids["ta"]), target=f"q-{quiz_id}", extra="1").status_code == 422
    assert _set(app, w, user_id=bob, target="q-999999", extra="1").status_code == 422
    assert _set(app, w, user_id=bob, target=f"q-{quiz_id}", extra="-1").status_code == 400
    assert _set(app, w, user_id=bob, target=f"q-{quiz_id}", due_at="2030-01-01T00:00").status_code == 422
    assert _set(app, w, user_id="x", target=f"q-{quiz_id}", extra="1").status_code == 400
    path = f"/staff/courses/{w.course_id}/exceptions"
    assert logged_in(app, "alice").get(path).status_code in (403, 404)
    with w.db() as s:
        assert s.scalars(select(StudentException)).all() == []
    # an empty exception removes one
    assert _set(app, w, user_id=bob, target=f"q-{quiz_id}", extra="2").status_code == 302
    assert _set(app, w, user_id=bob, target=f"q-{quiz_id}", extra="").status_code == 302
    with w.db() as s:
        assert s.scalars(select(StudentException)).all() == []


def test_an_after_close_quiz_keeps_its_keys_until_every_extension_has_passed(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, feedback_policy=FeedbackPolicy.AFTER_CLOSE)
    _start(w, quiz_id, "alice")
    w.update_quiz(quiz_id, closes_at=utcnow() - timedelta(hours=1))
    attempt_id = w.attempts(quiz_id, "alice")[0].id

    def alice_sees_keys() -> bool:
        with w.db() as s:
            a = s.get(Attempt, attempt_id)
            return attempt_svc.attempt_result(s, s.get(User, w.ids["alice"]), a).feedback_visible

    assert alice_sees_keys()
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _set(app, w, user_id=str(w.ids["bob"]), target=f"q-{quiz_id}", closes_at=later).status_code == 302
    assert not alice_sees_keys()  # bob is still answering
    _start(w, quiz_id, "bob")
