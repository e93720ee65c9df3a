"""Assignment packages in the browser: import a .zip into a course (the check report, then the
result), an assignment's versions, a regrade preview with one, activating one."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc import settings as app_settings
from quizsvc.db import get_session
from quizsvc.errors import DomainError, Invalid
from quizsvc.grading.package import PackageError, load_zip
from quizsvc.grading.runner import default_runner
from quizsvc.queue import get_dispatcher
from quizsvc.services import assignment_versions as svc
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions import regrading
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import button


def _report_page(course: Any, *, report: dict[str, Any] | None, problems: list[dict[str, Any]],
                 result: dict[str, Any] | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("staff/package_report.html", course=course, report=report, problems=problems,
                           result=result), status


@bp.post("/courses/<int:course_id>/assignments/import")
@login_required
def import_assignment(course_id: int) -> ResponseReturnValue:
    # The package may be larger than other forms: the limit is raised before the body is read,
    # so this view is exempt from the app-wide CSRF hook (which would read it first) and checks
    # the token itself, right after.
    from quizsvc.app import csrf

    request.max_content_length = svc.MAX_PACKAGE_BYTES + 64 * 1024
    csrf.protect()
    session = get_session()
    course = course_svc.get_course(session, course_id)
    course_svc.require_editor(session, current_user, course)
    back = url_for("staff.course", course_id=course.id)
    upload = request.files.get("package")
    data = upload.read(svc.MAX_PACKAGE_BYTES + 1) if upload is not None and upload.filename else b""
    if not data:
        flash_error(Invalid(svc.NO_FILE))
        return redirect(back)
    if len(data) > svc.MAX_PACKAGE_BYTES:
        flash_error(Invalid(svc.TOO_LARGE))
        return redirect(back)
    try:
        package = load_zip(data)
    except PackageError as exc:
        return _report_page(course, report=None, problems=[p.as_dict() for p in exc.problems], status=422)
    try:
        assignment, version, report = svc.import_package(
            session, current_user, course, package, default_runner(app_settings.current()),
            publish=bool(request.form.get("publish")))
    except Invalid as exc:
        if "problems" not in exc.details:
            raise
        return _report_page(course, report=exc.details.get("report"), problems=exc.details["problems"],
                            status=422)
    result = {"assignment": assignment, "version": version,
              "active": assignment.version_id == version.id}
    return _report_page(course, report=report.as_dict(), problems=[], result=result)


def _assignment(assignment_id: int) -> tuple[Any, Any]:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    course_svc.require_staff(session, current_user, a.course)
    return session, a


@bp.get("/assignments/<int:assignment_id>/versions")
@login_required
def assignment_versions(assignment_id: int) -> ResponseReturnValue:
    session, a = _assignment(assignment_id)
    rows = svc.versions(session, current_user, a)
    return render_template("staff/versions.html", assignment=a, versions=rows, form=ActionForm(),
                           progress=regrading.progress(session, a), stale=svc.stale_submissions(session, a),
                           can_edit=course_svc.can_edit(session, current_user, a.course))


@bp.get("/assignments/<int:assignment_id>/versions/<int:number>/export")
@login_required
def export_version(assignment_id: int, number: int) -> ResponseReturnValue:
    session, a = _assignment(assignment_id)
    version = svc.get_version(session, current_user, a, number)
    data = svc.export(session, current_user, a, version)
    return current_app.response_class(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{a.slug}-v{version.number}.zip"'})


@bp.post("/assignments/<int:assignment_id>/versions/<int:number>/preview")
@login_required
def preview_version(assignment_id: int, number: int) -> ResponseReturnValue:
    session, a = _assignment(assignment_id)
    back = url_for("staff.assignment_versions", assignment_id=a.id)
    if not ActionForm().validate_on_submit():
        return redirect(back)
    version = svc.get_version(session, current_user, a, number)
    try:
        impact = svc.regrade_preview(session, current_user, a, version, default_runner(app_settings.current()))
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    return render_template("staff/version_preview.html", assignment=a, version=version, impact=impact,
                           form=ActionForm())


@bp.post("/assignments/<int:assignment_id>/versions/<int:number>/activate")
@login_required
def activate_version(assignment_id: int, number: int) -> ResponseReturnValue:
    session, a = _assignment(assignment_id)
    back = url_for("staff.assignment_versions", assignment_id=a.id)

    def act() -> tuple[str, str | None]:
        version = svc.get_version(session, current_user, a, number)
        n = svc.activate(session, current_user, a, version, get_dispatcher(current_app))
        return _("Version %(v)s is active; %(n)s submissions queued for regrading.", v=version.number, n=n), None

    return button(act, back=back)
