"""Login sessions end on the server: logout, a password change, a reset link and an
administrator's "sign out everywhere" make every copy of an earlier session cookie worthless.
Runs on SQLite and PostgreSQL (the token that ends them is a column)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from helpers import PASSWORD, csrf_token, login, make_user
from sqlalchemy import select
from world import USERS, form_post, logged_in

import quizsvc.app
from quizsvc.cli import main as cli
from quizsvc.db import get_engine
from quizsvc.models import PasswordReset, User, utcnow
from quizsvc.services import courses
from quizsvc.services.accounts import authenticate

NEW_PASSWORD = "a-brand-new-passphrase"


def replay(app: Any, cookie: str) -> Any:
    """A fresh client carrying a copied session cookie (what a thief would hold)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


def is_logged_in(client: Any) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def cli_run(app, database_url, tmp_path, monkeypatch):
    original = quizsvc.app.create_app
    created: list[Any] = []

    def create_app(overrides=None, instance_path=None):
        cli_app = original({**(overrides or {}), "DATABASE_URL": database_url, "SECRET_KEY": "cli-test",
                            "PASSWORD_HASH_FAST": True, "BASE_URL": "https://quiz.example.ac.kr/"},
                           instance_path=str(tmp_path / "cli-instance"))
        created.append(cli_app)
        return cli_app

    monkeypatch.setattr(quizsvc.app, "create_app", create_app)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    for cli_app in created:
        get_engine(cli_app).dispose()


def test_a_copied_cookie_stops_working_at_logout(w, app):
    alice = logged_in(app, "alice")
    copied = session_cookie(alice)
    assert is_logged_in(replay(app, copied))
    form_post(alice, "/logout")
    assert not is_logged_in(alice)
    assert not is_logged_in(replay(app, copied))  # Flask's signed cookie alone would still pass


def test_logout_ends_the_accounts_other_sessions_too(w, app):
    laptop, phone = logged_in(app, "alice"), logged_in(app, "alice")
    bob = logged_in(app, "bob")
    form_post(laptop, "/logout")
    assert not is_logged_in(phone)  # documented: logout signs the account out everywhere
    assert is_logged_in(bob)


def test_changing_the_password_keeps_this_session_and_ends_the_others(w, app):
    here, elsewhere = logged_in(app, "alice"), logged_in(app, "alice")
    copied = session_cookie(here)
    page = here.get("/account/password")
    assert page.status_code == 200 and "비밀번호 변경" in page.get_data(as_text=True)

    r = form_post(here, "/account/password", {"current": "not-my-password", "password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD}, token_from="/account/password")
    assert r.status_code == 401 and "현재 비밀번호가 올바르지 않습니다." in r.get_data(as_text=True)
    r = form_post(here, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                              "confirm": "something-else-entirely"},
                  token_from="/account/password")
    assert r.status_code == 400 and "두 비밀번호가 다릅니다." in r.get_data(as_text=True)
    assert is_logged_in(elsewhere)  # nothing changed yet

    r = form_post(here, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD}, token_from="/account/password")
    assert r.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert not is_logged_in(replay(app, copied))
    with w.db() as s:
        assert authenticate(s, USERS["alice"], PASSWORD) is None
        assert authenticate(s, USERS["alice"], NEW_PASSWORD) is not None


def test_cli_signs_an_account_out_everywhere(w, app, cli_run):
    laptop, phone, bob = logged_in(app, "alice"), logged_in(app, "alice"), logged_in(app, "bob")
    r = cli_run("user", "signout", "--email", "Alice@Example.com")
    assert r.exit_code == 0, r.output
    assert "signed out alice@example.com everywhere" in r.output
    assert not is_logged_in(laptop) and not is_logged_in(phone)
    assert is_logged_in(bob)
    assert login(app.test_client(), USERS["alice"]).status_code == 302  # the password still works
    r = cli_run("user", "signout", "--email", "nobody@example.com")
    assert r.exit_code == 1 and "User not found." in r.output


def _reset_path(link: str) -> str:
    return link[link.index("/reset/"):]


