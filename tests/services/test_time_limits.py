"""Time limits on quizzes (issue 16): the deadline fixed at the start (limit + the student's
extra time, capped by their close date), answers refused after it (after a short grace),
attempts past it finished with what was saved, autosave that never submits, the unanswered
summary before submitting, and a staff preview that stores nothing (on both databases)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from world import API, form_data, form_post, logged_in, make_token, start_web_attempt

from quizsvc.errors import Conflict, Forbidden, Invalid
from quizsvc.models import Attempt, AttemptStatus, Course, Quiz, Response, StudentException, utcnow
from quizsvc.quiz.bank import check_dir
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import exceptions, insight
from quizsvc.services.bank import export_to_dir, import_bank
from quizsvc.services.demo import DEMO_BANK

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _timed(w: Any, slug: str = "dropout", minutes: int = 20, **values: Any) -> int:
    quiz_id = w.quiz_id(slug)
    w.update_quiz(quiz_id, time_limit_minutes=minutes, **values)
    return quiz_id


def _start(w: Any, quiz_id: int, who: str = "alice") -> int:
    with w.db() as s:
        return attempt_svc.start_attempt(s, w.user(s, who), s.get(Quiz, quiz_id)).id


def _move_deadline(w: Any, attempt_id: int, seconds_from_now: float) -> None:
    with w.db() as s:
        s.get(Attempt, attempt_id).deadline_at = utcnow() + timedelta(seconds=seconds_from_now)
        s.commit()


def _attempt(w: Any, attempt_id: int) -> Attempt:
    with w.db() as s:
        a = s.get(Attempt, attempt_id)
        _ = [(r.item_id, r.answer, r.score) for r in a.responses]
        return a


# --- the deadline -------------------------------------------------------------------------------


def test_deadline_is_the_limit_plus_extra_time_capped_by_the_students_close_date():
    quiz = Quiz(time_limit_minutes=30, closes_at=T0 + timedelta(hours=2))
    assert attempt_svc.deadline_for(quiz, T0, None) == T0 + timedelta(minutes=30)
    extra = StudentException(extra_minutes=15, closes_at=None)
    assert attempt_svc.deadline_for(quiz, T0, extra) == T0 + timedelta(minutes=45)
    # started late: the close date comes first
    assert attempt_svc.deadline_for(quiz, T0 + timedelta(minutes=100), None) == T0 + timedelta(hours=2)
    # the student's own close date replaces the quiz's, also as the cap
    own = StudentException(extra_minutes=0, closes_at=T0 + timedelta(minutes=10))
    assert attempt_svc.deadline_for(quiz, T0, own) == T0 + timedelta(minutes=10)
    later = StudentException(extra_minutes=60, closes_at=T0 + timedelta(hours=5))
    assert attempt_svc.deadline_for(quiz, T0 + timedelta(minutes=100), later) == T0 + timedelta(minutes=190)
    assert attempt_svc.deadline_for(Quiz(time_limit_minutes=None, closes_at=T0), T0, extra) is None


def test_starting_fixes_the_deadline_with_the_students_extra_time(w, app):
    quiz_id = _timed(w, minutes=20)
    path = f"/staff/courses/{w.course_id}/exceptions"
    r = form_post(logged_in(app, "instructor"), path,
                  {"user_id": str(w.ids["alice"]), "target": f"q-{quiz_id}", "extra": "0", "extra_minutes": "15"},
                  token_from=path)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = logged_in(app, "instructor").get(path).get_data(as_text=True)
    assert "15" in page and "extra_minutes" in page
    for who, minutes in (("alice", 35), ("bob", 20)):
        before = utcnow()
        attempt = _attempt(w, _start(w, quiz_id, who))
        assert before + timedelta(minutes=minutes) <= attempt.deadline_at <= utcnow() + timedelta(minutes=minutes)
    # the student's quiz page says so, and shows the deadline as text (no JavaScript needed)
    page = logged_in(app, "alice").get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="time-limit"' in page and 'id="attempt-deadline"' in page


def test_extra_time_is_refused_for_an_assignment_and_out_of_range(w):
    quiz_id, assignment_id = w.quiz_id("dropout"), w.assignment("groupnorm").id
    with w.db() as s:
        prof, course = w.user(s, "instructor"), s.get(Course, w.course_id)
        for target, minutes in ((f"q-{quiz_id}", -1), (f"q-{quiz_id}", exceptions.MAX_EXTRA_MINUTES + 1),
                                (f"a-{assignment_id}", 10)):
            with pytest.raises(Invalid) as info:
                exceptions.set_exception(s, prof, course, exceptions.ExceptionInput(
                    w.ids["alice"], target, None, None, 0, minutes))
            assert "extra_minutes" in info.value.details["errors"]
        assert s.scalar(select(func.count()).select_from(StudentException)) == 0


def test_an_untimed_quiz_has_no_deadline(w):
    attempt = _attempt(w, _start(w, w.quiz_id("dropout")))
    assert attempt.deadline_at is None


# --- after the deadline ---------------------------------------------------------------------------


def test_answers_after_the_deadline_are_refused_and_the_saved_ones_submitted(w):
    quiz_id = _timed(w)
    attempt_id = _start(w, quiz_id)
    answers = w.answers(quiz_id, "alice")
    first, second = list(answers)[:2]
    with w.db() as s:
        attempt_svc.save_answers(s, w.user(s, "alice"), s.get(Attempt, attempt_id), {first: answers[first]})
    _move_deadline(w, attempt_id, -(attempt_svc.GRACE.total_seconds() + 1))
    with w.db() as s, pytest.raises(Conflict) as info:
        attempt_svc.save_answers(s, w.user(s, "alice"), s.get(Attempt, attempt_id), {second: answers[second]})
    assert info.value.details.get("time_up")
    a = _attempt(w, attempt_id)
    assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == a.deadline_at
    stored = {r.item_id: r for r in a.responses}
    assert stored[first].score and stored[first].score > 0 and a.score == stored[first].score
    assert "value" not in stored[second].answer and stored[second].score == 0
    with w.db() as s, pytest.raises(Conflict):  # a late submit changes nothing either
        attempt_svc.submit_attempt(s, w.user(s, "alice"), s.get(Attempt, attempt_id), answers)
    assert _attempt(w, attempt_id).score == a.score


def test_answers_within_the_grace_period_are_taken(w):
    quiz_id = _timed(w)
    attempt_id = _start(w, quiz_id)
    _move_deadline(w, attempt_id, -attempt_svc.GRACE.total_seconds() / 3)
    answers = w.answers(quiz_id, "alice")
    with w.db() as s:
        result = attempt_svc.submit_attempt(s, w.user(s, "alice"), s.get(Attempt, attempt_id), answers)
        assert result.score == result.max_score


def test_finishing_is_idempotent_and_only_one_of_two_sessions_does_it(w):
    quiz_id = _timed(w)
    attempt_id = _start(w, quiz_id)
    _move_deadline(w, attempt_id, -60)
    with w.app.app_context():
        from sqlalchemy.orm import Session

        from quizsvc.db import get_engine

        engine = get_engine()
        with Session(engine) as one, Session(engine) as two:
            a1, a2 = one.get(Attempt, attempt_id), two.get(Attempt, attempt_id)
            assert a1.status == a2.status == AttemptStatus.IN_PROGRESS
            assert attempt_svc.finish_if_past_deadline(one, a1) is True
            assert attempt_svc.finish_if_past_deadline(two, a2) is False  # its copy was stale
            assert a2.status == AttemptStatus.SUBMITTED
            assert attempt_svc.finish_if_past_deadline(one, a1) is False
    with w.db() as s:
        assert s.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == attempt_id)) \
            == len(w.items(quiz_id))  # scored once: one response per item


def test_listing_and_grade_views_finish_attempts_whose_time_is_up(w, app):
    quiz_id = _timed(w)
    alice_attempt, bob_attempt = _start(w, quiz_id, "alice"), _start(w, quiz_id, "bob")
    for a in (alice_attempt, bob_attempt):
        _move_deadline(w, a, -60)
    page = logged_in(app, "instructor").get(f"/staff/quizzes/{quiz_id}/results").get_data(as_text=True)
    assert all(_attempt(w, a).status == AttemptStatus.SUBMITTED for a in (alice_attempt, bob_attempt))
    assert f'href="/staff/attempts/{alice_attempt}">#1 (0/' in page and f'href="/staff/attempts/{bob_attempt}">#1 (0/' in page
    # My grades of a student counts it too
    third = _start(w, quiz_id, "alice")
    _move_deadline(w, third, -60)
    assert logged_in(app, "alice").get(f"/courses/{w.course_id}/grades").status_code == 200
    assert _attempt(w, third).status == AttemptStatus.SUBMITTED
    # and so do the statistics
    fourth = _start(w, quiz_id, "bob")
    _move_deadline(w, fourth, -60)
    with w.db() as s:
        stats = insight.quiz_statistics(s, w.user(s, "instructor"), s.get(Quiz, quiz_id), "all")
        assert stats.attempts == 4
    assert _attempt(w, fourth).status == AttemptStatus.SUBMITTED


def test_the_attempt_page_after_the_deadline_shows_the_result(w, app):
    quiz_id = _timed(w)
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    page = alice.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="clock"' in page and "data-deadline=" in page
    _move_deadline(w, attempt_id, -60)
    r = form_post(alice, f"/attempts/{attempt_id}", {**form_data(w.answers(quiz_id, "alice")), "action": "save"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    assert 'id="time-up"' in alice.get(r.headers["Location"]).get_data(as_text=True)
    assert _attempt(w, attempt_id).score == 0  # the late answers were not taken


# --- autosave ---------------------------------------------------------------------------------------


def test_autosave_stores_answers_and_never_submits_or_consumes_an_attempt(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, max_attempts=1)
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    answers = w.answers(quiz_id, "alice")
    for _ in range(3):
        r = form_post(alice, f"/attempts/{attempt_id}/autosave", form_data(answers), headers={"Accept": "application/json"})
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.get_json()["errors"] == {}
    a = _attempt(w, attempt_id)
    assert a.status == AttemptStatus.IN_PROGRESS and len(a.responses) == len(answers)
    with w.db() as s:
        assert attempt_svc.submitted_count(s, s.get(Quiz, quiz_id), w.user(s, "alice")) == 0
    # still the one attempt allowed: submitting it works and scores what was saved
    r = form_post(alice, f"/attempts/{attempt_id}", {"action": "submit", "confirmed": "1"})
    assert r.status_code == 302 and _attempt(w, attempt_id).score == _attempt(w, attempt_id).max_score


def test_autosave_of_a_malformed_answer_is_422_and_keeps_what_was_saved(w, app):
    quiz_id = w.quiz_id("dropout")
    numeric = [i["id"] for i in w.items(quiz_id) if i["type"] == "numeric"]
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    answers = w.answers(quiz_id, "alice")
    assert form_post(alice, f"/attempts/{attempt_id}/autosave", {f"item-{numeric[0]}": answers[numeric[0]]}).status_code == 200
    r = form_post(alice, f"/attempts/{attempt_id}/autosave",
                  {f"item-{numeric[0]}": "twelve", f"item-{numeric[1]}": answers[numeric[1]]})
    assert r.status_code == 422
    body = r.get_json()
    assert body["message"] and body["errors"][str(numeric[0])] and str(numeric[1]) not in body["errors"]
    saved = {x.item_id: x.answer["value"] for x in _attempt(w, attempt_id).responses}
    assert saved[numeric[0]] == pytest.approx(float(answers[numeric[0]]))  # the earlier answer kept
    assert numeric[1] in saved
    assert _attempt(w, attempt_id).status == AttemptStatus.IN_PROGRESS


def test_autosave_after_the_deadline_is_refused_with_the_result_page(w, app):
    quiz_id = _timed(w)
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    _move_deadline(w, attempt_id, -60)
    r = form_post(alice, f"/attempts/{attempt_id}/autosave", form_data(w.answers(quiz_id, "alice")))
    assert r.status_code == 409 and r.get_json()["redirect"].endswith(f"/attempts/{attempt_id}/result")
    assert _attempt(w, attempt_id).status == AttemptStatus.SUBMITTED
    assert form_post(logged_in(app, "bob"), f"/attempts/{attempt_id}/autosave", {}).status_code == 404


# --- the unanswered summary ----------------------------------------------------------------------------


def test_submitting_with_unanswered_questions_asks_first_without_javascript(w, app):
    quiz_id = w.quiz_id("dropout")
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    answers = w.answers(quiz_id, "alice")
    first = next(iter(answers))
    r = form_post(alice, f"/attempts/{attempt_id}", {f"item-{first}": answers[first], "action": "submit"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="unanswered"' in page
    missing = [i for i in answers if i != first]
    assert all(f"#item-{i}" in page for i in missing) and f"#item-{first}\"" not in page
    a = _attempt(w, attempt_id)
    assert a.status == AttemptStatus.IN_PROGRESS and [x.item_id for x in a.responses] == [first]
    r = form_post(alice, f"/attempts/{attempt_id}", {"action": "submit", "confirmed": "1"})
    assert r.status_code == 302
    a = _attempt(w, attempt_id)
    assert a.status == AttemptStatus.SUBMITTED and a.score and a.score > 0


# --- staff preview ------------------------------------------------------------------------------------


def test_staff_preview_a_quiz_and_store_no_attempt(w, app):
    quiz_id = _timed(w)
    prof = logged_in(app, "instructor")
    page = prof.get(f"/staff/quizzes/{quiz_id}/preview").get_data(as_text=True)
    assert 'id="preview-banner"' in page and 'id="preview-time-limit"' in page
    with w.db() as s:
        items = s.get(Quiz, quiz_id).items
        from world import typed_answer

        from quizsvc.services.quizzes import variant_for

        answers = {}
        for item in items:
            v = variant_for(item, f"preview-{w.ids['instructor']}", True)
            answers[item.id] = typed_answer(item, v.key, v.options, True)
        total = sum(i.points for i in items)
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/preview", form_data(answers))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and f"{total:g} / {total:g}" in page
    # staff who press Start on the student view are sent to the preview
    r = form_post(prof, f"/quizzes/{quiz_id}/start")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/quizzes/{quiz_id}/preview")
    with w.db() as s:
        with pytest.raises(Forbidden):
            attempt_svc.start_attempt(s, w.user(s, "ta"), s.get(Quiz, quiz_id))
        assert s.scalar(select(func.count()).select_from(Attempt)) == 0
        assert s.scalar(select(func.count()).select_from(Response)) == 0
        stats = insight.quiz_statistics(s, w.user(s, "instructor"), s.get(Quiz, quiz_id), "all")
        assert all(i.n == 0 for i in stats.items)
    assert logged_in(app, "alice").get(f"/staff/quizzes/{quiz_id}/preview").status_code == 403


def test_attempts_staff_made_before_previews_are_left_out_of_the_statistics(w):
    quiz_id = w.quiz_id("dropout")
    with w.db() as s:  # as such a row was made before: a submitted attempt of the TA
        s.add(Attempt(quiz_id=quiz_id, user_id=w.ids["ta"], number=1, status=AttemptStatus.SUBMITTED,
                      submitted_at=utcnow(), score=1.0, max_score=1.0))
        s.commit()
    with w.db() as s:
        attempt_svc.submit_attempt(s, w.user(s, "alice"), attempt_svc.start_attempt(s, w.user(s, "alice"),
                                                                                     s.get(Quiz, quiz_id)))
    with w.db() as s:
        stats = insight.quiz_statistics(s, w.user(s, "instructor"), s.get(Quiz, quiz_id), "all")
        assert stats.attempts == 1


# --- bank, API -----------------------------------------------------------------------------------------


def test_bank_round_trip_keeps_the_time_limit_and_check_refuses_a_bad_one(app, session, tmp_path, fresh_db_url):
    bank = tmp_path / "bank"
    shutil.copytree(DEMO_BANK, bank)
    path = sorted(p for p in bank.glob("*.yaml") if p.name != "course.yaml")[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["time_limit_minutes"] = 25
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    course = import_bank(session, None, bank)
    quiz = next(q for q in course.quizzes if q.slug == data["slug"])
    assert quiz.time_limit_minutes == 25
    out = tmp_path / "out"
    export_to_dir(session, None, course, out)
    assert yaml.safe_load((out / path.name).read_text(encoding="utf-8"))["time_limit_minutes"] == 25
    for bad in (0, "20", True):
        data["time_limit_minutes"] = bad
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        _, problems = check_dir(bank)
        assert any("time_limit_minutes" in str(p) for p in problems), bad


def test_the_quiz_form_and_the_api_carry_the_time_limit(w, app):
    quiz_id = w.quiz_id("dropout")
    prof = logged_in(app, "instructor")
    page = prof.get(f"/staff/quizzes/{quiz_id}/edit").get_data(as_text=True)
    assert 'name="time_limit_minutes"' in page
    with w.db() as s:
        q = s.get(Quiz, quiz_id)
        form = {"slug": q.slug, "title": q.title, "title_en": q.title_en, "feedback_policy": "immediate",
                "shuffle_options": "y", "published": "y", "time_limit_minutes": "45"}
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/edit", form)
    assert r.status_code == 302, r.get_data(as_text=True)
    with w.db() as s:
        assert s.get(Quiz, quiz_id).time_limit_minutes == 45
    assert form_post(prof, f"/staff/quizzes/{quiz_id}/edit", {**form, "time_limit_minutes": "0"}).status_code != 302
    token = make_token(w, "alice")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/quizzes/{quiz_id}", headers=auth).get_json()["time_limit_minutes"] == 45
    body = client.post(f"{API}/quizzes/{quiz_id}/attempts", headers=auth).get_json()
    assert body["deadline_at"] is not None
    assert datetime.fromisoformat(body["deadline_at"]) - datetime.fromisoformat(body["started_at"]) \
        == timedelta(minutes=45)
