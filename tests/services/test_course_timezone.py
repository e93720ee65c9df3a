"""A course's time zone (default Asia/Seoul): dates are entered and shown in it, stored in UTC."""

from __future__ import annotations

from world import form_post, logged_in

from quizsvc.models import Course, Quiz


def test_dates_are_entered_and_shown_in_the_course_time_zone(w, app):
    with w.db() as s:
        assert s.get(Course, w.course_id).timezone == "Asia/Seoul"
    quiz_id = w.quiz_id("dropout")
    prof = logged_in(app, "instructor")
    path = f"/staff/quizzes/{quiz_id}/edit"
    r = form_post(prof, path, {"slug": "dropout", "title": "드롭아웃", "feedback_policy": "immediate",
                               "published": "y", "closes_at": "2030-01-01T09:00"}, token_from=path)
    assert r.status_code == 302
    with w.db() as s:  # 09:00 in Seoul is midnight UTC
        assert s.get(Quiz, quiz_id).closes_at.isoformat() == "2030-01-01T00:00:00+00:00"
    assert 'value="2030-01-01T09:00"' in prof.get(path).get_data(as_text=True)  # shown as entered
    assert "2030-01-01 09:00 KST" in logged_in(app, "alice").get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert "2030-01-01 09:00 KST" in prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)


def test_a_new_course_takes_its_time_zone_and_an_unknown_one_is_refused(w, app):
    prof = logged_in(app, "instructor")
    base = {"slug": "tz-course", "title": "시간대", "title_en": "Time zones"}
    r = form_post(prof, "/staff/courses/new", {**base, "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and "IANA" in r.get_data(as_text=True)
    r = form_post(prof, "/staff/courses/new", {**base, "timezone": "Europe/Berlin"})
    assert r.status_code == 302
    course_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with w.db() as s:
        assert s.get(Course, course_id).timezone == "Europe/Berlin"
    path = f"/staff/courses/{course_id}/quizzes/new"
    r = form_post(prof, path, {"slug": "q", "title": "퀴즈", "feedback_policy": "immediate",
                               "opens_at": "2030-07-01T10:00"}, token_from=path)
    assert r.status_code == 302
    quiz_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with w.db() as s:  # Berlin is UTC+2 in summer
        assert s.get(Quiz, quiz_id).opens_at.isoformat() == "2030-07-01T08:00:00+00:00"
    assert "2030-07-01 10:00 CEST" in prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
