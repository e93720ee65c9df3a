"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json.

Written as data next to the routes it describes; a test checks that every route is documented
and that real responses validate against these schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from quizsvc import __version__
from quizsvc.quiz.registry import all_types

LOC = {"type": "object", "properties": {"ko": {"type": "string"}, "en": {"type": "string"}},
       "additionalProperties": {"type": "string"}}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ANSWER = _ref("Answer")  # its schema comes from the question types, see below


def _question_schemas() -> dict[str, Any]:
    """The schemas the question types provide: their names, and the answer each one takes."""
    types = all_types().values()
    return {
        "QuestionType": {"type": "string", "enum": [t.name for t in types]},
        "Answer": {
            "description": "Null (unanswered), or as the item's type says: "
                           + "; ".join(t.answer_description for t in types) + ".",
            "anyOf": [{"type": "null"}, *(t.answer_schema() for t in types)],
        },
    }


SCHEMAS: dict[str, Any] = {
    "Localized": LOC,
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "message_ko": {"type": "string"},
            "details": {"type": "object"}}}},
    },
    "Me": {"type": "object", "required": ["id", "email", "name", "locale"], "properties": {
        "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
        "locale": {"type": "string", "enum": ["ko", "en"]}}},
    "Course": {"type": "object", "required": ["id", "slug", "title"], "properties": {
        "id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
        "title_en": {"type": "string"}, "role": {"type": "string", "enum": ["student", "ta", "instructor"]}}},
    "Quiz": {"type": "object", "required": ["id", "course_id", "slug", "title", "status", "feedback_policy"],
             "properties": {
        "id": {"type": "integer"}, "course_id": {"type": "integer"}, "slug": {"type": "string"},
        "title": {"type": "string"}, "title_en": {"type": "string"}, "description": LOC,
        "status": {"type": "string", "enum": ["draft", "upcoming", "open", "closed"]},
        "published": {"type": "boolean"}, "opens_at": NULLABLE_TIME, "closes_at": NULLABLE_TIME,
        "max_attempts": {"type": ["integer", "null"]},
        "time_limit_minutes": {"type": ["integer", "null"],
                               "description": "Minutes each attempt may last once started (null: no limit)."},
        "feedback_policy": {"type": "string", "enum": ["immediate", "after_close"]},
        "item_count": {"type": "integer"},
        "attempts": {"type": "array", "items": _ref("Attempt")}}},
    "Attempt": {"type": "object", "required": ["id", "quiz_id", "number", "status"], "properties": {
        "id": {"type": "integer"}, "quiz_id": {"type": "integer"}, "user_id": {"type": "integer"},
        "number": {"type": "integer"}, "status": {"type": "string", "enum": ["in_progress", "submitted"]},
        "started_at": {"type": "string", "format": "date-time"}, "submitted_at": NULLABLE_TIME,
        "score": {"type": ["number", "null"],
                  "description": "Null until submitted, and for a student until feedback is due "
                                 "(feedback_policy after_close: the close date)."},
        "max_score": {"type": ["number", "null"]},
        "deadline_at": {**NULLABLE_TIME, "description":
                        "A timed attempt's end (extra time and the close date included): answers are "
                        "refused after it and the attempt is submitted with the answers saved by then."},
        "items": {"type": "array", "items": _ref("Item")}}},
    "Item": {"type": "object", "required": ["id", "key", "type", "points", "prompt", "options"], "properties": {
        "id": {"type": "integer"}, "key": {"type": "string"},
        "type": _ref("QuestionType"),
        "points": {"type": "number"}, "prompt": LOC, "prompt_html": LOC,
        "options": {"type": "array", "items": {"type": "object", "required": ["id", "text"],
                                                "properties": {"id": {"type": "string"}, "text": LOC}}},
        "input_hint": LOC, "answer": ANSWER}},
    "AnswerBody": {"type": "object", "required": ["answer"], "additionalProperties": False,
                   "properties": {"answer": ANSWER}},
    "SavedAnswer": {"type": "object", "required": ["item_id"], "properties": {
        "item_id": {"type": "integer"}, "answer": ANSWER}},
    "SubmitBody": {"type": "object", "additionalProperties": False, "properties": {
        "answers": {"type": "object", "maxProperties": 500, "additionalProperties": ANSWER,
                    "propertyNames": {"pattern": "^[0-9]+$"},
                    "description": "Item id (as a string) -> answer. Omitted items count as unanswered."}}},
    "Result": {"type": "object", "required": ["attempt", "max_score", "feedback_visible", "items"], "properties": {
        "attempt": _ref("Attempt"),
        "score": {"type": ["number", "null"], "description": "Null until feedback_visible."},
        "max_score": {"type": "number"},
        "feedback_visible": {"type": "boolean"}, "feedback_available_at": NULLABLE_TIME,
        "items": {"type": "array", "items": {"type": "object", "required": ["item_id", "score", "correct"],
                  "properties": {
            "item_id": {"type": "integer"}, "score": {"type": "number"}, "max_score": {"type": "number"},
            "correct": {"type": "boolean"}, "message": LOC, "key": {"type": ["string", "null"]},
            "explanation_html": LOC, "answer": ANSWER,
            "staff_comment": {"type": ["string", "null"],
                              "description": "Why staff set this item's score by hand, as they wrote it."}}}}}},
    "QuizResults": {"type": "object", "required": ["quiz_id", "students"], "properties": {
        "quiz_id": {"type": "integer"},
        "students": {"type": "array", "items": {"type": "object", "properties": {
            "user_id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
            "best_score": {"type": ["number", "null"]},
            "attempts": {"type": "array", "items": _ref("Attempt")}}}}}},
    "Assignment": {"type": "object", "required": ["id", "slug", "course", "title", "functions"], "properties": {
        "id": {"type": "integer"}, "slug": {"type": "string"}, "course": {"type": "string"},
        "title": {"type": "string"}, "title_en": {"type": "string"},
        "functions": {"type": "array", "items": {"type": "string"}},
        "opens_at": NULLABLE_TIME, "due_at": NULLABLE_TIME, "closes_at": NULLABLE_TIME,
        "late_penalty_per_day": {"type": "number"}, "max_submissions": {"type": ["integer", "null"]},
        "score_policy": {"type": "string", "enum": ["best", "last"]},
        "feedback": {"type": "string", "enum": ["full", "scores", "after_due"],
                     "description": "What a student sees of a graded submission"},
        "statement": LOC, "starter_code": {"type": "string"}}},
    "SubmissionBody": {
        "type": "object", "required": ["code"], "additionalProperties": False, "properties": {
            "code": {"type": "string", "minLength": 1, "maxLength": 262144,
                     # neither a NUL anywhere nor only (ASCII) whitespace
                     "not": {"anyOf": [{"pattern": "\\x00"}, {"pattern": "^[ \\t\\n\\r\\f\\x0b]*$"}]},
                     "description": "The source: at most 256 KiB as UTF-8, no NUL character, not only "
                                    "whitespace; a notebook's JSON text when the filename ends in .ipynb. A notebook "
                                    "whose cells are malformed or hold no code, and code too deeply nested "
                                    "for Python's parser, are refused with 422."},
            "filename": {"type": "string", "minLength": 1, "maxLength": 200, "default": "solution.py",
                         "pattern": "^[^\\x00-\\x1f\\x7f]*\\.(py|ipynb)$",
                         "description": "Ends in .py or .ipynb; no control characters."}},
        # a notebook must be a JSON object with a list of cells
        "if": {"required": ["filename"], "properties": {"filename": {"pattern": "\\.ipynb$"}}},
        "then": {"properties": {"code": {
            "contentMediaType": "application/json",
            "contentSchema": {"type": "object", "required": ["cells"], "properties": {"cells": {"type": "array"}}}}}}},
    "Grades": {"type": "object", "required": ["course_id", "total", "max_total", "quizzes", "assignments"],
               "description": "The token user's own grades; scored as the course gradebook scores them.",
               "properties": {
        "course_id": {"type": "integer"}, "total": {"type": "number"}, "max_total": {"type": "number"},
        "quizzes": {"type": "array", "items": {"type": "object", "required": [
            "quiz_id", "title", "score", "max_score", "score_hidden", "attempts_used", "attempt_id"], "properties": {
            "quiz_id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
            "title_en": {"type": "string"},
            "score": {"type": ["number", "null"], "description": "The best attempt's score; null when not "
                      "taken yet, or (score_hidden) until the quiz closes."},
            "max_score": {"type": "number"}, "score_hidden": {"type": "boolean"}, "closes_at": NULLABLE_TIME,
            "attempts_used": {"type": "integer"}, "max_attempts": {"type": ["integer", "null"]},
            "attempt_id": {"type": ["integer", "null"]}, "feedback_url": {"type": ["string", "null"]}}}},
        "assignments": {"type": "array", "items": {"type": "object", "required": [
            "assignment_id", "title", "score", "max_score", "late_days", "submission_id"], "properties": {
            "assignment_id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
            "title_en": {"type": "string"},
            "score": {"type": ["number", "null"], "description": "By the assignment's score policy (best or "
                      "last graded submission), after the late penalty; null before a graded submission."},
            "max_score": {"type": "number"}, "due_at": NULLABLE_TIME, "late_days": {"type": "integer"},
            "submission_id": {"type": ["integer", "null"]}, "feedback_url": {"type": ["string", "null"]}}}}}},
    "PackageAssignment": {"type": "object", "required": ["id", "slug", "published", "grader"], "properties": {
        "id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
        "title_en": {"type": "string"}, "published": {"type": "boolean"},
        "grader": {"type": "string", "description": "The active version's digest"},
        "version": {"type": ["integer", "null"], "description": "The active version's number"}}},
    "AssignmentVersion": {"type": "object", "required": ["number", "digest", "active"], "properties": {
        "number": {"type": "integer"}, "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "active": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
        "created_by": {"type": ["string", "null"]}, "ok": {"type": "boolean"}, "bytes": {"type": "integer"}}},
    "CheckReport": {"type": "object", "required": ["ok", "slug", "version", "problems"], "properties": {
        "ok": {"type": "boolean"}, "slug": {"type": "string"}, "version": {"type": "string"}, "title": LOC,
        "cases": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "points": {"type": "number"}, "hidden": {"type": "boolean"}}}},
        "problems": {"type": "array", "items": _ref("PackageProblem")},
        "checked": {"type": "array", "items": {"type": "object"}}}},
    "PackageProblem": {"type": "object", "required": ["file", "en", "ko"], "properties": {
        "file": {"type": "string"}, "where": {"type": "string"}, "en": {"type": "string"},
        "ko": {"type": "string"}}},
    "ExceptionBody": {
        "type": "object", "required": ["user_id", "target"], "additionalProperties": False,
        "description": "Dates without an offset are read in the course's time zone; all empty removes it.",
        "properties": {
            "user_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "target": {"type": "string", "pattern": "^[qa]-[1-9][0-9]{0,9}$",
                       "description": "q-<quiz id> or a-<assignment id>"},
            "closes_at": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"]},
            "extra": {"type": "integer", "minimum": 0, "maximum": 100},
            "extra_minutes": {"type": "integer", "minimum": 0, "maximum": 1440}}},
    "StudentException": {"type": "object", "required": ["id", "user_id", "target", "extra", "extra_minutes"],
                         "properties": {
        "id": {"type": "integer"}, "user_id": {"type": "integer"}, "target": {"type": "string"},
        "closes_at": NULLABLE_TIME, "due_at": NULLABLE_TIME, "extra": {"type": "integer"},
        "extra_minutes": {"type": "integer"}, "updated_at": NULLABLE_TIME}},
    "Exceptions": {"type": "object", "required": ["exceptions"], "properties": {
        "exceptions": {"type": "array", "items": {"$ref": "#/components/schemas/StudentException"}}}},
    "ExceptionResult": {"type": "object", "required": ["exception"], "properties": {
        "exception": {"oneOf": [{"$ref": "#/components/schemas/StudentException"}, {"type": "null"}]}}},
    "OverrideBody": {"type": "object", "required": ["score", "comment"], "additionalProperties": False,
                     "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1_000_000},
                                    "comment": {"type": "string", "minLength": 1, "maxLength": 2000}}},
    "OverrideResult": {"type": "object", "required": ["override"], "properties": {"override": {
        "type": "object", "required": ["id", "new_score", "comment"], "properties": {
            "id": {"type": "integer"}, "response_id": {"type": ["integer", "null"]},
            "submission_id": {"type": ["integer", "null"]}, "old_score": {"type": ["number", "null"]},
            "new_score": {"type": "number"}, "comment": {"type": "string"}, "created_at": NULLABLE_TIME}}}},
    "PackageImport": {"type": "object", "required": ["assignment", "version", "report"], "properties": {
        "assignment": _ref("PackageAssignment"), "version": _ref("AssignmentVersion"),
        "report": _ref("CheckReport")}},
    "PackageUpload": {"type": "object", "required": ["package"], "properties": {
        "package": {"type": "string", "format": "binary"}}},
    "AssignmentVersions": {"type": "object", "required": ["assignment", "versions"], "properties": {
        "assignment": _ref("PackageAssignment"),
        "versions": {"type": "array", "items": _ref("AssignmentVersion")}}},
    "StudentImpact": {"type": "object", "required": ["user_id", "old", "new", "change"], "properties": {
        "user_id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
        "submission_id": {"type": "integer"}, "old": {"type": "number"}, "new": {"type": "number"},
        "old_max": {"type": "number"}, "new_max": {"type": "number"}, "change": {"type": "number"},
        "overridden": {"type": "boolean"}}},
    "RegradeImpact": {"type": "object", "required": ["version", "gained", "lost", "unchanged", "students"],
                      "properties": {
        "version": {"type": "integer"}, "digest": {"type": "string"}, "gained": {"type": "integer"},
        "lost": {"type": "integer"}, "unchanged": {"type": "integer"},
        "students": {"type": "array", "items": _ref("StudentImpact")},
        "biggest": {"type": "array", "items": _ref("StudentImpact")}}},
    "Activation": {"type": "object", "required": ["queued", "version", "progress_url"], "properties": {
        "queued": {"type": "integer"}, "version": _ref("AssignmentVersion"), "progress_url": {"type": "string"}}},
    "RegradeProgress": {"type": "object", "required": ["counts", "stale"], "properties": {
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "stale": {"type": "integer", "description": "Graded submissions not graded with the active version"}}},
    "SubmissionUpload": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}},
    "Submission": {"type": "object", "required": ["id", "assignment", "status"], "properties": {
        "id": {"type": "integer"}, "assignment": {"type": "string"}, "course": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "graded", "error"]},
        "filename": {"type": "string"}, "via": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}, "finished_at": NULLABLE_TIME,
        "score": {"type": ["number", "null"]}, "raw_score": {"type": ["number", "null"]},
        "max_score": {"type": ["number", "null"]}, "late_days": {"type": "integer"},
        "result": {"type": ["object", "null"], "description": "Per-case results, diagnoses, score "
                   "(hidden cases show no inputs, outputs or exception text)."},
        "error": {"type": ["string", "null"]}}},
}


