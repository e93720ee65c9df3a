"""Course staff operations through API v1 (``manage`` scope): per-student exceptions and
scores set by hand with a comment the student sees; the same services as the staff pages."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, field_validator

from quizsvc import timezones
from quizsvc.api import bp
from quizsvc.api.auth import api_user, require_token
from quizsvc.api.body import json_body
from quizsvc.api.serializers import iso
from quizsvc.db import get_session
from quizsvc.models import ScoreOverride, StudentException
from quizsvc.schemas import parse_input
from quizsvc.services import courses as course_svc
from quizsvc.services import exceptions, overrides
from quizsvc.services.submissions import results


class ExceptionBody(BaseModel):
    """A student's own dates, tries and time for one quiz or assignment; dates without an
    offset are read in the course's time zone. Everything empty (0, null) removes it."""

    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1, le=2**31 - 1, strict=True)  # true is not user 1
    target: str = Field(pattern=r"^[qa]-[1-9][0-9]{0,9}$", strict=True)
    closes_at: datetime | None = None
    due_at: datetime | None = None
    extra: int = Field(default=0, ge=0, le=exceptions.MAX_EXTRA, strict=True)
    extra_minutes: int = Field(default=0, ge=0, le=24 * 60, strict=True)


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # false is not a score of 0
    score: float = Field(ge=0, le=1_000_000)
    comment: str = Field(min_length=1, max_length=2000)

    @field_validator("score")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def exception_json(e: StudentException) -> dict[str, Any]:
    return {"id": e.id, "user_id": e.user_id, "target": f"q-{e.quiz_id}" if e.quiz_id else f"a-{e.assignment_id}",
            "closes_at": iso(e.closes_at), "due_at": iso(e.due_at), "extra": e.extra,
            "extra_minutes": e.extra_minutes, "updated_at": iso(e.updated_at)}


def override_json(o: ScoreOverride) -> dict[str, Any]:
    return {"id": o.id, "response_id": o.response_id, "submission_id": o.submission_id,
            "old_score": o.old_score, "new_score": o.new_score, "comment": o.comment,
            "created_at": iso(o.created_at)}


@bp.get("/courses/<int:course_id>/exceptions")
@require_token("manage")
def list_exceptions(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    rows = exceptions.of_course(session, api_user(), course)
    return jsonify({"exceptions": [exception_json(e) for e in rows]})


@bp.put("/courses/<int:course_id>/exceptions")
@require_token("manage")
def set_exception(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    course_svc.require_staff(session, api_user(), course)
    body = parse_input(ExceptionBody, json_body())
    saved = exceptions.set_exception(session, api_user(), course, exceptions.ExceptionInput(
        user_id=body.user_id, target=body.target,
        closes_at=timezones.from_local(body.closes_at, course.timezone),
        due_at=timezones.from_local(body.due_at, course.timezone), extra=body.extra,
        extra_minutes=body.extra_minutes))
    return jsonify({"exception": exception_json(saved) if saved is not None else None})


@bp.post("/submissions/<int:submission_id>/override")
@require_token("manage")
def override_submission(submission_id: int) -> ResponseReturnValue:
    session = get_session()
    sub = results.get_submission(session, api_user(), submission_id)
    body = parse_input(OverrideBody, json_body())
    record = overrides.override_submission(session, api_user(), sub, body.score, body.comment)
    return jsonify({"override": override_json(record)}), 201


@bp.post("/responses/<int:response_id>/override")
@require_token("manage")
def override_response(response_id: int) -> ResponseReturnValue:
    session = get_session()
    resp = overrides.get_response(session, api_user(), response_id)
    body = parse_input(OverrideBody, json_body())
    record = overrides.override_response(session, api_user(), resp, body.score, body.comment)
    return jsonify({"override": override_json(record)}), 201
