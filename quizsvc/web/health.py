"""/health: database reachability, schema revision and version, for load balancers and humans."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from quizsvc import migrate
from quizsvc.db import get_engine

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():  # type: ignore[no-untyped-def]
    engine = get_engine()
    body = {"status": "ok", "version": current_app.config["VERSION"], "database": {"backend": engine.dialect.name}}
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
