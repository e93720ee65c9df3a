"""What a student does: dashboard, join a course, take quizzes, see results."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.errors import Conflict, DomainError, Invalid
from quizsvc.models import AttemptStatus, utcnow
from quizsvc.quiz.registry import type_of
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import exceptions
from quizsvc.services import quizzes as quiz_svc
from quizsvc.web import flash_error, tr
from quizsvc.web.forms import ActionForm, JoinForm

bp = Blueprint("student", __name__)


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    session = get_session()
    return render_template(
        "student/dashboard.html",
        memberships=course_svc.courses_of(session, current_user),
        join_form=JoinForm(),
    )


@bp.post("/join")
@login_required
def join() -> ResponseReturnValue:
    form = JoinForm()
    session = get_session()
    if form.validate_on_submit():
        try:
            course = course_svc.join_with_code(session, current_user, form.code.data or "")
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(_("You joined %(title)s.", title=course.title), "info")
            return redirect(url_for("student.course", course_id=course.id))
    else:
        flash(_("Enter the join code."), "error")
    return render_template(
        "student/dashboard.html", memberships=course_svc.courses_of(session, current_user), join_form=form
    ), 400


@bp.get("/courses/<int:course_id>")
@login_required
def course(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    quizzes = quiz_svc.visible_quizzes(session, current_user, c)
    from quizsvc.services import exceptions
    from quizsvc.services.assignments import visible_assignments

    # A student's own close date (an extension) holds for them on this page as everywhere.
    closes = {q.id: exceptions.closes_at(q.closes_at, exceptions.for_quiz(session, q, current_user))
              for q in quizzes}

    return render_template(
        "student/course.html",
        course=c,
        quizzes=quizzes,
        assignments=visible_assignments(session, current_user, c),
        status_of=lambda q: quiz_svc.status_of(q, closes_at=closes[q.id]),
        closes=closes,
        staff=course_svc.is_staff(session, current_user, c),
    )


@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    attempts = attempt_svc.attempts_of(session, current_user, q)
    used = sum(1 for a in attempts if a.status == AttemptStatus.SUBMITTED)
    now = utcnow()
    own = exceptions.for_quiz(session, q, current_user)  # the student's own close date and attempts
    closes = exceptions.closes_at(q.closes_at, own)
    status = quiz_svc.status_of(q, now, closes_at=closes)
    return render_template(
        "student/quiz.html",
        quiz=q,
        attempts=attempts,
        used=used,
        closes_at=closes,
        allowed=None if q.max_attempts is None else q.max_attempts + exceptions.extra(own),
        own=own,
        status=status,
        staff=course_svc.is_staff(session, current_user, q.course),
        scores_visible=attempt_svc.scores_visible(session, current_user, q),
        form=ActionForm(),
        now=now,
    )


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("student.quiz", quiz_id=quiz_id))
    if course_svc.is_staff(session, current_user, q.course):  # staff preview: no attempt is stored
        return redirect(url_for("staff.preview_quiz", quiz_id=q.id))
    attempt = attempt_svc.start_attempt(session, current_user, q)
    return redirect(url_for("student.attempt", attempt_id=attempt.id))


def _answers_from_form(items: list[attempt_svc.ItemView]) -> dict[int, Any]:
    return {item.id: type_of(item.type_name).form_answer(request.form, f"item-{item.id}", item.options)
            for item in items}


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    a = attempt_svc.get_attempt(session, current_user, attempt_id)
    if a.status == AttemptStatus.SUBMITTED:
        return redirect(url_for("student.result", attempt_id=a.id))
    if a.user_id != current_user.id:
        return redirect(url_for("staff.attempt_detail", attempt_id=a.id))
    items = attempt_svc.attempt_items(session, current_user, a)
    form = ActionForm()
    errors: dict[str, Any] = {}
    raw: dict[int, Any] = {}
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        raw = _answers_from_form(items)
        try:
            if request.form.get("action") == "submit":
                if not request.form.get("confirmed"):
                    # Without JavaScript the summary of unanswered items is a page of its own:
                    # save, then ask (with JavaScript the page asks before sending).
                    attempt_svc.save_answers(session, current_user, a, raw)
                    if attempt_svc.unanswered(session, a):
                        return render_template("student/confirm_submit.html", attempt=a, quiz=a.quiz, form=form,
                                               unanswered=attempt_svc.unanswered(session, a), count=len(items))
                attempt_svc.submit_attempt(session, current_user, a, raw)
                flash(_("Submitted."), "info")
                return redirect(url_for("student.result", attempt_id=a.id))
            attempt_svc.save_answers(session, current_user, a, raw)
            flash(_("Answers saved. You can come back and submit later."), "info")
            return redirect(url_for("student.attempt", attempt_id=a.id))
        except Conflict as exc:
            if not exc.details.get("time_up"):
                raise
            flash_error(exc)  # the time was up: what was saved by then has been submitted
            return redirect(url_for("student.result", attempt_id=a.id))
        except Invalid as exc:
            # Keep what the student typed and say what is wrong with each answer; the attempt
            # stays open, nothing is consumed.
            errors = exc.details.get("errors", {})
            flash_error(exc)
            status = 422
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        flash(_("The form expired. Your answers were not saved; please try again."), "error")
        status = 400
    return render_template(
        "student/attempt.html", attempt=a, quiz=a.quiz, items=items, form=form,
        errors={int(k): tr(v) for k, v in errors.items()}, raw=raw, now=utcnow(),
    ), status


@bp.post("/attempts/<int:attempt_id>/autosave")
@login_required
def autosave(attempt_id: int) -> ResponseReturnValue:
    """The attempt page's autosave (JSON): stores the readable answers of the form it is sent,
    never submits; an unreadable answer is a 422 with its message, its saved answer kept."""
    session = get_session()
    a = attempt_svc.get_attempt(session, current_user, attempt_id)
    if not ActionForm().validate_on_submit():
        return jsonify({"message": _("The form expired. Reload the page; your saved answers are kept.")}), 400
    items = attempt_svc.attempt_items(session, current_user, a)
    try:
        errors = attempt_svc.save_answers(session, current_user, a, _answers_from_form(items), partial=True)
    except DomainError as exc:
        body: dict[str, Any] = {"message": tr(exc.message)}
        if exc.details.get("time_up") or a.status == AttemptStatus.SUBMITTED:
            body["redirect"] = url_for("student.result", attempt_id=a.id)
        return jsonify(body), exc.status
    body = {"saved_at": utcnow().isoformat(), "errors": {k: tr(v) for k, v in errors.items()},
            "deadline_at": a.deadline_at.isoformat() if a.deadline_at else None}
    if errors:
        body["message"] = _("Some answers could not be read; the others were saved.")
        return jsonify(body), 422
    return jsonify(body)


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    a = attempt_svc.get_attempt(session, current_user, attempt_id)
    if a.status != AttemptStatus.SUBMITTED:
        return redirect(url_for("student.attempt", attempt_id=a.id))
    res = attempt_svc.attempt_result(session, current_user, a)
    items = {v.id: v for v in attempt_svc.attempt_items(session, current_user, a)}
    return render_template("student/result.html", result=res, attempt=a, quiz=a.quiz, items=items)
