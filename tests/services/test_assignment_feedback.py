"""An assignment's feedback policy: what a student sees of a graded submission (everything,
only scores, or only scores until the due date); staff always see everything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from world import World, logged_in

from quizsvc.errors import Invalid
from quizsvc.grading import registry
from quizsvc.models import Assignment, AssignmentFeedback, Submission, utcnow
from quizsvc.services import assignment_settings
from quizsvc.services.submissions import acceptance, claims, formatting


def _graded_mistake(w: World) -> tuple[int, int, Any]:
    a = w.assignment("layernorm")
    mistake = registry.get(a.grader).mistakes[0]
    with w.db() as s:
        sub = acceptance.submit(s, w.user(s, "alice"), s.get(Assignment, a.id), mistake.source)
        assert claims.process(s, sub.id)
        return a.id, sub.id, mistake


def _set(w: World, assignment_id: int, **values: Any) -> None:
    with w.db() as s:
        a = s.get(Assignment, assignment_id)
        for k, v in values.items():
            setattr(a, k, v)
        s.commit()


def _student_view(w: World, sub_id: int) -> dict[str, Any]:
    with w.db() as s:
        return formatting.public_result(s.get(Submission, sub_id))


def test_scores_only_hides_messages_hints_and_the_diagnosis(w: World) -> None:
    aid, sid, mistake = _graded_mistake(w)
    full = _student_view(w, sid)
    assert [d["key"] for d in full["diagnoses"]] == [mistake.key] and "feedback" not in full
    assert any(c["message"] for c in full["cases"] if not c["passed"])
    _set(w, aid, feedback=AssignmentFeedback.SCORES)
    limited = _student_view(w, sid)
    assert limited["feedback"] == "scores" and limited["diagnoses"] == []
    assert [(c["name"], c["passed"], c["points"]) for c in limited["cases"]] == \
        [(c["name"], c["passed"], c["points"]) for c in full["cases"]]  # the same verdicts
    assert all(c["message"] == "" and c["hint"] == "" and c["mistake"] is None for c in limited["cases"])
    with w.db() as s:
        sub = s.get(Submission, sid)
        assert formatting.public_result(sub, staff=True)["diagnoses"]  # staff see everything
        junit = str(formatting.formatted_result(sub, "junit"))
        assert mistake.hint.en not in junit and mistake.hint.ko not in junit
        staff_junit = str(formatting.formatted_result(sub, "junit", staff=True))
        assert mistake.hint.en in staff_junit or mistake.hint.ko in staff_junit


def test_after_due_shows_scores_until_the_due_date(w: World) -> None:
    aid, sid, mistake = _graded_mistake(w)
    _set(w, aid, feedback=AssignmentFeedback.AFTER_DUE, due_at=utcnow() + timedelta(days=1))
    assert _student_view(w, sid)["diagnoses"] == []
    _set(w, aid, due_at=utcnow() - timedelta(minutes=1))
    assert [d["key"] for d in _student_view(w, sid)["diagnoses"]] == [mistake.key]


def test_the_policy_is_a_setting_and_the_page_says_so(app: Any, w: World) -> None:
    aid, sid, mistake = _graded_mistake(w)
    with w.db() as s:
        a = s.get(Assignment, aid)
        values = assignment_settings.form_values(a)
        saved = assignment_settings.update_settings(
            s, w.user(s, "instructor"), a, assignment_settings.SettingsInput(
                **{**values.__dict__, "feedback": "scores"}))
        assert saved.changed == ["feedback"]
        with pytest.raises(Invalid) as refused:
            assignment_settings.update_settings(s, w.user(s, "instructor"), a, assignment_settings.SettingsInput(
                **{**values.__dict__, "feedback": "nothing"}))
        assert "feedback" in refused.value.details["errors"]
    page = logged_in(app, "alice").get(f"/submissions/{sid}").get_data(as_text=True)
    assert 'id="feedback-limited"' in page and mistake.title.ko not in page
    staff_page = logged_in(app, "instructor").get(f"/submissions/{sid}").get_data(as_text=True)
    assert 'id="feedback-limited"' not in staff_page
    api = logged_in(app, "instructor").get(f"/staff/assignments/{aid}").get_data(as_text=True)
    assert 'id="assignment-feedback"' in api
