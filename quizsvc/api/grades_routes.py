"""A student's own grades in a course, through API v1 (the same numbers as the My grades page)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from quizsvc.api import bp
from quizsvc.api.auth import api_user, require_token
from quizsvc.api.serializers import iso
from quizsvc.db import get_session
from quizsvc.services import courses as course_svc
from quizsvc.services.grades import AssignmentGrade, QuizGrade, StudentGrades, student_grades


def _quiz_json(g: QuizGrade) -> dict[str, Any]:
    return {"quiz_id": g.quiz.id, "slug": g.quiz.slug, "title": g.quiz.title, "title_en": g.quiz.title_en,
            "score": g.score, "max_score": g.max_score, "score_hidden": g.hidden,
            "closes_at": iso(g.closes_at), "attempts_used": g.attempts_used, "max_attempts": g.max_attempts,
            "attempt_id": g.attempt_id,
            "feedback_url": url_for("api.result", attempt_id=g.attempt_id) if g.attempt_id else None}


def _assignment_json(g: AssignmentGrade) -> dict[str, Any]:
    a = g.assignment
    return {"assignment_id": a.id, "slug": a.slug, "title": a.title, "title_en": a.title_en,
            "score": g.score, "max_score": g.max_score, "due_at": iso(g.due_at), "late_days": g.late_days,
            "submission_id": g.submission_id,
            "feedback_url": url_for("api.get_submission", submission_id=g.submission_id)
            if g.submission_id else None}


def grades_json(grades: StudentGrades) -> dict[str, Any]:
    return {"course_id": grades.course.id, "total": grades.total, "max_total": grades.max_total,
            "quizzes": [_quiz_json(g) for g in grades.quizzes],
            "assignments": [_assignment_json(g) for g in grades.assignments]}


@bp.get("/courses/<int:course_id>/grades")
@require_token("read")
def my_grades(course_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    course = course_svc.get_course(session, course_id)
    return jsonify(grades_json(student_grades(session, api_user(), course)))
