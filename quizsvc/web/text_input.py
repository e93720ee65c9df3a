"""One check for all text the browser UI receives: no NUL and no other control characters
(tab, line feed, form feed and carriage return excepted, which text areas and code use).

PostgreSQL cannot store a NUL (a form field with one was a 500 there, and stored as is on
SQLite); the other control characters have no business in a name, an e-mail, a join code or
a title either. The JSON API checks its own fields; uploaded files are checked by what reads
them.
"""

from __future__ import annotations

import re

from flask import request

from quizsvc.errors import DomainError
from quizsvc.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class ControlCharacters(DomainError):
    status, code = 400, "control_characters"


def refuse_control_characters() -> None:
    """A ``before_request`` hook for the web UI's forms and query strings."""
    if request.path.startswith("/api/") or request.endpoint == "static":
        return
    for fields in (request.args, request.form):
        for key, values in fields.lists():
            if _CONTROL.search(key) or any(_CONTROL.search(v) for v in values):
                raise ControlCharacters(
                    Text(en="The input contains a NUL or another control character; remove it and send again.",
                         ko="입력에 NUL 같은 제어 문자가 있습니다. 지우고 다시 보내세요."))
