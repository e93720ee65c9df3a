"""What course staff do in the browser, one module per flow: courses and their members,
quizzes, the item editor and quiz item regrades, programming assignments (regrading), results and
the gradebook.
:mod:`.flow` holds the pattern the editors share."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Imported for their side effect of adding routes to ``bp``.
from quizsvc.web.staff import (  # noqa: E402, F401
    assignments,
    bank,
    courses,
    exceptions,
    insight,
    items,
    overrides,
    quizzes,
    regrades,
    results,
    versions,
)
