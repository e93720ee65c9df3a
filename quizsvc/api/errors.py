"""JSON error bodies: {"error": {"code", "message", "message_ko", "details"}}."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from quizsvc.errors import DomainError


def error_response(exc: DomainError) -> ResponseReturnValue:
    body = {"error": {"code": exc.code, "message": exc.message.en, "message_ko": exc.message.ko,
                      "details": exc.details}}
    resp = jsonify(body)
    resp.status_code = exc.status
    if exc.status == 429 and "retry_after" in exc.details:
        resp.headers["Retry-After"] = str(exc.details["retry_after"])
    return resp


def http_error_response(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
             415: "unsupported_media_type"}
    body = {"error": {"code": names.get(code, "http_error"), "message": exc.description or exc.name,
                      "message_ko": "", "details": {}}}
    return jsonify(body), code, passed_on_headers(exc)


def passed_on_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers except its HTML Content-Type: e.g. ``Allow`` on a 405, which
    RFC 9110 requires."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


def internal_error_response() -> ResponseReturnValue:
    body = {"error": {"code": "internal", "message": "Internal error.", "message_ko": "내부 오류입니다.",
                      "details": {}}}
    return jsonify(body), 500