def _resp(desc: str, schema: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema:
        out["content"] = {"application/json": {"schema": _ref(schema)}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {429: "Too many submissions; see Retry-After", 400: "Malformed request", 401: "Missing, invalid, revoked or expired token",
            403: "Token lacks the scope, or the action is not allowed now", 404: "No such resource (or not yours)",
            409: "Conflicts with the current state", 413: "Body too large",
            415: "The body is not JSON (or, where allowed, multipart)", 422: "Input could not be accepted"}
    out = {str(c): _resp(text[c], "Error") for c in codes}
    if 429 in codes:
        out["429"]["headers"] = {"Retry-After": {"description": "Seconds to wait", "required": True,
                                                 "schema": {"type": "integer", "minimum": 0}}}
    return out


def _op(op_id: str, summary: str, scope: str | None, ok: dict[str, Any], *errs: int,
        body: str | None = None, params: Sequence[str] = (),
        slug: bool = False, upload: bool = False, query: dict[str, Any] | None = None,
        course: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": {**ok, **_errors(*errs)}}
    if scope:
        op["security"] = [{"bearer": []}]
        op["description"] = f"Requires a token with the `{scope}` scope."
    if body:
        op["requestBody"] = {"required": body != "SubmitBody",
                             "content": {"application/json": {"schema": _ref(body)}}}
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True,
                             "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}} for p in params]
    if course:
        op.setdefault("parameters", []).append({"name": "course", "in": "path", "required": True,
                                                "description": "The course's slug (or id)",
                                                "schema": {"type": "string", "maxLength": 64}})
    if slug:
        op.setdefault("parameters", []).append({"name": "slug", "in": "path", "required": True,
                                                "schema": {"type": "string", "maxLength": 64}})
    for name, schema in (query or {}).items():
        op.setdefault("parameters", []).append({"name": name, "in": "query", "required": False, "schema": schema})
    if upload:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref("SubmissionBody")},
            "multipart/form-data": {"schema": _ref("SubmissionUpload")}}}
    return op


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    auth = (401, 403, 404)
    return {
        "openapi": "3.1.0",
        "info": {"title": "quizsvc API", "version": __version__,
                 "description": "Quizzes and autograding for a course on regularization and normalization."},
        "servers": [{"url": "/"}],
        "components": {"schemas": {**SCHEMAS, **_question_schemas()},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                             "responses": {"200": {"description": "OpenAPI document"}}}},
            "/api/v1/me": {"get": _op("me", "The token's user", "read", {"200": _resp("User", "Me")}, 401, 403)},
            "/api/v1/courses": {"get": _op(
                "listCourses", "Courses the user belongs to", "read",
                {"200": {"description": "Courses", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["courses"],
                    "properties": {"courses": {"type": "array", "items": _ref("Course")}}}}}}}, 401, 403)},
            "/api/v1/courses/{course_id}/quizzes": {"get": _op(
                "listQuizzes", "Quizzes of a course (published ones for students)", "read",
                {"200": {"description": "Quizzes", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["quizzes"],
                    "properties": {"quizzes": {"type": "array", "items": _ref("Quiz")}}}}}}},
                *auth, params=["course_id"])},
            "/api/v1/courses/{course_id}/grades": {"get": _op(
                "myGrades", "The user's own grades in a course: every quiz and assignment", "read",
                {"200": _resp("Grades", "Grades")}, *auth, params=["course_id"])},
            "/api/v1/quizzes/{quiz_id}": {"get": _op(
                "getQuiz", "A quiz and the user's attempts", "read", {"200": _resp("Quiz", "Quiz")},
                *auth, params=["quiz_id"])},
            "/api/v1/quizzes/{quiz_id}/attempts": {"post": _op(
                "startAttempt", "Start an attempt, or resume the open one", "answer",
                {"200": _resp("The open attempt, resumed", "Attempt"), "201": _resp("A new attempt", "Attempt")},
                *auth, 409, params=["quiz_id"])},
            "/api/v1/quizzes/{quiz_id}/results": {"get": _op(
                "quizResults", "Every student's attempts (course staff)", "manage",
                {"200": _resp("Results", "QuizResults")}, *auth, params=["quiz_id"])},
            "/api/v1/attempts/{attempt_id}": {"get": _op(
                "getAttempt", "An attempt with its items as the student sees them", "read",
                {"200": _resp("Attempt", "Attempt")}, *auth, params=["attempt_id"])},
            "/api/v1/attempts/{attempt_id}/answers/{item_id}": {"put": _op(
                "saveAnswer", "Save one answer (a malformed answer is rejected and nothing is consumed)",
                "answer", {"200": _resp("Saved", "SavedAnswer")}, 400, *auth, 409, 413, 415, 422,
                body="AnswerBody", params=["attempt_id", "item_id"])},
            "/api/v1/attempts/{attempt_id}/submit": {"post": _op(
                "submitAttempt", "Submit (optionally with answers) and get the result", "answer",
                {"200": _resp("Result", "Result")}, 400, *auth, 409, 413, 415, 422,
                body="SubmitBody", params=["attempt_id"])},
            "/api/v1/attempts/{attempt_id}/result": {"get": _op(
                "getResult", "Score and, when the feedback policy allows, per-item feedback", "read",
                {"200": _resp("Result", "Result")}, *auth, 422, params=["attempt_id"])},
            "/api/v1/assignments": {"get": _op(
                "listAssignments", "Programming assignments of the user's courses", "read",
                {"200": {"description": "Assignments", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["assignments"],
                    "properties": {"assignments": {"type": "array", "items": _ref("Assignment")}}}}}}}, 401, 403)},
            "/api/v1/assignments/{slug}": {"get": _with_course(_op(
                "getAssignment", "An assignment with its statement and starter code", "read",
                {"200": _resp("Assignment", "Assignment")}, *auth, 409, slug=True))},
            "/api/v1/assignments/{slug}/submissions": {
                "post": _with_wait(_with_course(_op(
                    "submitCode", "Submit code for grading: 202 once stored (queued), or 200 with the "
                    "result when it is graded within ?wait seconds", "submit",
                    {"202": _resp("Accepted and queued", "Submission"),
                     "200": _resp("Graded within the wait", "Submission")},
                    400, *auth, 409, 413, 415, 422, 429, slug=True, upload=True))),
                "get": _with_course(_op(
                    "listSubmissions", "The user's submissions for an assignment", "read",
                    {"200": {"description": "Submissions", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["submissions"],
                        "properties": {"submissions": {"type": "array", "items": _ref("Submission")}}}}}}},
                    *auth, 409, slug=True))},
            "/api/v1/submissions/{submission_id}": {"get": _with_wait(_op(
                "getSubmission", "A submission's status and result; ?format=junit|gradescope once graded",
                "read", {"200": {"description": "The submission (format=json), JUnit XML or Gradescope results.json",
                                 "content": {"application/json": {"schema": {"type": "object"}},
                                             "application/xml": {"schema": {"type": "string"}}}},
                         "202": _resp("Not graded yet", "Submission")},
                *auth, 422, params=["submission_id"], query={"format": {
                    "type": "string", "enum": ["json", "junit", "gradescope"], "default": "json"}}))},
            **_package_paths(auth),
            **_staff_paths(auth),
        },
    }


