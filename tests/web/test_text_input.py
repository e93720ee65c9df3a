"""NUL and other control characters in web form fields: a 400 with a clear message on both
databases (PostgreSQL cannot store a NUL: it was a 500 there, and stored as is on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import PASSWORD, csrf_token, login, make_user, post_form
from sqlalchemy import func, select

from quizsvc.db import get_session
from quizsvc.models import ApiToken, Enrollment, User
from quizsvc.services import courses

REFUSED = "The input contains a NUL or another control character"
REFUSED_KO = "입력에 NUL 같은 제어 문자가 있습니다"


def _refused(r: Any, lang: str = "en") -> None:
    assert r.status_code == 400, r.status_code
    assert (REFUSED if lang == "en" else REFUSED_KO) in r.get_data(as_text=True)


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_register_refuses_a_nul_and_stores_nobody(app, client, field):
    data = {"name": "Mallory", "email": "mallory@example.com", "password": PASSWORD}
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    r = client.post("/register", data={**data, "csrf_token": csrf_token(client, "/register")})
    _refused(r, "ko")  # the default language; English below
    assert _count(app, User) == 0


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x08"])
def test_login_refuses_control_characters(app, client, char):
    with app.app_context():
        make_user(get_session(), "alice@example.com")
    client.set_cookie("lang", "en")
    _refused(client.post("/login", data={"email": f"alice@example.com{char}", "password": PASSWORD,
                                         "csrf_token": csrf_token(client)}))
    _refused(client.post("/login", data={"email": "alice@example.com", "password": f"{PASSWORD}{char}",
                                         "csrf_token": csrf_token(client)}))


def test_join_code_and_token_name_refuse_a_nul(app, client):
    with app.app_context():
        s = get_session()
        prof = make_user(s, "prof@example.com", instructor=True)
        course = courses.create_course(s, prof, "c1", "강좌")
        code = course.join_code
        make_user(s, "alice@example.com")
    assert login(client, "alice@example.com").status_code == 302
    _refused(post_form(client, "/join", {"code": code + "\x00"}), "ko")  # alice reads Korean
    _refused(post_form(client, "/account/tokens", {"name": "ci\x00", "scopes": ["read"]}), "ko")
    _refused(client.get("/account/tokens?next=%00"), "ko")
    assert _count(app, Enrollment) == 1  # the instructor's
    assert _count(app, ApiToken) == 0
    # Tabs, line breaks and ordinary text still pass.
    assert post_form(client, "/join", {"code": code}).status_code == 302
    assert post_form(client, "/account/tokens", {"name": "ci\tlaptop", "scopes": ["read"]}).status_code == 200
    assert _count(app, Enrollment) == 2
    assert _count(app, ApiToken) == 1
