"""An assignment's settings as its instructors edit them (services.assignment_settings): dates in
the course's time zone, each refusal in both languages, publishing as an action of its own."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from world import World

from quizsvc.errors import Conflict, DomainError, Forbidden, Invalid
from quizsvc.models import Assignment, Course, ScorePolicy, Submission, SubmissionStatus
from quizsvc.services import assignment_settings as svc
from quizsvc.services import assignments as assignment_svc

GOOD = svc.SettingsInput(
    title="배치 정규화 (수정)", title_en="Batch norm (edited)", opens_at=datetime(2030, 3, 2, 9, 0),
    due_at=datetime(2030, 3, 16, 23, 59), closes_at=datetime(2030, 3, 23, 23, 59),
    late_penalty_per_day=0.25, max_submissions=5, score_policy="last")


def _update(w: World, assignment_id: int, inp: svc.SettingsInput, who: str = "instructor") -> svc.Saved:
    with w.db() as s:
        return svc.update_settings(s, w.user(s, who), s.get(Assignment, assignment_id), inp)


def test_a_valid_update_is_stored_with_its_dates_in_utc(w):
    a = w.assignment("batchnorm")
    saved = _update(w, a.id, GOOD)
    assert set(saved.changed) >= {"title", "title_en", "opens_at", "due_at", "closes_at",
                                  "late_penalty_per_day", "max_submissions", "score_policy"}
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert (stored.title, stored.title_en) == ("배치 정규화 (수정)", "Batch norm (edited)")
        # Seoul is UTC+9 all year: 09:00 there is midnight UTC
        assert stored.opens_at == datetime(2030, 3, 2, 0, 0, tzinfo=UTC)
        assert stored.due_at == datetime(2030, 3, 16, 14, 59, tzinfo=UTC)
        assert stored.closes_at == datetime(2030, 3, 23, 14, 59, tzinfo=UTC)
        assert (stored.late_penalty_per_day, stored.max_submissions, stored.score_policy) == (
            0.25, 5, ScorePolicy.LAST)
    # empty limit and dates: unlimited, none
    _update(w, a.id, svc.SettingsInput(title="배치 정규화", late_penalty_per_day=0.0))
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert (stored.max_submissions, stored.opens_at, stored.due_at, stored.closes_at) == (None,) * 4
        assert stored.title_en == ""


def test_dates_convert_both_ways_in_the_course_time_zone(w):
    a = w.assignment("layernorm")
    with w.db() as s:
        s.get(Course, w.course_id).timezone = "Europe/Berlin"
        s.commit()
    # Berlin: UTC+1 in winter, UTC+2 in summer (the change is on 2030-03-31)
    inp = svc.SettingsInput(title="층 정규화", opens_at=datetime(2030, 3, 1, 10, 0),
                            due_at=datetime(2030, 7, 1, 10, 0), closes_at=None)
    _update(w, a.id, inp)
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert stored.opens_at == datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
        assert stored.due_at == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)
        shown = svc.form_values(stored)  # back in the course's zone, as the form shows them
        assert (shown.opens_at, shown.due_at, shown.closes_at) == (
            datetime(2030, 3, 1, 10, 0), datetime(2030, 7, 1, 10, 0), None)
        assert shown.title == "층 정규화"
    # a date with an offset is taken as that moment, whatever the course's zone
    _update(w, a.id, svc.SettingsInput(title="층 정규화", due_at=datetime(2030, 7, 1, 10, 0, tzinfo=UTC)))
    with w.db() as s:
        assert s.get(Assignment, a.id).due_at == datetime(2030, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "field", "ko"), [
    ({"title": "  "}, "title", "한국어 제목은"),
    ({"title": "가" * 201}, "title", "한국어 제목은"),
    ({"title_en": "x" * 201}, "title_en", "영어 제목은"),
    ({"opens_at": datetime(2030, 3, 17), "closes_at": None}, "due_at", "제출 기한은 시작 시각보다"),
    ({"closes_at": datetime(2030, 3, 16, 23, 0)}, "closes_at", "마감 시각은 제출 기한보다"),
    ({"due_at": None, "closes_at": datetime(2030, 3, 1)}, "closes_at", "마감 시각은 시작 시각보다"),
    ({"late_penalty_per_day": -0.1}, "late_penalty_per_day", "지각 감점"),
    ({"late_penalty_per_day": 1.5}, "late_penalty_per_day", "지각 감점"),
    ({"late_penalty_per_day": float("nan")}, "late_penalty_per_day", "지각 감점"),
    ({"late_penalty_per_day": None}, "late_penalty_per_day", "지각 감점"),
    ({"max_submissions": 0}, "max_submissions", "제출 횟수 제한"),
    ({"max_submissions": -3}, "max_submissions", "제출 횟수 제한"),
    ({"max_submissions": svc.MAX_SUBMISSIONS + 1}, "max_submissions", "제출 횟수 제한"),
    ({"score_policy": "average"}, "score_policy", "점수 기준"),
])
def test_each_bad_setting_is_refused_in_both_languages_and_nothing_changes(w, changes, field, ko):
    a = w.assignment("batchnorm")
    before = (a.title, a.due_at, a.late_penalty_per_day, a.max_submissions, a.score_policy)
    with pytest.raises(Invalid) as err:
        _update(w, a.id, svc.SettingsInput(**{**GOOD.__dict__, **changes}))
    assert err.value.status == 422 and list(err.value.details["errors"]) == [field]
    assert ko in err.value.message.ko and err.value.message.en and err.value.message.en != err.value.message.ko
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert (stored.title, stored.due_at, stored.late_penalty_per_day, stored.max_submissions,
                stored.score_policy) == before


def test_equal_dates_are_allowed(w):
    a = w.assignment("batchnorm")
    same = datetime(2030, 5, 1, 12, 0)
    _update(w, a.id, svc.SettingsInput(title="배치 정규화", opens_at=same, due_at=same, closes_at=same))
    with w.db() as s:
        assert s.get(Assignment, a.id).closes_at == datetime(2030, 5, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("who", ["ta", "alice", "outsider"])
def test_only_instructors_change_settings_or_publish(w, who):
    a = w.assignment("batchnorm")
    with pytest.raises(Forbidden):
        _update(w, a.id, GOOD, who)
    with w.db() as s, pytest.raises(Forbidden):
        svc.set_published(s, w.user(s, who), s.get(Assignment, a.id), False)
    with w.db() as s:
        assert s.get(Assignment, a.id).published is True


def test_publish_and_unpublish_decide_what_a_student_sees(w, caplog):
    a = w.assignment("layernorm")
    caplog.set_level(logging.INFO, logger="quizsvc.staff")
    with w.db() as s:
        svc.set_published(s, w.user(s, "instructor"), s.get(Assignment, a.id), False)
    assert f"unpublished assignment {a.id}" in caplog.text
    with w.db() as s:
        alice, course = w.user(s, "alice"), s.get(Course, w.course_id)
        assert a.id not in [x.id for x in assignment_svc.visible_assignments(s, alice, course)]
        with pytest.raises(DomainError) as err:
            assignment_svc.require_visible(s, alice, s.get(Assignment, a.id))
        assert err.value.status == 404
        # staff still see it
        assert a.id in [x.id for x in assignment_svc.visible_assignments(s, w.user(s, "ta"), course)]
    with w.db() as s:
        svc.set_published(s, w.user(s, "instructor"), s.get(Assignment, a.id), True)
    assert f"published assignment {a.id}" in caplog.text
    with w.db() as s:
        alice, course = w.user(s, "alice"), s.get(Course, w.course_id)
        assert a.id in [x.id for x in assignment_svc.visible_assignments(s, alice, course)]
        assert assignment_svc.require_visible(s, alice, s.get(Assignment, a.id)) is False


def test_an_assignment_whose_grader_is_missing_cannot_be_published(w):
    a = w.assignment("batchnorm")
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        stored.grader, stored.published = "no_such_grader", False
        s.commit()
    with w.db() as s, pytest.raises(Conflict) as err:
        svc.set_published(s, w.user(s, "instructor"), s.get(Assignment, a.id), True)
    assert "채점기" in err.value.message.ko
    with w.db() as s:
        assert s.get(Assignment, a.id).published is False


def test_a_new_due_date_advises_a_regrade_only_when_graded_submissions_exist(w):
    a = w.assignment("batchnorm")
    assert _update(w, a.id, GOOD).regrade_advised is False
    with w.db() as s:
        s.add(Submission(assignment_id=a.id, user_id=w.ids["alice"], source="x = 1",
                         status=SubmissionStatus.GRADED, score=1.0, max_score=2.0))
        s.commit()
    assert _update(w, a.id, svc.SettingsInput(**{**GOOD.__dict__, "title": "새 제목"})).regrade_advised is False
    assert _update(w, a.id, svc.SettingsInput(**{**GOOD.__dict__, "late_penalty_per_day": 0.5})).regrade_advised


def test_a_preview_grades_like_a_late_submission_and_stores_nothing(w, app):
    from datetime import timedelta

    from sqlalchemy import func, select

    from quizsvc import settings as app_settings
    from quizsvc.grading import registry
    from quizsvc.models import utcnow
    from quizsvc.services.submissions import preview

    a = w.assignment("batchnorm")
    suite = registry.get("batchnorm")
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        stored.published, stored.late_penalty_per_day = False, 0.25
        stored.due_at = utcnow() - timedelta(days=1, hours=1)  # two started days late
        s.commit()
    with w.db() as s:
        got = preview.grade(s, w.user(s, "ta"), s.get(Assignment, a.id), suite.solutions[0].source,
                            settings=app_settings.of(app), language="en")
        assert (got.raw_score, got.max_score, got.late_days) == (got.max_score, sum(c.points for c in suite.cases), 2)
        assert got.score == pytest.approx(got.raw_score * 0.5)
        assert {c["name"] for c in got.result["cases"]} == {c.name for c in suite.cases}
        assert all("private" not in c for c in got.result["cases"])  # the student's view
        with pytest.raises(Forbidden):
            preview.grade(s, w.user(s, "alice"), s.get(Assignment, a.id), suite.solutions[0].source,
                          settings=app_settings.of(app))
        with pytest.raises(Invalid):
            preview.grade(s, w.user(s, "ta"), s.get(Assignment, a.id), "", settings=app_settings.of(app))
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