def _with_course(op: dict[str, Any]) -> dict[str, Any]:
    op.setdefault("parameters", []).append({
        "name": "course", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64},
        "description": "Course slug, when several of your courses have an assignment with this slug."})
    return op


def _with_wait(op: dict[str, Any]) -> dict[str, Any]:
    op.setdefault("parameters", []).append({
        "name": "wait", "in": "query", "required": False,
        "schema": {"type": "number", "minimum": 0, "maximum": 60, "default": 0},
        "description": "Hold the response up to this many seconds until the submission is graded."})
    return op


def _staff_paths(auth: tuple[int, ...]) -> dict[str, Any]:
    """Per-student exceptions and scores set by hand (course staff)."""
    body_errors = (400, *auth, 409, 413, 415, 422)
    return {
        "/api/v1/courses/{course_id}/exceptions": {
            "get": _op("listExceptions", "Every per-student exception of a course", "manage",
                       {"200": _resp("Exceptions", "Exceptions")}, *auth, params=["course_id"]),
            "put": _op("setException", "Create, replace or (all empty) remove one student's "
                       "exception for a quiz or an assignment: own close and due dates, extra "
                       "tries, extra minutes per timed attempt", "manage",
                       {"200": _resp("The exception, or null when removed", "ExceptionResult")},
                       *body_errors, body="ExceptionBody", params=["course_id"])},
        "/api/v1/submissions/{submission_id}/override": {"post": _op(
            "overrideSubmission", "Set a graded submission's score by hand, with a comment the "
            "student sees (a later regrade keeps it)", "manage",
            {"201": _resp("The override", "OverrideResult")}, *body_errors, body="OverrideBody",
            params=["submission_id"])},
        "/api/v1/responses/{response_id}/override": {"post": _op(
            "overrideAnswer", "Set one answer's score of a submitted attempt by hand, with a "
            "comment the student sees", "manage", {"201": _resp("The override", "OverrideResult")},
            *body_errors, body="OverrideBody", params=["response_id"])},
    }


