"""An assignment's settings, publishing and the staff's "preview as student" in the browser
(Flask test client, real forms with CSRF tokens)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from world import World, form_post, logged_in, make_token

from quizsvc.grading import registry
from quizsvc.models import Assignment, Submission

SUITE = registry.get("batchnorm")
FORM = {"title": "배치 정규화 실습", "title_en": "Batch norm lab", "opens_at": "2030-03-02T09:00",
        "due_at": "2030-03-16T23:59", "closes_at": "2030-03-23T23:59", "late_penalty_per_day": "0.2",
        "max_submissions": "3", "score_policy": "last"}


def _submissions(w: World) -> int:
    with w.db() as s:
        return s.scalar(select(func.count()).select_from(Submission))


def _cases_table(html: str) -> str:
    m = re.search(r'<table class="table" id="cases">.*?</table>', html, re.S)
    assert m, html[:2000]
    return m.group(0)


def test_the_instructor_edits_settings_in_the_course_time_zone(w, app):
    a = w.assignment("batchnorm")
    prof = logged_in(app, "instructor")
    course_page = prof.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    assert f'href="/staff/assignments/{a.id}/edit"' in course_page
    assert f'href="/staff/assignments/{a.id}/preview"' in course_page
    staff_page = prof.get(f"/staff/assignments/{a.id}").get_data(as_text=True)
    assert 'id="edit-assignment"' in staff_page and 'id="toggle-publish"' in staff_page
    path = f"/staff/assignments/{a.id}/edit"
    page = prof.get(path).get_data(as_text=True)
    assert f'value="{a.title}"' in page and "Asia/Seoul" in page
    r = form_post(prof, path, FORM, token_from=path)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/assignments/{a.id}")
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert stored.opens_at == datetime(2030, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
        assert stored.due_at == datetime(2030, 3, 16, 14, 59, tzinfo=UTC)
        assert (stored.title, stored.title_en, stored.late_penalty_per_day, stored.max_submissions,
                stored.score_policy.value) == ("배치 정규화 실습", "Batch norm lab", 0.2, 3, "last")
    page = prof.get(path).get_data(as_text=True)  # shown back as entered
    assert 'value="2030-03-16T23:59"' in page and 'value="0.2"' in page and 'value="3"' in page
    assert re.search(r'<option selected value="last">|<option value="last" selected>', page)
    staff_page = prof.get(f"/staff/assignments/{a.id}").get_data(as_text=True)
    assert "2030-03-16 23:59 KST" in staff_page and "20%" in staff_page
    # the student reads the new dates and limit on the assignment's page
    student_page = logged_in(app, "alice").get(f"/assignments/{a.id}").get_data(as_text=True)
    assert "2030-03-16 23:59 KST" in student_page and "0 / 3" in student_page
    # an empty limit is unlimited again
    r = form_post(prof, path, {**FORM, "max_submissions": ""}, token_from=path)
    assert r.status_code == 302
    with w.db() as s:
        assert s.get(Assignment, a.id).max_submissions is None


@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"closes_at": "2030-03-10T00:00"}, 422, "마감 시각은 제출 기한보다 앞설 수 없습니다."),
    ({"opens_at": "2030-03-20T00:00", "closes_at": ""}, 422, "제출 기한은 시작 시각보다 앞설 수 없습니다."),
    ({"late_penalty_per_day": "1.5"}, 422, "하루 지각 감점은 0에서 1 사이의 비율입니다"),
    ({"max_submissions": "0"}, 422, "제출 횟수 제한은 1에서"),
    ({"score_policy": "average"}, 400, "올바르지 않은 선택값입니다."),
    ({"late_penalty_per_day": "열"}, 400, "올바르지 않은 float 값입니다."),
    ({"title": ""}, 400, "이 항목은 필수입니다."),
])
def test_bad_settings_are_shown_again_with_the_reason_and_nothing_changes(w, app, changes, status, message):
    a = w.assignment("batchnorm")
    prof = logged_in(app, "instructor")
    path = f"/staff/assignments/{a.id}/edit"
    r = form_post(prof, path, {**FORM, **changes}, token_from=path)
    page = r.get_data(as_text=True)
    assert r.status_code == status, page
    assert message in page and "has-error" in page  # next to its field
    if status == 422:  # the service's reason is flashed too
        assert page.count(message) >= 2
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert (stored.title, stored.due_at, stored.max_submissions) == (a.title, a.due_at, a.max_submissions)


def test_without_a_csrf_token_nothing_is_saved_or_published(w, app):
    a = w.assignment("batchnorm")
    prof = logged_in(app, "instructor")
    assert prof.post(f"/staff/assignments/{a.id}/edit", data=FORM).status_code == 400
    prof.post(f"/staff/assignments/{a.id}/publish", data={"published": "0"})
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert stored.title == a.title and stored.published is True


@pytest.mark.parametrize("who", ["ta", "alice", "outsider"])
def test_only_instructors_reach_the_settings_and_the_publish_button(w, app, who):
    a = w.assignment("batchnorm")
    client = logged_in(app, who)
    assert client.get(f"/staff/assignments/{a.id}/edit").status_code == 403
    assert form_post(client, f"/staff/assignments/{a.id}/edit", FORM).status_code == 403
    assert form_post(client, f"/staff/assignments/{a.id}/publish", {"published": "0"}).status_code == 403
    with w.db() as s:
        assert s.get(Assignment, a.id).published is True and s.get(Assignment, a.id).title == a.title


def test_unpublish_hides_the_assignment_from_students_and_publish_brings_it_back(w, app):
    a = w.assignment("layernorm")
    prof, alice = logged_in(app, "instructor"), logged_in(app, "alice")
    link = f'href="/assignments/{a.id}"'
    assert link in alice.get(f"/courses/{w.course_id}").get_data(as_text=True)
    r = form_post(prof, f"/staff/assignments/{a.id}/publish", {"published": "0"})
    assert r.status_code == 302
    page = prof.get(f"/staff/assignments/{a.id}").get_data(as_text=True)
    assert 'id="assignment-status">비공개' in page or 'id="assignment-status">초안' in page
    assert link not in alice.get(f"/courses/{w.course_id}").get_data(as_text=True)
    assert alice.get(f"/assignments/{a.id}").status_code == 404
    form_post(prof, f"/staff/assignments/{a.id}/publish", {"published": "1"})
    assert alice.get(f"/assignments/{a.id}").status_code == 200


def test_preview_grades_as_a_student_sees_it_and_stores_nothing(w, app):
    a = w.assignment("batchnorm")
    prof = logged_in(app, "instructor")
    form_post(prof, f"/staff/assignments/{a.id}/publish", {"published": "0"})  # works unpublished
    path = f"/staff/assignments/{a.id}/preview"
    page = prof.get(path).get_data(as_text=True)
    assert 'id="preview-banner"' in page and "미리 보기" in page and "기록되지 않습니다" in page
    assert f'action="{path}"' in page and "batchnorm_forward" in page
    before = _submissions(w)
    r = form_post(prof, path, {"code": SUITE.solutions[0].source}, token_from=path)
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    top = sum(c.points for c in SUITE.cases)
    assert f'id="score">{top:g} / {top:g}<' in page
    assert page.count('class="pass"') == len(SUITE.cases) and 'class="fail"' not in page
    # a known mistake, as an uploaded file: diagnosed, hidden cases by their category only
    mistake = SUITE.mistakes[0]
    from io import BytesIO

    r = form_post(prof, path, {"file": (BytesIO(mistake.source.encode()), "bn.py")}, token_from=path,
                  content_type="multipart/form-data")
    preview_page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'class="fail"' in preview_page
    assert mistake.title.ko in preview_page
    # bad code is refused as a student's would be, with nothing stored either
    r = form_post(prof, path, {"code": "   "}, token_from=path)
    assert r.status_code == 422 and "제출한 코드가 비어 있습니다." in r.get_data(as_text=True)
    assert _submissions(w) == before == 0
    # The same mistake submitted by a student: the same table of cases, word for word.
    form_post(prof, f"/staff/assignments/{a.id}/publish", {"published": "1"})
    secret = make_token(w, "alice", "read,submit")
    api = app.test_client()
    sub = api.post("/api/v1/assignments/batchnorm/submissions?wait=30",
                   headers={"Authorization": f"Bearer {secret}"}, json={"code": mistake.source}).get_json()
    deadline = time.monotonic() + 30
    alice = logged_in(app, "alice")
    while 'id="cases"' not in (student_page := alice.get(f"/submissions/{sub['id']}").get_data(as_text=True)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _cases_table(preview_page) == _cases_table(student_page)
    assert any(not c.visible for c in SUITE.cases)  # so hidden cases were compared too


@pytest.mark.parametrize("who", ["alice", "outsider"])
def test_students_and_outsiders_cannot_preview(w, app, who):
    a = w.assignment("batchnorm")
    client = logged_in(app, who)
    path = f"/staff/assignments/{a.id}/preview"
    assert client.get(path).status_code == 403
    assert form_post(client, path, {"code": SUITE.solutions[0].source}).status_code == 403
    assert _submissions(w) == 0


def test_a_ta_can_preview_but_not_edit(w, app):
    a = w.assignment("layernorm")
    ta = logged_in(app, "ta")
    page = ta.get(f"/staff/assignments/{a.id}").get_data(as_text=True)
    assert 'id="preview-assignment"' in page and 'id="edit-assignment"' not in page
    path = f"/staff/assignments/{a.id}/preview"
    r = form_post(ta, path, {"code": registry.get("layernorm").solutions[0].source}, token_from=path)
    assert r.status_code == 200 and 'id="score"' in r.get_data(as_text=True)
    assert _submissions(w) == 0


def test_an_assignment_whose_grader_is_missing_has_no_preview_and_says_why(w, app):
    a = w.assignment("batchnorm")
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        stored.grader, stored.published = "no_such_grader", False
        s.commit()
    prof = logged_in(app, "instructor")
    assert 'id="preview-assignment"' not in prof.get(f"/staff/assignments/{a.id}").get_data(as_text=True)
    path = f"/staff/assignments/{a.id}/preview"
    r = prof.get(path)
    assert r.status_code == 409 and "채점기가 설치되어 있지 않습니다" in r.get_data(as_text=True)
    assert form_post(prof, path, {"code": SUITE.solutions[0].source}).status_code == 409
    r = form_post(prof, f"/staff/assignments/{a.id}/publish", {"published": "1"}, follow_redirects=True)
    assert "채점기가 설치되어 있지 않아 공개할 수 없습니다" in r.get_data(as_text=True)
    with w.db() as s:
        assert s.get(Assignment, a.id).published is False