def test_a_reset_link_from_the_cli_sets_a_password_once_and_ends_every_session(w, app, cli_run):
    alice = logged_in(app, "alice")
    r = cli_run("user", "reset-link", "--email", USERS["alice"])
    assert r.exit_code == 0, r.output
    link = r.stdout.strip()
    assert link.startswith("https://quiz.example.ac.kr/reset/") and "valid for 24 hours" in r.output
    with w.db() as s:  # only a hash is stored
        assert link.rsplit("/", 1)[1] not in {p.token_hash for p in s.scalars(select(PasswordReset))}

    anonymous = app.test_client()
    path = _reset_path(link)
    page = anonymous.get(path)
    assert page.status_code == 200 and "새 비밀번호 설정" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert is_logged_in(alice)  # opening the link changes nothing
    r = anonymous.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "csrf_token": csrf_token(anonymous, path)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert not is_logged_in(alice)
    assert login(app.test_client(), USERS["alice"], NEW_PASSWORD).status_code == 302
    # used once: refused afterwards, with a message and a 4xx
    again = anonymous.get(path)
    assert again.status_code == 422 and "이미 사용되었습니다" in again.get_data(as_text=True)


def test_a_newer_link_replaces_the_older_and_expired_links_are_refused(w, app, cli_run):
    first = _reset_path(cli_run("user", "reset-link", "--email", USERS["bob"]).stdout.strip())
    second = _reset_path(cli_run("user", "reset-link", "--email", USERS["bob"]).stdout.strip())
    client = app.test_client()
    assert client.get(first).status_code == 422
    assert client.get(second).status_code == 200
    with w.db() as s:
        for reset in s.scalars(select(PasswordReset)):
            reset.expires_at = utcnow()
        s.commit()
    token = csrf_token(client, "/login")
    r = client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
    assert r.status_code == 422
    assert client.get("/reset/made-up").status_code == 422
    assert login(app.test_client(), USERS["bob"]).status_code == 302  # password unchanged


def _issue_from_course_page(client: Any, w: Any, email: str) -> Any:
    with w.db() as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
    return form_post(client, f"/staff/courses/{w.course_id}/members/{user_id}/reset-link",
                     token_from=f"/staff/courses/{w.course_id}")


def test_an_instructor_issues_a_reset_link_for_a_student_only(w, app):
    prof = logged_in(app, "instructor")
    page = prof.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    assert "비밀번호 재설정 링크" in page
    r = _issue_from_course_page(prof, w, USERS["alice"])
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    link = r.get_data(as_text=True).split('id="reset-link">', 1)[1].split("<", 1)[0]
    assert link.startswith("http://localhost/reset/")
    anonymous = app.test_client()
    r = anonymous.post(_reset_path(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                "csrf_token": csrf_token(anonymous, "/login")})
    assert r.status_code == 302
    assert login(app.test_client(), USERS["alice"], NEW_PASSWORD).status_code == 302

    # never for course staff (a TA's account is not the instructor's to take over), never by
    # students, TAs or instructors of other courses
    assert _issue_from_course_page(prof, w, USERS["ta"]).status_code == 403
    assert _issue_from_course_page(logged_in(app, "ta"), w, USERS["bob"]).status_code == 403
    assert _issue_from_course_page(logged_in(app, "bob"), w, USERS["bob"]).status_code == 403
    assert _issue_from_course_page(logged_in(app, "outsider"), w, USERS["bob"]).status_code == 403
    with w.db() as s:
        other = make_user(s, "other.prof@example.com", instructor=True)
        courses.create_course(s, other, "other-course", "다른 강좌")
    assert _issue_from_course_page(logged_in_as(app, "other.prof@example.com"), w, USERS["bob"]).status_code == 403
    with w.db() as s:
        assert [r.user.email for r in s.scalars(select(PasswordReset))] == [USERS["alice"]]
    # an administrator may issue one for anyone
    assert _issue_from_course_page(logged_in(app, "admin"), w, USERS["ta"]).status_code == 200


def logged_in_as(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_a_session_naming_no_current_token_is_nobody(w, app):
    from quizsvc.services.accounts import user_for_session

    with w.db() as s:
        alice = s.scalar(select(User).where(User.email == USERS["alice"]))
        assert user_for_session(s, alice.get_id()) is alice
        # a cookie from before this release ("<id>"), a wrong token, nonsense: nobody, no error
        for session_id in (str(alice.id), f"{alice.id}:", f"{alice.id}:wrong", ":abc", "²:abc",
                           "99999999999:abc", "x:y"):
            assert user_for_session(s, session_id) is None, session_id
