"""Quizzes: creating, editing, publishing, deleting, and a quiz's page with its items."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc import timezones
from quizsvc.db import get_session
from quizsvc.models import Course, Quiz
from quizsvc.quiz.registry import all_types, type_of
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import item_regrade
from quizsvc.services import quizzes as quiz_svc
from quizsvc.web.forms import ActionForm, QuizForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import button, form_page


def _quiz_input(form: QuizForm, course: Course) -> dict[str, Any]:
    """The form's values; its date-times are in the course's time zone."""
    return {
        "slug": form.slug.data, "title": form.title.data, "title_en": form.title_en.data or "",
        "description": {"ko": form.description_ko.data or "", "en": form.description_en.data or ""},
        "opens_at": timezones.from_local(form.opens_at.data, course.timezone),
        "closes_at": timezones.from_local(form.closes_at.data, course.timezone),
        "max_attempts": form.max_attempts.data, "time_limit_minutes": form.time_limit_minutes.data,
        "feedback_policy": form.feedback_policy.data,
        "shuffle_options": form.shuffle_options.data, "published": form.published.data,
    }


def _quiz_obj(q: Quiz) -> Any:
    class Obj:
        pass

    o = Obj()
    for name in ("slug", "title", "title_en", "max_attempts", "time_limit_minutes", "shuffle_options",
                 "published"):
        setattr(o, name, getattr(q, name))
    o.description_ko = q.description.get("ko", "")  # type: ignore[attr-defined]
    o.description_en = q.description.get("en", "")  # type: ignore[attr-defined]
    o.opens_at = timezones.to_local(q.opens_at, q.course.timezone)  # type: ignore[attr-defined]
    o.closes_at = timezones.to_local(q.closes_at, q.course.timezone)  # type: ignore[attr-defined]
    o.feedback_policy = q.feedback_policy.value  # type: ignore[attr-defined]
    return o


def _editable_quiz(quiz_id: int) -> Quiz:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)  # 403, not a flash and a redirect
    return q


@bp.route("/courses/<int:course_id>/quizzes/new", methods=["GET", "POST"])
@login_required
def new_quiz(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    course_svc.require_editor(session, current_user, c)
    form = QuizForm()
    # A new quiz has no items yet: it starts unpublished.
    return form_page(
        form, lambda: quiz_svc.create_quiz(session, current_user, c, {**_quiz_input(form, c), "published": False}),
        saved=_("Quiz created. Add items, then publish it."),
        then=lambda quiz: url_for("staff.quiz", quiz_id=quiz.id),
        page=lambda: render_template("staff/quiz_form.html", form=form, course=c, quiz=None))


@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_staff(session, current_user, q.course)
    return render_template(
        "staff/quiz.html", quiz=q, status=quiz_svc.status_of(q), form=ActionForm(),
        can_edit=course_svc.can_edit(session, current_user, q.course), types=all_types(),
        regrades=item_regrade.history(session, current_user, q),
    )


@bp.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@login_required
def edit_quiz(quiz_id: int) -> ResponseReturnValue:
    q = _editable_quiz(quiz_id)
    form = QuizForm(obj=None if request.method == "POST" else _quiz_obj(q))
    return form_page(
        form, lambda: quiz_svc.update_quiz(get_session(), current_user, q, _quiz_input(form, q.course)),
        saved=_("Quiz saved."), then=lambda _saved: url_for("staff.quiz", quiz_id=q.id),
        page=lambda: render_template("staff/quiz_form.html", form=form, course=q.course, quiz=q))


@bp.post("/quizzes/<int:quiz_id>/publish")
@login_required
def publish(quiz_id: int) -> ResponseReturnValue:
    q = _editable_quiz(quiz_id)

    def act() -> tuple[str, str | None]:
        quiz_svc.set_published(get_session(), current_user, q, request.form.get("published") == "1")
        return (_("Published.") if q.published else _("Unpublished.")), None

    return button(act, back=url_for("staff.quiz", quiz_id=q.id))


@bp.post("/quizzes/<int:quiz_id>/delete")
@login_required
def delete_quiz(quiz_id: int) -> ResponseReturnValue:
    q = _editable_quiz(quiz_id)
    course_id = q.course_id

    def act() -> tuple[str, str | None]:
        quiz_svc.delete_quiz(get_session(), current_user, q)
        return _("Quiz deleted."), url_for("staff.course", course_id=course_id)

    return button(act, back=url_for("staff.quiz", quiz_id=quiz_id))


@bp.route("/quizzes/<int:quiz_id>/preview", methods=["GET", "POST"])
@login_required
def preview_quiz(quiz_id: int) -> ResponseReturnValue:
    """The quiz as a student takes it, marked as a preview: answers are scored on the page and
    never stored (no attempt, so nothing in results, statistics or the gradebook)."""
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_staff(session, current_user, q.course)  # 403 for anyone else
    form = ActionForm()
    answers = None
    if request.method == "POST" and form.validate_on_submit():
        shown, _total = attempt_svc.preview_quiz(session, current_user, q)
        answers = {p.view.id: type_of(p.view.type_name).form_answer(request.form, f"item-{p.view.id}", p.view.options)
                   for p in shown}
    entries, total = attempt_svc.preview_quiz(session, current_user, q, answers)
    return render_template("staff/quiz_preview.html", quiz=q, entries=entries, total=total, form=form,
                           max_total=sum(p.view.points for p in entries))
