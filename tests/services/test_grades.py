"""A student's own grades (the My grades page and GET /courses/{id}/grades) agree with the
gradebook the staff see; each student sees only their own; the gradebook knows an assignment's
maximum before anyone submits; staff read a choice item's key as option text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from world import Api, World, logged_in

from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    Course,
    Quiz,
    ScorePolicy,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from quizsvc.services.assignments import ensure_course_assignments
from quizsvc.services.gradebook import gradebook
from quizsvc.services.grades import student_grades
from quizsvc.services.quizzes import variant_for
from quizsvc.services.tokens import create_token


def _api(app: Any, w: World, who: str) -> Api:
    with w.db() as s:
        _, secret = create_token(s, s.get(User, w.ids[who]), f"{who}-grades", "read,answer")
    return Api(app, secret)


def _take(api: Api, w: World, quiz_id: int, who: str, right: bool) -> int:
    attempt = api("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    answers = w.answers(quiz_id, who, right=right)
    r = api("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(k): v for k, v in answers.items()}})
    assert r.status_code == 200
    return int(attempt["id"])


def _graded(s: Any, assignment: Assignment, user_id: int, score: float, *, age_hours: int, late: int = 0) -> int:
    """A graded submission as the grader stores it (the scores are what this test is about)."""
    top = float(sum(c.points for c in registry.get(assignment.grader).cases))
    sub = Submission(assignment_id=assignment.id, user_id=user_id, source="pass\n", status=SubmissionStatus.GRADED,
                     created_at=utcnow() - timedelta(hours=age_hours), finished_at=utcnow(),
                     score=score, raw_score=score, max_score=top, late_days=late, result={"cases": []})
    s.add(sub)
    s.commit()
    return sub.id


@pytest.fixture
def graded(app: Any, w: World) -> dict[str, Any]:
    """Alice and Bob each took a quiz (Alice twice: a wrong then a right attempt) and have graded
    submissions: on a 'last counts' assignment Alice's later, lower score is the one kept."""
    alice, bob = _api(app, w, "alice"), _api(app, w, "bob")
    quiz_id = w.quiz_id("overfitting-and-norms")
    _take(alice, w, quiz_id, "alice", right=False)
    best_attempt = _take(alice, w, quiz_id, "alice", right=True)
    _take(bob, w, quiz_id, "bob", right=False)
    with w.db() as s:
        course = s.get(Course, w.course_id)
        ensure_course_assignments(s, course)
        first, second = list(s.scalars(select(Assignment).where(Assignment.course_id == course.id)
                                       .order_by(Assignment.position)))[:2]
        second.score_policy = ScorePolicy.LAST
        s.commit()
        _graded(s, first, w.ids["alice"], 5.0, age_hours=3)
        kept_best = _graded(s, first, w.ids["alice"], 9.0, age_hours=2, late=2)
        _graded(s, first, w.ids["alice"], 4.0, age_hours=1)
        _graded(s, second, w.ids["alice"], 8.0, age_hours=2)
        kept_last = _graded(s, second, w.ids["alice"], 3.0, age_hours=1)
        bob_sub = _graded(s, first, w.ids["bob"], 1.0, age_hours=1)
        return {"quiz_id": quiz_id, "best_attempt": best_attempt, "first": first.id, "second": second.id,
                "kept_best": kept_best, "kept_last": kept_last, "bob_sub": bob_sub, "alice": alice, "bob": bob}


def test_gradebook_knows_an_assignments_maximum_before_its_first_graded_submission(app, w):
    with w.db() as s:
        course = s.get(Course, w.course_id)
        ensure_course_assignments(s, course)
        book = gradebook(s, s.get(User, w.ids["instructor"]), course)
        tops = {c.key: c.max_score for c in book.columns if c.key.startswith("a")}
        assignments = list(s.scalars(select(Assignment).where(Assignment.course_id == course.id)))
        assert tops and all(v > 0 for v in tops.values())
        for a in assignments:
            assert tops[f"a{a.id}"] == sum(c.points for c in registry.get(a.grader).cases)
    page = logged_in(app, "instructor").get(f"/staff/courses/{w.course_id}/gradebook").get_data(as_text=True)
    assert "/0<" not in page


