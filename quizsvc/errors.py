"""Domain errors raised by services; web, API and CLI map them to responses or exit codes."""

from __future__ import annotations

from typing import Any

from quizsvc.text import Text


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: Text, **details: Any) -> None:
        super().__init__(message.en)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    """Input that cannot be accepted as given; ``details['errors']`` may list per-field messages."""

    status, code = 422, "invalid"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class TooMany(DomainError):
    status, code = 429, "too_many_requests"


def not_found(what: Text) -> NotFound:
    return NotFound(Text(en=f"{what.en} not found.", ko=f"{what.ko}을(를) 찾을 수 없습니다."))
