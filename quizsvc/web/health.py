"""/health: database reachability, schema revision, version and the grading sandbox's isolation
level, for load balancers and humans."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from quizsvc import migrate
from quizsvc import settings as app_settings
from quizsvc.db import get_engine

bp = Blueprint("health", __name__)


@bp.record_once
def _announce_sandbox(state: Any) -> None:
    # At start-up: detect the isolation layers once and log a warning naming any that is missing.
    sandbox_health(app_settings.of(state.app))


def sandbox_health(settings: app_settings.Settings) -> dict[str, Any]:
    """Detected once per process (cached), so /health stays cheap."""
    from quizsvc.sandbox.status import SandboxUnavailable, current_status, enforce

    status = current_status(settings.sandbox_isolation)
    try:
        enforce(status, settings.sandbox_floor)
        refused = None
    except SandboxUnavailable as exc:
        refused = str(exc)
    return {**status.as_dict(), "grading_refused": refused}


@bp.get("/health")
def health() -> ResponseReturnValue:
    engine = get_engine()
    body: dict[str, Any] = {"status": "ok", "version": current_app.config["VERSION"],
                            "database": {"backend": engine.dialect.name},
                            "sandbox": sandbox_health(app_settings.current())}
    if body["sandbox"]["grading_refused"]:
        body["status"] = "degraded"
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(engine)
        head = migrate.head_revision(engine)
        body["database"].update(status="ok", revision=revision, up_to_date=revision == head)
        if revision != head:
            body["status"] = "degraded"
    except Exception as exc:  # any failure to reach the database is the answer, not an error
        body["status"] = "error"
        body["database"].update(status="error", error=type(exc).__name__)
        return jsonify(body), 503
    return jsonify(body), 200
