"""Assignment packages over API v1 (``manage`` scope): import a .zip into a course, list an
assignment's versions, export one, preview a regrade with one, activate one."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from quizsvc import settings as app_settings
from quizsvc.api import bp
from quizsvc.api.auth import api_user, require_token
from quizsvc.db import get_session
from quizsvc.errors import Invalid, UnsupportedMediaType, not_found
from quizsvc.grading.package import PackageError, load_zip
from quizsvc.grading.runner import default_runner
from quizsvc.models import Assignment, Course
from quizsvc.queue import get_dispatcher
from quizsvc.schemas import parse_input
from quizsvc.services import assignment_versions as svc
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions import regrading
from quizsvc.text import Text

ZIP_TYPES = ("application/zip", "application/x-zip-compressed")
NOT_ZIP = Text(en="Send the package as a .zip body (Content-Type: application/zip) or a multipart "
                  "'package' field.",
               ko="패키지를 .zip 본문(Content-Type: application/zip) 또는 multipart 'package' 필드로 보내세요.")


class ImportOptions(BaseModel):
    """Query parameters of an import."""

    model_config = ConfigDict(extra="forbid")
    # Exactly what the OpenAPI document says, so nothing it calls invalid is accepted.
    activate: Literal["0", "1", "true", "false"] = "0"  # grade with it now, regrading everything
    publish: Literal["0", "1", "true", "false"] = "0"

    @staticmethod
    def on(value: str) -> bool:
        return value in ("1", "true")


def _course(ref: str) -> Course:
    session = get_session()
    course = session.scalar(select(Course).where(Course.slug == ref)) if "\x00" not in ref else None
    if course is None and ref.isdigit() and 0 < int(ref) < 2**31:
        course = session.get(Course, int(ref))
    if course is None:
        raise not_found(Text(en="Course", ko="강좌"))
    course_svc.require_staff(session, api_user(), course)  # staff only learn a course exists
    return course


def _assignment(course_ref: str, slug: str) -> Assignment:
    return svc.assignment_in(get_session(), _course(course_ref), slug)


def _package_bytes() -> bytes:
    # Set before the body is read: a larger upload is refused with 413, never read whole.
    request.max_content_length = svc.MAX_PACKAGE_BYTES + 64 * 1024  # room for multipart framing
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("package")
        if upload is None:
            raise Invalid(Text(en="Upload the .zip in a 'package' field.", ko="'package' 필드로 .zip을 올리세요."))
        return upload.read(svc.MAX_PACKAGE_BYTES + 1)
    if request.mimetype not in ZIP_TYPES:
        raise UnsupportedMediaType(NOT_ZIP)
    return request.get_data(cache=False)


def _options() -> ImportOptions:
    return parse_input(ImportOptions, request.args.to_dict())


@bp.post("/courses/<course>/assignments/import")
@require_token("manage")
def import_assignment(course: str) -> ResponseReturnValue:
    session = get_session()
    options = _options()
    target = _course(course)
    course_svc.require_editor(session, api_user(), target)
    data = _package_bytes()
    if len(data) > svc.MAX_PACKAGE_BYTES:
        raise Invalid(svc.TOO_LARGE)
    try:
        package = load_zip(data)
    except PackageError as exc:
        raise svc.package_error(exc) from None
    known = svc.has_version(session, target, package.version)
    assignment, version, report = svc.import_package(
        session, api_user(), target, package, default_runner(app_settings.current()),
        activate_now=options.on(options.activate), publish=options.on(options.publish), dispatcher=get_dispatcher(current_app))
    resp = jsonify({"assignment": svc.assignment_dict(assignment),
                    "version": svc.version_dict(version, assignment.version_id), "report": report.as_dict()})
    resp.status_code = 200 if known else 201
    resp.headers["Location"] = url_for("api.list_versions", course=target.slug, slug=assignment.slug)
    return resp


@bp.get("/courses/<course>/assignments/<slug>/versions")
@require_token("manage")
def list_versions(course: str, slug: str) -> ResponseReturnValue:
    session = get_session()
    a = _assignment(course, slug)
    rows = svc.versions(session, api_user(), a)
    return jsonify({"assignment": svc.assignment_dict(a),
                    "versions": [svc.version_dict(v, a.version_id) for v in rows]})


@bp.get("/courses/<course>/assignments/<slug>/versions/<int:number>/export")
@require_token("manage")
def export_version(course: str, slug: str, number: int) -> ResponseReturnValue:
    session = get_session()
    a = _assignment(course, slug)
    version = svc.get_version(session, api_user(), a, number)
    data = svc.export(session, api_user(), a, version)
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{a.slug}-v{version.number}.zip"'})


@bp.post("/courses/<course>/assignments/<slug>/versions/<int:number>/preview")
@require_token("manage")
def preview_version(course: str, slug: str, number: int) -> ResponseReturnValue:
    session = get_session()
    a = _assignment(course, slug)
    version = svc.get_version(session, api_user(), a, number)
    impact = svc.regrade_preview(session, api_user(), a, version, default_runner(app_settings.current()))
    return jsonify(impact.as_dict())


@bp.post("/courses/<course>/assignments/<slug>/versions/<int:number>/activate")
@require_token("manage")
def activate_version(course: str, slug: str, number: int) -> ResponseReturnValue:
    session = get_session()
    a = _assignment(course, slug)
    version = svc.get_version(session, api_user(), a, number)
    queued = svc.activate(session, api_user(), a, version, get_dispatcher(current_app))
    progress = url_for("api.regrade_progress", course=a.course.slug, slug=a.slug)
    resp = jsonify({"queued": queued, "version": svc.version_dict(version, a.version_id),
                    "progress_url": progress})
    resp.status_code = 202
    resp.headers["Location"] = progress
    return resp


@bp.get("/courses/<course>/assignments/<slug>/progress")
@require_token("manage")
def regrade_progress(course: str, slug: str) -> ResponseReturnValue:
    session = get_session()
    a = _assignment(course, slug)
    out: dict[str, Any] = {"counts": regrading.progress(session, a),
                           "stale": svc.stale_submissions(session, a)}
    return jsonify(out)