def test_my_grades_agree_with_the_gradebook(app, w, graded):
    with w.db() as s:
        course = s.get(Course, w.course_id)
        book = gradebook(s, s.get(User, w.ids["instructor"]), course)
        for who in ("alice", "bob"):
            row = next(scores for user, scores in book.rows if user.id == w.ids[who])
            mine = student_grades(s, s.get(User, w.ids[who]), course)
            columns = {c.key: c.max_score for c in book.columns}
            for g in mine.quizzes:
                assert (g.score, g.max_score) == (row[f"q{g.quiz.id}"], columns[f"q{g.quiz.id}"])
            for a in mine.assignments:
                assert (a.score, a.max_score) == (row[f"a{a.assignment.id}"], columns[f"a{a.assignment.id}"])
            assert mine.total == book.total(row)
        mine = student_grades(s, s.get(User, w.ids["alice"]), course)
        quiz = next(g for g in mine.quizzes if g.quiz.id == graded["quiz_id"])
        assert quiz.attempts_used == 2 and quiz.attempt_id == graded["best_attempt"]
        assert quiz.score == quiz.max_score == sum(i.points for i in s.get(Quiz, graded["quiz_id"]).items)
        first = next(g for g in mine.assignments if g.assignment.id == graded["first"])
        second = next(g for g in mine.assignments if g.assignment.id == graded["second"])
        assert (first.score, first.late_days, first.submission_id) == (9.0, 2, graded["kept_best"])
        assert (second.score, second.submission_id) == (3.0, graded["kept_last"])  # 'last counts'


def test_the_api_gives_each_student_only_their_own_grades(app, w, graded):
    alice, bob = graded["alice"], graded["bob"]
    r = alice("GET", f"/courses/{w.course_id}/grades")
    assert r.status_code == 200
    body = r.get_json()
    first = next(a for a in body["assignments"] if a["assignment_id"] == graded["first"])
    assert (first["score"], first["late_days"], first["submission_id"]) == (9.0, 2, graded["kept_best"])
    assert first["feedback_url"].endswith(f"/api/v1/submissions/{graded['kept_best']}")
    quiz = next(q for q in body["quizzes"] if q["quiz_id"] == graded["quiz_id"])
    assert quiz["attempts_used"] == 2 and quiz["feedback_url"].endswith(f"/attempts/{graded['best_attempt']}/result")
    ids = {a["submission_id"] for a in body["assignments"]}
    assert graded["bob_sub"] not in ids
    mine = bob("GET", f"/courses/{w.course_id}/grades").get_json()
    assert {a["submission_id"] for a in mine["assignments"]} - {None} == {graded["bob_sub"]}
    # Another student's feedback is not reachable through the links of one's own grades.
    assert bob("GET", f"/submissions/{graded['kept_best']}").status_code == 404
    assert bob("GET", f"/attempts/{graded['best_attempt']}/result").status_code == 404
    # Not a member: no grades at all.
    assert _api(app, w, "outsider")("GET", f"/courses/{w.course_id}/grades").status_code == 403


def test_a_score_after_close_quiz_stays_hidden_until_it_closes(app, w, graded):
    from quizsvc.models import FeedbackPolicy

    w.update_quiz(graded["quiz_id"], feedback_policy=FeedbackPolicy.AFTER_CLOSE,
                  closes_at=utcnow() + timedelta(days=1))
    quiz = next(q for q in graded["alice"]("GET", f"/courses/{w.course_id}/grades").get_json()["quizzes"]
                if q["quiz_id"] == graded["quiz_id"])
    assert quiz["score"] is None and quiz["score_hidden"] is True


def test_my_grades_page_shows_scores_and_feedback_links(app, w, graded):
    page = logged_in(app, "alice").get(f"/courses/{w.course_id}/grades")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/submissions/{graded["kept_best"]}"' in html
    assert f'href="/attempts/{graded["best_attempt"]}/result"' in html
    assert f'/submissions/{graded["bob_sub"]}"' not in html
    assert logged_in(app, "outsider").get(f"/courses/{w.course_id}/grades").status_code == 403


def test_staff_read_a_choice_key_as_option_text(app, w, graded):
    with w.db() as s:
        attempt = s.get(Attempt, graded["best_attempt"])
        item = next(i for i in attempt.quiz.items if i.type_name == "single_choice")
        variant = variant_for(item, w.ids["alice"], attempt.quiz.shuffle_options)
        [key] = variant.key if isinstance(variant.key, list) else [variant.key]
        option = next(o for o in variant.options if o["id"] == key)
        text = option["text"]["ko"] if isinstance(option["text"], dict) else option["text"]
        item_id = item.id
    staff = logged_in(app, "instructor")
    for path in (f"/staff/attempts/{graded['best_attempt']}", f"/staff/items/{item_id}/preview"):
        html = staff.get(path).get_data(as_text=True)
        assert f"<code>{key}</code>" not in html, path
        keys = html.split('class="key"')[1:]
        assert any(text.split("$")[0].strip()[:10] in k.split("</p>")[0] for k in keys), path


def test_korean_titles_on_an_english_page_are_marked_as_korean(app, w, graded):
    from markupsafe import escape
    from world import form_post

    with w.db() as s:
        title = s.get(Course, w.course_id).title
    alice = logged_in(app, "alice")
    path = f"/courses/{w.course_id}/grades"
    assert f'<span lang="ko">{escape(title)}</span>' not in alice.get(path).get_data(as_text=True)  # Korean page
    form_post(alice, "/lang/en", {"next": path})
    html = alice.get(path).get_data(as_text=True)
    assert '<html lang="en">' in html and f'<span lang="ko">{escape(title)}</span>' in html
