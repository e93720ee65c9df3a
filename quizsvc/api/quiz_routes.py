"""Quiz endpoints of API v1."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from quizsvc.api import bp
from quizsvc.api.auth import api_user, require_token
from quizsvc.api.body import json_body
from quizsvc.api.openapi import openapi_document
from quizsvc.api.serializers import attempt_json, course_json, item_json, quiz_json, result_json
from quizsvc.db import get_session
from quizsvc.errors import Invalid
from quizsvc.models import AttemptStatus
from quizsvc.schemas import parse_input
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import quizzes as quiz_svc
from quizsvc.text import Text

# Strict: JSON true/false is not an answer (lax pydantic would read it as the number 1/0).
Scalar = StrictStr | StrictFloat | StrictInt
Answer = Scalar | list[Scalar | list[Scalar]] | None


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Answer


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Answer] = Field(default_factory=dict, max_length=500)




def _item_ids(answers: dict[str, Any]) -> dict[int, Any]:
    out = {}
    for key, value in answers.items():
        if not (key.isascii() and key.isdigit()):  # not '²' (isdigit, but int() fails) or '٣'
            raise Invalid(Text(en="Keys of 'answers' must be item ids.", ko="answers의 키는 문항 id여야 합니다."),
                          errors={f"answers.{key}": "not an item id"})
        out[int(key)] = value
    return out


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.get("/me")
@require_token("read")
def me() -> ResponseReturnValue:
    user = api_user()
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "locale": user.locale})


@bp.get("/courses")
@require_token("read")
def courses() -> ResponseReturnValue:
    rows = course_svc.courses_of(get_session(), api_user())
    return jsonify({"courses": [course_json(c, r.value) for c, r in rows]})


@bp.get("/courses/<int:course_id>/quizzes")
@require_token("read")
def course_quizzes(course_id: int) -> ResponseReturnValue:
    session = get_session()
    course = course_svc.get_course(session, course_id)
    return jsonify({"quizzes": [quiz_json(q) for q in quiz_svc.visible_quizzes(session, api_user(), course)]})


@bp.get("/quizzes/<int:quiz_id>")
@require_token("read")
def quiz(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    attempts = attempt_svc.attempts_of(session, api_user(), q)
    body = quiz_json(q)
    visible = attempt_svc.scores_visible(session, api_user(), q)
    body["attempts"] = [attempt_json(a, score_visible=visible) for a in attempts]
    return jsonify(body)


@bp.post("/quizzes/<int:quiz_id>/attempts")
@require_token("answer")
def start_attempt(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    before = attempt_svc.open_attempt(session, q, api_user())
    attempt = attempt_svc.start_attempt(session, api_user(), q)
    body = attempt_json(attempt)
    body["items"] = [item_json(v) for v in attempt_svc.attempt_items(session, api_user(), attempt)]
    resp = jsonify(body)
    resp.status_code = 200 if before is not None else 201
    resp.headers["Location"] = url_for("api.attempt", attempt_id=attempt.id)
    return resp


@bp.get("/attempts/<int:attempt_id>")
@require_token("read")
def attempt(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    a = attempt_svc.get_attempt(session, api_user(), attempt_id)
    body = attempt_json(a, score_visible=attempt_svc.scores_visible(session, api_user(), a.quiz))
    body["items"] = [item_json(v) for v in attempt_svc.attempt_items(session, api_user(), a)]
    return jsonify(body)


@bp.put("/attempts/<int:attempt_id>/answers/<int:item_id>")
@require_token("answer")
def save_answer(attempt_id: int, item_id: int) -> ResponseReturnValue:
    session = get_session()
    body = parse_input(AnswerBody, json_body())
    a = attempt_svc.get_attempt(session, api_user(), attempt_id)
    attempt_svc.save_answers(session, api_user(), a, {item_id: body.answer}, allow_blank=False)
    saved = next(v for v in attempt_svc.attempt_items(session, api_user(), a) if v.id == item_id)
    return jsonify({"item_id": item_id, "answer": saved.answer})


@bp.post("/attempts/<int:attempt_id>/submit")
@require_token("answer")
def submit(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    data = json_body() if request.content_length else {}
    body = parse_input(SubmitBody, data)
    a = attempt_svc.get_attempt(session, api_user(), attempt_id)
    result = attempt_svc.submit_attempt(session, api_user(), a, _item_ids(body.answers))
    return jsonify(result_json(result))


@bp.get("/attempts/<int:attempt_id>/result")
@require_token("read")
def result(attempt_id: int) -> ResponseReturnValue:
    session = get_session()
    a = attempt_svc.get_attempt(session, api_user(), attempt_id)
    if a.status != AttemptStatus.SUBMITTED:
        raise Invalid(Text(en="This attempt has not been submitted yet.", ko="아직 제출하지 않은 응시입니다."))
    return jsonify(result_json(attempt_svc.attempt_result(session, api_user(), a)))


@bp.get("/quizzes/<int:quiz_id>/results")
@require_token("manage")
def quiz_results(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    rows = attempt_svc.quiz_results(session, api_user(), q)
    return jsonify({"quiz_id": q.id, "students": [
        {"user_id": r.user.id, "name": r.user.name, "email": r.user.email, "best_score": r.best,
         "attempts": [attempt_json(a) for a in r.attempts]} for r in rows
    ]})
