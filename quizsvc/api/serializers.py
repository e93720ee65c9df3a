"""Plain-dict views of models and service results for JSON responses."""

from __future__ import annotations

from typing import Any

from quizsvc.models import Attempt, Course, Quiz
from quizsvc.services.attempts import AttemptResult, ItemView
from quizsvc.services.quizzes import status_of


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def course_json(course: Course, role: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": course.id, "slug": course.slug, "title": course.title, "title_en": course.title_en}
    if role is not None:
        out["role"] = role
    return out


def quiz_json(quiz: Quiz) -> dict[str, Any]:
    return {
        "id": quiz.id, "course_id": quiz.course_id, "slug": quiz.slug, "title": quiz.title,
        "title_en": quiz.title_en, "description": quiz.description or {}, "status": status_of(quiz),
        "published": quiz.published, "opens_at": iso(quiz.opens_at), "closes_at": iso(quiz.closes_at),
        "max_attempts": quiz.max_attempts, "time_limit_minutes": quiz.time_limit_minutes,
        "feedback_policy": quiz.feedback_policy.value,
        "item_count": len(quiz.items),
    }


def attempt_json(attempt: Attempt, *, score_visible: bool = True) -> dict[str, Any]:
    """``score_visible=False`` (feedback after the close date): the score is null until then."""
    return {
        "id": attempt.id, "quiz_id": attempt.quiz_id, "user_id": attempt.user_id, "number": attempt.number,
        "status": attempt.status.value, "started_at": iso(attempt.started_at),
        "submitted_at": iso(attempt.submitted_at), "score": attempt.score if score_visible else None,
        "max_score": attempt.max_score, "deadline_at": iso(attempt.deadline_at),
    }


def item_json(view: ItemView) -> dict[str, Any]:
    return {
        "id": view.id, "key": view.key, "type": view.type_name, "points": view.points,
        "prompt": view.prompt, "prompt_html": view.prompt_html,
        "options": [{"id": o["id"], "text": o["text"]} for o in view.options],
        "input_hint": view.input_hint or {}, "answer": view.answer,
    }


def result_json(result: AttemptResult) -> dict[str, Any]:
    return {
        "attempt": attempt_json(result.attempt, score_visible=result.feedback_visible),
        "score": result.score,
        "max_score": result.max_score,
        "feedback_visible": result.feedback_visible,
        "feedback_available_at": iso(result.feedback_available_at),
        "items": [
            {"item_id": f.item_id, "score": f.score, "max_score": f.max_score, "correct": f.correct,
             "message": f.message, "key": f.key_display, "explanation_html": f.explanation_html or {},
             "answer": f.answer, "staff_comment": f.staff_comment}
            for f in result.items
        ],
    }
