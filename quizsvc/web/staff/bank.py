"""A course's quiz bank in the browser, as ``quizsvc bank export/import`` does it: a .zip
download for staff, and for editors an upload that is checked and reported (problems by file
and item, what each quiz gains or loses) before it is applied."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.errors import DomainError
from quizsvc.services import bank as bank_svc
from quizsvc.services import courses as course_svc
from quizsvc.web import flash_error
from quizsvc.web.forms import BankApplyForm, BankUploadForm
from quizsvc.web.staff import bp


def _root() -> Path:
    return Path(current_app.instance_path)


@bp.route("/courses/<int:course_id>/bank", methods=["GET", "POST"])
@login_required
def course_bank(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    course_svc.require_staff(session, current_user, course)
    can_edit = course_svc.can_edit(session, current_user, course)
    form = BankUploadForm()
    report, status = None, 200
    if form.is_submitted():
        course_svc.require_editor(session, current_user, course)
        if form.validate():
            upload = form.file.data
            data = upload.read(current_app.config.get("MAX_CONTENT_LENGTH") or 1 << 20)
            try:
                report = bank_svc.check_upload(session, current_user, course, upload.filename or "", data, _root())
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
            else:
                status = 200 if report.ok else 422
        else:
            status = 400
    return render_template("staff/bank.html", course=course, form=form, report=report, can_edit=can_edit,
                           apply_form=BankApplyForm(token=report.token if report else "")), status


@bp.post("/courses/<int:course_id>/bank/apply")
@login_required
def apply_bank(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    course_svc.require_editor(session, current_user, course)
    form = BankApplyForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere. Reload the page and try again."), "error")
        return redirect(url_for("staff.course_bank", course_id=course.id))
    try:
        bank_svc.apply_upload(session, current_user, course, form.token.data or "", _root())
    except DomainError as exc:
        session.rollback()
        flash_error(exc)
        for problem in exc.details.get("errors") or []:
            flash(str(problem), "error")
        return redirect(url_for("staff.course_bank", course_id=course.id))
    flash(_("The quiz bank was imported."), "info")
    return redirect(url_for("staff.course", course_id=course.id))


@bp.get("/courses/<int:course_id>/bank.zip")
@login_required
def export_bank(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    data = bank_svc.export_zip(session, current_user, course)  # checks the reader is staff
    return data, 200, {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{course.slug}-bank.zip"',
        "Cache-Control": "no-store",
    }
