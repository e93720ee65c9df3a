"""A programming assignment for its staff: recent submissions, regrading and its progress; its
settings, publishing, and trying it as a student would (the preview stores nothing)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc import settings as app_settings
from quizsvc.db import get_session
from quizsvc.errors import DomainError, Invalid
from quizsvc.grading import registry
from quizsvc.queue import get_dispatcher
from quizsvc.services import assignment_settings
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions import acceptance, preview, regrading
from quizsvc.services.submissions import results as submission_results
from quizsvc.web import flash_error, lang, tr
from quizsvc.web.forms import ActionForm, AssignmentSettingsForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import button, form_page


def _staff_assignment(assignment_id: int, *, editor: bool = False) -> tuple[Any, Any]:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    (course_svc.require_editor if editor else course_svc.require_staff)(session, current_user, a.course)
    return session, a


@bp.get("/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id)
    return render_template("staff/assignment.html", assignment=a, form=ActionForm(),
                           submissions=submission_results.recent_submissions(session, a),
                           progress=regrading.progress(session, a),
                           can_edit=course_svc.can_edit(session, current_user, a.course),
                           grader_installed=assignment_settings.grader_installed(a))


@bp.get("/assignments/<int:assignment_id>/progress")
@login_required
def assignment_progress(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id)
    return jsonify(regrading.progress(session, a))


@bp.post("/assignments/<int:assignment_id>/regrade")
@login_required
def regrade(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id, editor=True)

    def act() -> tuple[str, str | None]:
        n = regrading.regrade(session, current_user, a, get_dispatcher(current_app))
        return _("%(n)s submissions queued for regrading.", n=n), None

    return button(act, back=url_for("staff.assignment", assignment_id=a.id))


def _settings_input(form: AssignmentSettingsForm, feedback: str) -> assignment_settings.SettingsInput:
    """The form's values; its dates have no offset: the service reads them in the course's zone."""
    return assignment_settings.SettingsInput(
        title=form.title.data or "", title_en=form.title_en.data or "", opens_at=form.opens_at.data,
        due_at=form.due_at.data, closes_at=form.closes_at.data,
        late_penalty_per_day=form.late_penalty_per_day.data,
        max_submissions=form.max_submissions.data, score_policy=form.score_policy.data or "",
        feedback=form.feedback.data or feedback)


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_assignment(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id, editor=True)
    form = AssignmentSettingsForm(obj=None if request.method == "POST" else assignment_settings.form_values(a))

    def save() -> assignment_settings.Saved:
        try:
            saved = assignment_settings.update_settings(session, current_user, a, _settings_input(form, a.feedback.value))
        except Invalid as exc:  # the message goes next to its field too
            for name in exc.details.get("errors", {}):
                if name in form:
                    form[name].errors = [*form[name].errors, tr(exc.message)]
            raise
        if saved.regrade_advised:
            flash(_("Graded submissions keep their scores until you regrade them with the new due date "
                    "or penalty."), "info")
        return saved

    return form_page(
        form, save, saved=_("Assignment settings saved."),
        then=lambda _saved: url_for("staff.assignment", assignment_id=a.id),
        page=lambda: render_template("staff/assignment_form.html", form=form, assignment=a, course=a.course))


@bp.post("/assignments/<int:assignment_id>/publish")
@login_required
def publish_assignment(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id, editor=True)

    def act() -> tuple[str, str | None]:
        assignment_settings.set_published(session, current_user, a, request.form.get("published") == "1")
        return (_("Published.") if a.published else _("Unpublished.")), None

    return button(act, back=url_for("staff.assignment", assignment_id=a.id))


def _preview_page(a: Any, *, code: str = "", result: preview.Preview | None = None, status: int = 200) -> Any:
    """The student's assignment page as a student without submissions sees it, marked as a preview."""
    return render_template(
        "assignments/show.html", assignment=a, suite=registry.get(a.grader), submissions=[], kept=None,
        form=ActionForm(), staff=False, own=None, code=code, preview=result or True), status


@bp.route("/assignments/<int:assignment_id>/preview", methods=["GET", "POST"])
@login_required
def preview_assignment(assignment_id: int) -> ResponseReturnValue:
    """Staff (TAs too) submit code as a student would and see the student's result; nothing is
    stored. Works for an unpublished assignment."""
    session, a = _staff_assignment(assignment_id)
    if not assignment_settings.grader_installed(a):
        raise preview.not_installed()
    if request.method == "GET":
        return _preview_page(a)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return _preview_page(a, code=request.form.get("code", ""), status=400)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            source = upload.read(acceptance.MAX_SOURCE_BYTES + 1).decode("utf-8")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text."), "error")
            return _preview_page(a, status=422)
        filename = upload.filename
    else:
        source, filename = request.form.get("code", ""), "solution.py"
    try:
        result = preview.grade(session, current_user, a, source, filename, language=lang(),
                               settings=app_settings.current())
    except DomainError as exc:
        flash_error(exc)
        return _preview_page(a, code=source if filename.endswith(".py") else "", status=exc.status)
    return _preview_page(a, code=source if filename.endswith(".py") else "", result=result)