def _package_paths(auth: tuple[int, ...]) -> dict[str, Any]:
    """Assignment packages (course editors; listing, export and progress: course staff)."""
    base = "/api/v1/courses/{course}/assignments"
    version = base + "/{slug}/versions/{number}"
    number = [{"name": "number", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}]
    flag = {"type": "string", "enum": ["0", "1", "true", "false"]}
    upload = _op("importAssignmentPackage",
                 "Check a package (.zip) in the sandbox and import it: a new unpublished assignment, or "
                 "a new (not yet active) version of the assignment of its slug; 200 when the course "
                 "already has this exact package. 422 lists the problems (details.problems); nothing "
                 "is stored then. At most 5 MiB.", "manage",
                 {"201": _resp("Imported", "PackageImport"), "200": _resp("Already there", "PackageImport")},
                 400, *auth, 409, 413, 415, 422, course=True, query={"activate": flag, "publish": flag})
    upload["requestBody"] = {"required": True, "content": {
        "application/zip": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": _ref("PackageUpload")}}}
    export = _op("exportAssignmentVersion", "A version's package as it was imported (.zip)", "manage",
                 {"200": {"description": "The .zip", "content": {
                     "application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
                 *auth, course=True, slug=True)
    preview = _op("previewAssignmentVersion",
                  "Grade each student's counted submission with this version, storing nothing: who "
                  "would gain or lose points, and how many", "manage",
                  {"200": _resp("The impact", "RegradeImpact")}, *auth, course=True, slug=True)
    activate = _op("activateAssignmentVersion",
                   "Grade with this version from now on and queue every finished submission for a "
                   "regrade (follow progress_url)", "manage",
                   {"202": _resp("Activated; regrading queued", "Activation")}, *auth, course=True, slug=True)
    for op in (export, preview, activate):
        op["parameters"] += number
    return {
        base + "/import": {"post": upload},
        base + "/{slug}/versions": {"get": _op(
            "listAssignmentVersions", "An assignment's versions, newest first", "manage",
            {"200": _resp("Versions", "AssignmentVersions")}, *auth, course=True, slug=True)},
        version + "/export": {"get": export},
        version + "/preview": {"post": preview},
        version + "/activate": {"post": activate},
        base + "/{slug}/progress": {"get": _op(
            "assignmentRegradeProgress", "Submissions by status, and how many are not yet graded "
            "with the active version", "manage", {"200": _resp("Progress", "RegradeProgress")},
            *auth, course=True, slug=True)},
    }
