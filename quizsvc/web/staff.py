"""What course staff do in the browser: courses, quizzes, items, previews, results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from quizsvc.db import get_session
from quizsvc.errors import DomainError, Invalid, not_found
from quizsvc.models import Item, Quiz
from quizsvc.queue import get_dispatcher
from quizsvc.quiz import bank as bank_fmt
from quizsvc.quiz.registry import all_types
from quizsvc.services import accounts, password_resets
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import quizzes as quiz_svc
from quizsvc.services import submissions as submission_svc
from quizsvc.services.attempts import item_view
from quizsvc.services.gradebook import gradebook as build_gradebook
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, CourseForm, ItemForm, QuizForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():  # type: ignore[no-untyped-def]
    form = CourseForm()
    status = 200
    if form.validate_on_submit():
        try:
            course = course_svc.create_course(
                get_session(), current_user, form.slug.data or "", form.title.data or "", form.title_en.data or ""
            )
            flash(_("Course created. Share the join code with your students."), "info")
            return redirect(url_for("staff.course", course_id=course.id))
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("staff/course_form.html", form=form), status


@bp.get("/courses/<int:course_id>")
@login_required
def course(course_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    c = course_svc.get_course(session, course_id)
    members = course_svc.members(session, current_user, c)
    return render_template(
        "staff/course.html", course=c, quizzes=quiz_svc.visible_quizzes(session, current_user, c),
        assignments=assignment_svc.visible_assignments(session, current_user, c),
        members=members, status_of=quiz_svc.status_of, form=ActionForm(),
        can_edit=course_svc.can_edit(session, current_user, c),
    )


@bp.post("/courses/<int:course_id>/members/<int:user_id>/reset-link")
@login_required
def member_reset_link(course_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """A one-time password reset link for a student, shown once to pass on (no e-mail)."""
    session = get_session()
    c = course_svc.get_course(session, course_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.course", course_id=c.id))
    target = accounts.get_user(session, user_id)
    password_resets.require_can_issue(session, current_user, target, c)
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    secret = password_resets.issue(session, target, hours=hours, actor=current_user)
    link = url_for("auth.reset_password", token=secret, _external=True)
    return (render_template("staff/reset_link.html", course=c, user=target, link=link, hours=hours),
            200, {"Cache-Control": "no-store"})


def _quiz_input(form: QuizForm) -> dict[str, Any]:
    return {
        "slug": form.slug.data, "title": form.title.data, "title_en": form.title_en.data or "",
        "description": {"ko": form.description_ko.data or "", "en": form.description_en.data or ""},
        "opens_at": _aware(form.opens_at.data), "closes_at": _aware(form.closes_at.data),
        "max_attempts": form.max_attempts.data, "feedback_policy": form.feedback_policy.data,
        "shuffle_options": form.shuffle_options.data, "published": form.published.data,
    }


@bp.route("/courses/<int:course_id>/quizzes/new", methods=["GET", "POST"])
@login_required
def new_quiz(course_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    c = course_svc.get_course(session, course_id)
    course_svc.require_editor(session, current_user, c)
    form = QuizForm()
    status = 200
    if form.validate_on_submit():
        data = _quiz_input(form)
        data["published"] = False  # a new quiz has no items yet
        try:
            quiz = quiz_svc.create_quiz(session, current_user, c, data)
            flash(_("Quiz created. Add items, then publish it."), "info")
            return redirect(url_for("staff.quiz", quiz_id=quiz.id))
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("staff/quiz_form.html", form=form, course=c, quiz=None), status


@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_staff(session, current_user, q.course)
    return render_template(
        "staff/quiz.html", quiz=q, status=quiz_svc.status_of(q), form=ActionForm(),
        can_edit=course_svc.can_edit(session, current_user, q.course), types=all_types(),
    )


@bp.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@login_required
def edit_quiz(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)
    form = QuizForm(obj=None if request.method == "POST" else _quiz_obj(q))
    status = 200
    if form.validate_on_submit():
        try:
            quiz_svc.update_quiz(session, current_user, q, _quiz_input(form))
            flash(_("Quiz saved."), "info")
            return redirect(url_for("staff.quiz", quiz_id=q.id))
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("staff/quiz_form.html", form=form, course=q.course, quiz=q), status


def _quiz_obj(q: Quiz) -> Any:
    class Obj:
        pass

    o = Obj()
    for name in ("slug", "title", "title_en", "max_attempts", "shuffle_options", "published"):
        setattr(o, name, getattr(q, name))
    o.description_ko = q.description.get("ko", "")  # type: ignore[attr-defined]
    o.description_en = q.description.get("en", "")  # type: ignore[attr-defined]
    o.opens_at = _naive(q.opens_at)  # type: ignore[attr-defined]
    o.closes_at = _naive(q.closes_at)  # type: ignore[attr-defined]
    o.feedback_policy = q.feedback_policy.value  # type: ignore[attr-defined]
    return o


@bp.post("/quizzes/<int:quiz_id>/publish")
@login_required
def publish(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)  # 403, not a flash and a redirect
    if ActionForm().validate_on_submit():
        try:
            quiz_svc.set_published(session, current_user, q, request.form.get("published") == "1")
            flash(_("Published.") if q.published else _("Unpublished."), "info")
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("staff.quiz", quiz_id=q.id))


@bp.post("/quizzes/<int:quiz_id>/delete")
@login_required
def delete_quiz(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)
    course_id = q.course_id
    if ActionForm().validate_on_submit():
        try:
            quiz_svc.delete_quiz(session, current_user, q)
            flash(_("Quiz deleted."), "info")
            return redirect(url_for("staff.course", course_id=course_id))
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("staff.quiz", quiz_id=quiz_id))


# --- items ---------------------------------------------------------------------------------

def _item_form(item: Item | None) -> ItemForm:
    form = ItemForm()
    types = all_types()
    form.type_name.choices = [SelectChoice(name, f"{t.label['en']} / {t.label['ko']}") for name, t in types.items()]
    if item is not None and item.type_name not in types:
        # shown as it is (and refused on saving), never silently turned into another type
        form.type_name.choices.append(SelectChoice(item.type_name, item.type_name))
    if request.method == "GET":
        if item is not None:
            form.key.data, form.type_name.data = item.key, item.type_name
            form.section.data, form.points.data = item.section, item.points
            form.prompt_ko.data, form.prompt_en.data = item.prompt.get("ko", ""), item.prompt.get("en", "")
            form.explanation_ko.data = item.explanation.get("ko", "")
            form.explanation_en.data = item.explanation.get("en", "")
            form.config.data = bank_fmt.dump_yaml(bank_fmt.canonical(item.config))
        else:
            kind = request.args.get("type", next(iter(types)))
            if kind not in types:
                raise not_found("문항 유형", "Question type")
            form.type_name.data = kind
            form.config.data = bank_fmt.dump_yaml(types[kind].starter_config())
    return form


def _item_input(form: ItemForm) -> dict[str, Any]:
    try:
        config = yaml.safe_load(form.config.data or "") or {}
    except yaml.YAMLError as exc:
        raise Invalid("설정 YAML을 읽을 수 없습니다.", "The settings are not valid YAML.",
                      errors={"config": [str(exc)]}) from None
    if not isinstance(config, dict):
        raise Invalid("설정은 YAML 매핑이어야 합니다.", "The settings must be a YAML mapping.",
                      errors={"config": ["not a mapping"]})
    return {
        "key": (form.key.data or "").strip(), "type_name": form.type_name.data,
        "section": form.section.data or "", "points": form.points.data,
        "prompt": {"ko": form.prompt_ko.data or "", "en": form.prompt_en.data or ""},
        "explanation": {"ko": form.explanation_ko.data or "", "en": form.explanation_en.data or ""},
        "config": config,
    }


def _render_item_form(form: ItemForm, quiz: Quiz, item: Item | None, errors: Any, status: int):  # type: ignore[no-untyped-def]
    if not errors and item is not None and item.type_name not in all_types():
        errors = {"type_name": f"unknown type {item.type_name!r}"}
    return render_template(
        "staff/item_form.html", form=form, quiz=quiz, item=item, errors=errors or {},
        templates={name: bank_fmt.dump_yaml(t.starter_config()) for name, t in all_types().items()},
    ), status


@bp.route("/quizzes/<int:quiz_id>/items/new", methods=["GET", "POST"])
@login_required
def new_item(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)
    form = _item_form(None)
    if form.validate_on_submit():
        try:
            item = quiz_svc.create_item(session, current_user, q, _item_input(form))
            flash(_("Item added."), "info")
            return redirect(url_for("staff.preview_item", item_id=item.id))
        except DomainError as exc:
            flash_error(exc)
            return _render_item_form(form, q, None, exc.details.get("errors"), exc.status)
    return _render_item_form(form, q, None, None, 400 if request.method == "POST" else 200)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)
    form = _item_form(item)
    if form.validate_on_submit():
        try:
            quiz_svc.update_item(session, current_user, item, _item_input(form))
            flash(_("Item saved."), "info")
            return redirect(url_for("staff.preview_item", item_id=item.id))
        except DomainError as exc:
            session.rollback()
            flash_error(exc)
            return _render_item_form(form, item.quiz, item, exc.details.get("errors"), exc.status)
    return _render_item_form(form, item.quiz, item, None, 400 if request.method == "POST" else 200)


@bp.post("/items/<int:item_id>/delete")
@login_required
def delete_item(item_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)
    quiz_id = item.quiz_id
    if ActionForm().validate_on_submit():
        try:
            quiz_svc.delete_item(session, current_user, item)
            flash(_("Item deleted."), "info")
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("staff.quiz", quiz_id=quiz_id))


@bp.get("/items/<int:item_id>/preview")
@login_required
def preview_item(item_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    count = request.args.get("variants", default=3, type=int) or 3
    variants = quiz_svc.preview_variants(session, current_user, item, count)
    views = [(v, item_view(item, v)) for v in variants]
    return render_template("staff/item_preview.html", item=item, quiz=item.quiz, views=views,
                           form=ActionForm())


# --- results -------------------------------------------------------------------------------


@bp.get("/quizzes/<int:quiz_id>/results")
@login_required
def results(quiz_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    rows = attempt_svc.quiz_results(session, current_user, q)
    return render_template("staff/results.html", quiz=q, rows=rows)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_detail(attempt_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    a = attempt_svc.get_attempt(session, current_user, attempt_id)
    course_svc.require_staff(session, current_user, a.quiz.course)
    items = {v.id: v for v in attempt_svc.attempt_items(session, current_user, a)}
    res = attempt_svc.attempt_result(session, current_user, a) if a.status.value == "submitted" else None
    return render_template("staff/attempt.html", attempt=a, quiz=a.quiz, items=items, result=res)


# --- assignments, regrading, gradebook ------------------------------------------------------


def _staff_assignment(assignment_id: int, *, editor: bool = False) -> tuple[Any, Any]:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    (course_svc.require_editor if editor else course_svc.require_staff)(session, current_user, a.course)
    return session, a


@bp.get("/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):  # type: ignore[no-untyped-def]
    session, a = _staff_assignment(assignment_id)
    return render_template("staff/assignment.html", assignment=a, form=ActionForm(),
                           submissions=submission_svc.recent_submissions(session, a),
                           progress=submission_svc.progress(session, a),
                           can_edit=course_svc.can_edit(session, current_user, a.course))


@bp.get("/assignments/<int:assignment_id>/progress")
@login_required
def assignment_progress(assignment_id: int):  # type: ignore[no-untyped-def]
    session, a = _staff_assignment(assignment_id)
    return jsonify(submission_svc.progress(session, a))


@bp.post("/assignments/<int:assignment_id>/regrade")
@login_required
def regrade(assignment_id: int):  # type: ignore[no-untyped-def]
    session, a = _staff_assignment(assignment_id, editor=True)
    if ActionForm().validate_on_submit():
        n = submission_svc.regrade(session, current_user, a, get_dispatcher(current_app))
        flash(_("%(n)s submissions queued for regrading.", n=n), "info")
    return redirect(url_for("staff.assignment", assignment_id=a.id))


@bp.get("/courses/<int:course_id>/gradebook")
@login_required
def gradebook(course_id: int):  # type: ignore[no-untyped-def]
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
