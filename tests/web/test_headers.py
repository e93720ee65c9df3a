"""What every response says about caching and transport: pages, API answers and exports are
not kept by browsers or proxies (Cache-Control: no-store), static assets are; HSTS once the
service is behind HTTPS (QUIZSVC_SESSION_COOKIE_SECURE). The live server's headers (no
``Server`` banner) are checked in services/test_concurrent_limits.py."""

from __future__ import annotations

from typing import Any

from helpers import login, make_user

from quizsvc.app import create_app
from quizsvc.db import get_engine, get_session
from quizsvc.services import courses, tokens


def _setup(app: Any) -> tuple[int, str]:
    with app.app_context():
        s = get_session()
        prof = make_user(s, "prof@example.com", instructor=True)
        course = courses.create_course(s, prof, "c1", "강좌")
        return course.id, tokens.create_token(s, prof, "ci", "read,manage")[1]


def test_pages_api_answers_and_exports_are_not_stored_static_assets_are(app, client):
    course_id, secret = _setup(app)
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login(client, "prof@example.com")
    for path in ("/", f"/staff/courses/{course_id}", f"/staff/courses/{course_id}/gradebook",
                 f"/staff/courses/{course_id}/gradebook?format=csv", "/account/tokens", "/nowhere"):
        r = client.get(path)
        assert r.headers["Cache-Control"] == "no-store", (path, r.status_code, r.headers.get("Cache-Control"))
    for path in ("/api/v1/courses", "/api/v1/me", "/api/v1/courses/999999/quizzes"):
        r = client.get(path, headers={"Authorization": f"Bearer {secret}"})
        assert r.headers["Cache-Control"] == "no-store", (path, r.status_code)
    assert client.get("/api/v1/courses").headers["Cache-Control"] == "no-store"  # the 401 too
    static = client.get("/static/style.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_hsts_only_behind_https(app, client, database_url, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "TESTING": True,
                         "SESSION_COOKIE_SECURE": True}, instance_path=str(tmp_path / "secure"))
    try:
        for path in ("/login", "/api/v1/openapi.json", "/static/style.css"):
            r = secure.test_client().get(path, base_url="https://localhost")
            assert r.headers["Strict-Transport-Security"] == "max-age=31536000", path
            r.close()
    finally:
        secure.extensions["quizsvc.dispatcher"].stop()
        get_engine(secure).dispose()
