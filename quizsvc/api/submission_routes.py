"""Assignment and code-submission endpoints of API v1 (what CI pipelines call)."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from quizsvc import settings as app_settings
from quizsvc.api import bp
from quizsvc.api.auth import api_user, require_token
from quizsvc.api.body import json_body
from quizsvc.api.serializers import iso
from quizsvc.db import get_session
from quizsvc.errors import Invalid
from quizsvc.grading import registry
from quizsvc.models import Assignment, Submission, SubmissionStatus
from quizsvc.queue import get_dispatcher
from quizsvc.schemas import parse_input
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions import acceptance, formatting, results
from quizsvc.text import Text

MAX_WAIT = 60.0
# What the OpenAPI document states for JSON bodies (``$`` there ends the string, as ``\Z`` here).
FILENAME = re.compile(r"^[^\x00-\x1f\x7f]*\.(py|ipynb)\Z")
FORMATS = ("json", "junit", "gradescope")


class SubmissionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=acceptance.MAX_SOURCE_BYTES)
    filename: str = Field(default="solution.py", min_length=1, max_length=200)


def assignment_json(a: Assignment, *, full: bool = False) -> dict[str, Any]:
    suite = registry.get(a.grader)
    out: dict[str, Any] = {
        "id": a.id, "slug": a.slug, "course": a.course.slug, "title": a.title, "title_en": a.title_en,
        "functions": suite.function_names, "opens_at": iso(a.opens_at), "due_at": iso(a.due_at),
        "closes_at": iso(a.closes_at), "late_penalty_per_day": a.late_penalty_per_day,
        "max_submissions": a.max_submissions, "score_policy": a.score_policy.value,
        "feedback": a.feedback.value,
    }
    if full:
        out["statement"] = suite.statement
        out["starter_code"] = suite.starter_code
    return out


def submission_json(sub: Submission, *, staff: bool = False) -> dict[str, Any]:
    return {
        "id": sub.id, "assignment": sub.assignment.slug, "course": sub.assignment.course.slug,
        "status": sub.status.value, "filename": sub.filename, "via": sub.via,
        "created_at": iso(sub.created_at), "finished_at": iso(sub.finished_at),
        "score": sub.score, "raw_score": sub.raw_score, "max_score": sub.max_score, "late_days": sub.late_days,
        "result": formatting.public_result(sub, staff=staff) or None,
        "error": "grading failed; staff have been told" if sub.status == SubmissionStatus.ERROR else None,
    }


@bp.get("/assignments")
@require_token("read")
def list_assignments() -> ResponseReturnValue:
    session = get_session()
    out = []
    for course, _role in course_svc.courses_of(session, api_user()):
        out += [assignment_json(a) for a in assignment_svc.visible_assignments(session, api_user(), course)]
    return jsonify({"assignments": out})


@bp.get("/assignments/<slug>")
@require_token("read")
def get_assignment(slug: str) -> ResponseReturnValue:
    a = assignment_svc.find_for_user(get_session(), api_user(), slug, request.args.get("course"))
    return jsonify(assignment_json(a, full=True))


def _read_submission() -> tuple[str, str]:
    # Asking request.files of a JSON body would run werkzeug's form parser for nothing.
    if request.mimetype == "multipart/form-data" and request.files:
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(Text(en="Upload the file in a 'file' field.", ko="'file' 필드로 파일을 올리세요."))
        raw = upload.read(acceptance.MAX_SOURCE_BYTES + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid(Text(en="The file is not UTF-8 text.", ko="파일이 UTF-8 텍스트가 아닙니다.")) from None
        return text, upload.filename or "solution.py"
    data = json_body(Text(en="Send JSON {\"code\": ...} or a multipart 'file'.",
                          ko="JSON {\"code\": ...} 또는 multipart 'file'로 보내세요."))
    body = parse_input(SubmissionBody, data)
    if not FILENAME.search(body.filename):
        raise Invalid(Text(en="The filename must end in .py or .ipynb and contain no control characters.",
                           ko=".py 또는 .ipynb 파일 이름을 제어 문자 없이 보내세요."),
                      errors={"filename": "does not match " + FILENAME.pattern})
    return body.code, body.filename


def _wait_seconds() -> float:
    raw = request.args.get("wait", "0")
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(Text(en="'wait' must be a number of seconds.", ko="wait는 초 단위 숫자입니다.")) from None
    if not 0 <= value <= MAX_WAIT or value != value:
        raise Invalid(Text(en=f"'wait' must be between 0 and {MAX_WAIT:g} seconds.", ko=f"wait는 0~{MAX_WAIT:g}초입니다."))
    return value


def _wait_for(sub_id: int, seconds: float) -> Submission:
    """Poll the row (the source of truth) until it is finished or the wait is over."""
    session = get_session()
    deadline = time.monotonic() + seconds
    delay = 0.01
    while True:
        session.expire_all()
        sub = session.get(Submission, sub_id)
        assert sub is not None
        if sub.status in (SubmissionStatus.GRADED, SubmissionStatus.ERROR) or time.monotonic() >= deadline:
            return sub
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


@bp.post("/assignments/<slug>/submissions")
@require_token("submit")
def create_submission(slug: str) -> ResponseReturnValue:
    session = get_session()
    wait = _wait_seconds()
    a = assignment_svc.find_for_user(session, api_user(), slug, request.args.get("course"))
    code, filename = _read_submission()
    sub = acceptance.submit(session, api_user(), a, code, filename, via="api",
                                dispatcher=get_dispatcher(current_app),
                                limits=acceptance.Limits(app_settings.current().submit_rate_per_min))
    if wait:
        sub = _wait_for(sub.id, wait)
    done = sub.status in (SubmissionStatus.GRADED, SubmissionStatus.ERROR)
    resp = jsonify(submission_json(sub))
    resp.status_code = 200 if done else 202
    resp.headers["Location"] = url_for("api.get_submission", submission_id=sub.id)
    return resp


@bp.get("/assignments/<slug>/submissions")
@require_token("read")
def list_submissions(slug: str) -> ResponseReturnValue:
    session = get_session()
    a = assignment_svc.find_for_user(session, api_user(), slug, request.args.get("course"))
    subs = results.submissions_of(session, api_user(), a)
    return jsonify({"submissions": [submission_json(s) for s in subs]})


@bp.get("/submissions/<int:submission_id>")
@require_token("read")
def get_submission(submission_id: int) -> ResponseReturnValue:
    session = get_session()
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise Invalid(Text(en=f"format must be one of {', '.join(FORMATS)}.", ko=f"format은 {', '.join(FORMATS)} 중 하나입니다."))
    wait = _wait_seconds()
    sub = results.get_submission(session, api_user(), submission_id)
    if wait:
        sub = _wait_for(sub.id, wait)
    staff = course_svc.is_staff(session, api_user(), sub.assignment.course)
    if fmt == "json" or sub.status != SubmissionStatus.GRADED:
        resp = jsonify(submission_json(sub, staff=staff))
        resp.status_code = 200 if fmt == "json" or sub.status == SubmissionStatus.GRADED else 202
        return resp
    body = formatting.formatted_result(sub, fmt, staff=staff)
    if fmt == "junit":
        return Response(str(body), mimetype="application/xml")
    return jsonify(body)
