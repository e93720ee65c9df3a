"""A course's settings after creation (issue 16, Time zones): the title and the time zone, by the
course's editors only; a new zone moves no date, each is shown in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from world import form_post, logged_in

from quizsvc.errors import Forbidden, Invalid
from quizsvc.models import Course, Quiz
from quizsvc.services import courses as course_svc


def test_the_time_zone_changes_and_dates_keep_their_instant(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, closes_at=datetime(2030, 1, 1, 0, 0, tzinfo=UTC))
    prof = logged_in(app, "instructor")
    course_page = prof.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    assert f'href="/staff/courses/{w.course_id}/settings"' in course_page
    path = f"/staff/courses/{w.course_id}/settings"
    page = prof.get(path).get_data(as_text=True)
    assert 'value="Asia/Seoul"' in page and '<option value="Europe/Berlin">' in page
    assert "keeps its moment in time" in page or "같은 순간" in page
    assert "2030-01-01 09:00 KST" in prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    r = form_post(prof, path, {"title": "정규화", "title_en": "Regularization", "timezone": "Europe/Berlin"},
                  token_from=path)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/courses/{w.course_id}")
    with w.db() as s:
        course = s.get(Course, w.course_id)
        assert (course.title, course.title_en, course.timezone) == ("정규화", "Regularization", "Europe/Berlin")
        assert s.get(Quiz, quiz_id).closes_at.isoformat() == "2030-01-01T00:00:00+00:00"  # the same instant
    assert "2030-01-01 01:00 CET" in prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    edit = f"/staff/quizzes/{quiz_id}/edit"
    assert 'value="2030-01-01T01:00"' in prof.get(edit).get_data(as_text=True)  # entered in the new zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "asia/seoul", "", "../../etc/passwd", "Asia/Seoul " * 10])
def test_a_zone_outside_the_iana_list_is_refused(w, app, zone):
    prof = logged_in(app, "instructor")
    path = f"/staff/courses/{w.course_id}/settings"
    r = form_post(prof, path, {"title": "정규화", "timezone": zone}, token_from=path)
    assert r.status_code in (400, 422)
    with w.db() as s:
        assert s.get(Course, w.course_id).timezone == "Asia/Seoul"


def test_only_editors_change_the_settings(w, app):
    path = f"/staff/courses/{w.course_id}/settings"
    for who in ("ta", "alice", "outsider"):
        assert logged_in(app, who).get(path).status_code == 403
    ta = logged_in(app, "ta")
    r = form_post(ta, path, {"title": "x", "timezone": "UTC"})
    assert r.status_code == 403
    assert f'href="{path}"' not in ta.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    with w.db() as s:
        course = s.get(Course, w.course_id)
        with pytest.raises(Forbidden):
            course_svc.update_course(s, w.user(s, "ta"), course, "x", "", "UTC")
        with pytest.raises(Invalid):
            course_svc.update_course(s, w.user(s, "instructor"), course, "  ", "", "UTC")
        assert course_svc.update_course(s, w.user(s, "admin"), course, "관리자", "", "UTC").timezone == "UTC"
