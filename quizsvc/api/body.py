"""Reading a JSON request body: 415 for another media type, 422 for JSON that does not parse."""

from __future__ import annotations

from typing import Any

from flask import request

from quizsvc.errors import Invalid, UnsupportedMediaType
from quizsvc.text import Text

NOT_JSON = Text(en="Send a JSON body (Content-Type: application/json).",
                ko="JSON 본문이 필요합니다 (Content-Type: application/json).")


def json_body(not_json: Text = NOT_JSON) -> Any:
    if not request.is_json:
        raise UnsupportedMediaType(not_json)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON decoder goes: not a 500
        data = None
    if data is None:
        raise Invalid(Text(en="The body is not valid JSON.", ko="JSON을 읽을 수 없습니다."))
    return data
