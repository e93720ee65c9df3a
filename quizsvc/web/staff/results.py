"""Results: a quiz's attempts, one attempt in detail, the course gradebook (page or CSV)."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import quizzes as quiz_svc
from quizsvc.services.gradebook import gradebook as build_gradebook
from quizsvc.web.staff import bp


@bp.get("/quizzes/<int:quiz_id>/results")
@login_required
def results(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    rows = attempt_svc.quiz_results(session, current_user, q)
    return render_template("staff/results.html", quiz=q, rows=rows)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_detail(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    a = attempt_svc.get_attempt(session, current_user, attempt_id)
    course_svc.require_staff(session, current_user, a.quiz.course)
    items = {v.id: v for v in attempt_svc.attempt_items(session, current_user, a)}
    res = attempt_svc.attempt_result(session, current_user, a) if a.status.value == "submitted" else None
    return render_template("staff/attempt.html", attempt=a, quiz=a.quiz, items=items, result=res,
                           responses={r.item_id: r.id for r in a.responses})


@bp.get("/courses/<int:course_id>/gradebook")
@login_required
def gradebook(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    book = build_gradebook(session, current_user, c)
    if request.args.get("format") == "csv":
        return Response(
            "\ufeff" + book.to_csv(),  # BOM: Excel opens Korean names correctly
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={c.slug}-gradebook.csv"},
        )
    return render_template("staff/gradebook.html", course=c, book=book)
