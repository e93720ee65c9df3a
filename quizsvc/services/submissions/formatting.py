"""A stored result as its reader may see it: JSON (hidden cases' details kept out for
students; only scores when the assignment's feedback policy says so), JUnit XML or
Gradescope's JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quizsvc.grading.result import GradeResult, result_from_dict
from quizsvc.models import Assignment, AssignmentFeedback, Submission, SubmissionStatus, utcnow


def scores_only(assignment: Assignment, now: datetime | None = None) -> bool:
    """Do students see only the score and which cases passed? (``after_due``: until the
    assignment's due date, or its close date when it has none; an extension does not move it,
    as other students may already be reading their full feedback.)"""
    policy = assignment.feedback
    if policy == AssignmentFeedback.SCORES:
        return True
    if policy == AssignmentFeedback.AFTER_DUE:
        until = assignment.due_at or assignment.closes_at
        return until is not None and (now or utcnow()) < until
    return False


def limited(result: GradeResult) -> GradeResult:
    """What passed and the points: no message, hint or diagnosis names what is wrong."""
    for case in result.cases:
        case.message, case.hint, case.mistake, case.metrics = "", "", None, {}
    result.diagnoses = []
    return result


def student_dict(result: GradeResult, assignment: Assignment) -> dict[str, Any]:
    """A result as a student of ``assignment`` reads it."""
    if not scores_only(assignment):
        return result.to_dict(include_private=False)
    return {**limited(result).to_dict(include_private=False), "feedback": "scores"}


def _student_view(sub: Submission) -> GradeResult:
    result = result_from_dict(sub.result)
    return limited(result) if scores_only(sub.assignment) else result


def public_result(sub: Submission, *, staff: bool = False) -> dict[str, Any]:
    """The stored result as its reader may see it (hidden cases' details stay out for students,
    and only scores under the assignment's feedback policy)."""
    if sub.status != SubmissionStatus.GRADED:
        return {}
    if staff:
        return dict(sub.result)
    return student_dict(result_from_dict(sub.result), sub.assignment)


def formatted_result(sub: Submission, fmt: str, *, staff: bool = False) -> str | dict[str, Any]:
    res = result_from_dict(sub.result) if staff else _student_view(sub)
    if fmt == "junit":
        return res.to_junit()
    if fmt == "gradescope":
        out = res.to_gradescope()
        if sub.score is not None and sub.late_days:
            out["score"] = sub.score
            out.setdefault("output", f"late by {sub.late_days} day(s): penalty applied")
        return out
    return res.to_dict(include_private=False)
