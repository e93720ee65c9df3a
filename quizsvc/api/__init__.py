"""JSON API v1: the same use cases as the web UI, for CI pipelines, scripts and the CLI.

Authentication is a bearer token (``Authorization: Bearer qz_...``) with scopes; cookies are
never accepted here, so the API needs no CSRF token.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from quizsvc.api import (  # noqa: E402,F401  (routes attach to bp)
    assignment_version_routes,
    grades_routes,
    quiz_routes,
    staff_routes,
    submission_routes,
)
