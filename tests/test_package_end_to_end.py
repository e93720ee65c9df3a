"""Done-when of issue 15, end to end: an assignment that exists only under tests/ (written from
docs/assignment-format.md alone) is checked by ``quizsvc assignment check``, imported into a
running ``quizsvc serve`` through the API and published, then a student submits to it through
the API and through the web form, and both are graded with the diagnosis of their mistake.
Nothing under quizsvc/ knows the assignment. SQLite, and PostgreSQL with QUIZSVC_TEST_DB."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from live import served

from quizsvc.app import create_app
from quizsvc.db import get_engine, get_session
from quizsvc.grading.package import load_dir
from quizsvc.grading.registry import demo_packages
from quizsvc.models import CourseRole
from quizsvc.services import accounts, courses, tokens

BIN = Path(sys.executable).parent
MAX_NORM = Path(__file__).resolve().parent / "packages" / "max_norm"
PASSWORD = "correct-horse-battery"


def _seed(env: dict[str, str]) -> tuple[str, str]:
    """A course with an instructor (a manage token) and a student (a submit token)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        app = create_app()
        with app.app_context():
            s = get_session()
            prof = accounts.create_user(s, "prof@example.com", "prof", PASSWORD, can_create_courses=True)
            course = courses.create_course(s, prof, "dl101", "딥러닝")
            student = accounts.create_user(s, "s@example.com", "s", PASSWORD)
            courses.enroll(s, student, course, CourseRole.STUDENT)
            manage = tokens.create_token(s, prof, "course-ci", "read,manage")[1]
            submit = tokens.create_token(s, student, "ci", "read,submit")[1]
        get_engine(app).dispose()
        return manage, submit
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def _api(base: str, method: str, path: str, token: str, body: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}{path}", data=body, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _browser(base: str) -> tuple[Any, Any]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(path: str) -> str:
        with opener.open(f"{base}{path}", timeout=60) as page:
            return str(page.read().decode())

    def post(path: str, fields: dict[str, str], token_from: str) -> tuple[str, str]:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', get(token_from))
        assert token
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        with opener.open(f"{base}{path}", data=data, timeout=60) as resp:
            return resp.geturl(), str(resp.read().decode())

    return get, post


def test_a_new_assignment_from_check_to_graded_submissions(tmp_path: Path, database_url: str,
                                                           fresh_db_url: str) -> None:
    package = load_dir(MAX_NORM)
    assert package.slug not in demo_packages()  # it ships with nothing: the tests hold it
    mistake = next(m for m in package.mistakes.mistake if m.key == "always_rescale")
    base_source = package.text(f"solutions/{mistake.base}")
    wrong = base_source.replace(*mistake.patches[0])

    check = subprocess.run([str(BIN / "quizsvc"), "assignment", "check", str(MAX_NORM)],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok: 7 cases" in check.stdout

    with served(tmp_path, fresh_db_url, secret="e2e-package") as (base, env, _log):
        manage, submit = _seed({k: v for k, v in env.items() if k.startswith("QUIZSVC_")})

        status, imported = _api(base, "POST", "/api/v1/courses/dl101/assignments/import?publish=1",
                                manage, package.to_zip(), "application/zip")
        assert status == 201, imported
        assert imported["report"]["ok"] and imported["version"]["digest"] == package.version
        assert imported["assignment"]["published"] is True
        slug = imported["assignment"]["slug"]

        # a student's CI, through the API: graded, the mistake named
        status, sub = _api(base, "POST", f"/api/v1/assignments/{slug}/submissions?wait=60", submit,
                           json.dumps({"code": wrong, "filename": "max_norm.py"}).encode())
        assert status == 200 and sub["status"] == "graded", sub
        assert (sub["score"], sub["max_score"]) == (8.0, 11.0)
        assert [d["key"] for d in sub["result"]["diagnoses"]] == ["always_rescale"]

        # the same student in the browser: the assignment page, then the web form
        get, post = _browser(base)
        post("/login", {"email": "s@example.com", "password": PASSWORD}, "/login")
        course_page = get("/")
        assignment_id = int(re.search(r'href="/assignments/(\d+)"', get(
            re.search(r'href="(/courses/\d+)"', course_page).group(1))).group(1))
        page = get(f"/assignments/{assignment_id}")
        assert "최대 노름" in page or "Max-norm" in page
        url, _ = post(f"/assignments/{assignment_id}/submit", {"code": wrong},
                      f"/assignments/{assignment_id}")
        sub_id = int(url.rstrip("/").rsplit("/", 1)[1])
        deadline = time.monotonic() + 60
        while json.loads(get(f"/submissions/{sub_id}/status"))["status"] not in ("graded", "error"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        shown = get(f"/submissions/{sub_id}")
        title = mistake.title
        assert title.ko in shown or title.en in shown  # the diagnosis, in the page's language
        assert "8 / 11" in shown
