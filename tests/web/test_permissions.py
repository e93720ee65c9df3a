"""Accounts and roles: hashed passwords, sessions, CSRF on every form, cookie flags, and every
denial (another student's attempt, staff pages for students/outsiders, TA read-only)."""

from __future__ import annotations

import pytest
from helpers import PASSWORD, csrf_token, login
from sqlalchemy import func, select
from world import (
    USERS,
    World,
    form_data,
    form_post,
    logged_in,
    start_web_attempt,
)

from quizsvc.models import Attempt, Course, Enrollment, Item, Quiz, User


def count(w: World, model, *where) -> int:
    with w.db() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


# --- accounts and sessions -----------------------------------------------------------------


def test_passwords_are_hashed(w):
    with w.db() as s:
        for user in s.scalars(select(User)):
            assert PASSWORD not in user.password_hash
            assert user.password_hash.startswith("$argon2")


def test_register_stores_a_hash_and_logs_in(app):
    client = app.test_client()
    token = csrf_token(client, "/register")
    r = client.post("/register", data={"name": "민수", "email": "Minsu@Example.com",
                                       "password": "long-enough-pw", "csrf_token": token})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    from quizsvc.db import get_session

    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == "minsu@example.com"))
        assert user is not None and user.name == "민수"
        assert "long-enough-pw" not in user.password_hash
    # the same address again is refused, without saying that it has an account
    other = app.test_client()
    token = csrf_token(other, "/register")
    r = other.post("/register", data={"name": "x", "email": "minsu@example.com",
                                      "password": "long-enough-pw", "csrf_token": token})
    assert r.status_code == 400 and "계정을 만들 수 없습니다" in r.get_data(as_text=True)


def test_wrong_password_is_refused(w, app):
    client = app.test_client()
    r = login(client, USERS["alice"], "not-the-password")
    assert r.status_code == 401 and "이메일 또는 비밀번호가" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302
    r = login(client, "nobody@example.com")
    assert r.status_code == 401


def test_session_cookie_flags(w, app):
    client = app.test_client()
    r = login(client, USERS["alice"])
    cookies = {c.split("=", 1)[0]: c for c in r.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"session", "device"}  # device: this browser is known (throttling)
    for cookie in cookies.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_login_does_not_redirect_elsewhere(w, app):
    client = app.test_client()
    token = csrf_token(client)
    r = client.post("/login?next=//evil.example/x", data={"email": USERS["alice"], "password": PASSWORD,
                                                          "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_logout_needs_post_and_ends_the_session(w, app):
    client = logged_in(app, "alice")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
    form_post(client, "/logout")
    assert client.get("/").status_code == 302


def test_pages_need_a_login(w, app):
    client = app.test_client()
    quiz_id = w.quiz_id("dropout")
    for path in ("/", f"/courses/{w.course_id}", f"/quizzes/{quiz_id}", f"/staff/courses/{w.course_id}",
                 f"/staff/quizzes/{quiz_id}/results", "/account/tokens"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


# --- CSRF ----------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_changes_nothing(w, app):
    quiz_id = w.quiz_id("dropout")
    anonymous = app.test_client()
    anonymous.get("/login")
    r = anonymous.post("/login", data={"email": USERS["alice"], "password": PASSWORD})
    assert r.status_code == 400 and anonymous.get("/").status_code == 302

    prof = logged_in(app, "instructor")
    r = prof.post("/staff/courses/new", data={"slug": "csrf-course", "title": "x"})
    assert r.status_code == 400
    assert count(w, Course, Course.slug == "csrf-course") == 0
    r = prof.post(f"/staff/quizzes/{quiz_id}/publish", data={"published": "0"})
    assert r.status_code == 400
    with w.db() as s:
        assert s.get(Quiz, quiz_id).published is True
    item_id = w.items(quiz_id)[0]["id"]
    assert prof.post(f"/staff/items/{item_id}/delete").status_code == 400
    assert count(w, Item, Item.id == item_id) == 1
    assert prof.post(f"/staff/quizzes/{quiz_id}/delete", data={"csrf_token": "forged"}).status_code == 400
    assert count(w, Quiz, Quiz.id == quiz_id) == 1

    alice = logged_in(app, "alice")
    r = alice.post(f"/quizzes/{quiz_id}/start")
    assert r.status_code == 400 and count(w, Attempt) == 0
    attempt_id = start_web_attempt(alice, quiz_id)
    r = alice.post(f"/attempts/{attempt_id}", data={**form_data(w.answers(quiz_id, "alice")),
                                                    "action": "submit"})
    assert r.status_code == 400
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status.value == "in_progress" and attempt.responses == []
    assert alice.post("/join", data={"code": w.join_code}).status_code == 400
    assert alice.post("/account/tokens", data={"name": "t", "scopes": "read"}).status_code == 400
    assert alice.post("/logout").status_code == 400
    assert alice.get("/").status_code == 200  # still logged in


def test_a_token_from_another_session_is_refused(w, app):
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    quiz_id = w.quiz_id("dropout")
    r = bob.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": csrf_token(alice, "/")})
    assert r.status_code == 400 and count(w, Attempt) == 0


# --- students see only their own attempts --------------------------------------------------


def test_another_students_attempt_is_not_found(w, app):
    quiz_id = w.quiz_id("dropout")
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    attempt_id = start_web_attempt(alice, quiz_id)
    assert bob.get(f"/attempts/{attempt_id}").status_code == 404
    r = form_post(bob, f"/attempts/{attempt_id}", {**form_data(w.answers(quiz_id, "bob")), "action": "submit"})
    assert r.status_code == 404
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status.value == "in_progress" and attempt.responses == []
    form_post(alice, f"/attempts/{attempt_id}", {"action": "submit", "confirmed": "1"})
    assert bob.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert bob.get(f"/staff/attempts/{attempt_id}").status_code == 404
    assert logged_in(app, "outsider").get(f"/attempts/{attempt_id}/result").status_code == 404
    assert alice.get(f"/attempts/{attempt_id}/result").status_code == 200
    # bob's quiz page lists only bob's attempts
    assert f"/attempts/{attempt_id}/result" not in bob.get(f"/quizzes/{quiz_id}").get_data(as_text=True)


def test_unknown_attempt_is_not_found(w, app):
    alice = logged_in(app, "alice")
    assert alice.get("/attempts/999999").status_code == 404
    assert alice.get("/attempts/999999/result").status_code == 404


def test_outsiders_cannot_see_the_course(w, app):
    eve = logged_in(app, "outsider")
    quiz_id = w.quiz_id("dropout")
    r = eve.get(f"/courses/{w.course_id}")
    assert r.status_code == 403 and "이 강좌에 등록되어 있지 않습니다." in r.get_data(as_text=True)
    assert eve.get(f"/quizzes/{quiz_id}").status_code == 403
    assert form_post(eve, f"/quizzes/{quiz_id}/start").status_code == 403
    assert count(w, Attempt) == 0


def test_students_do_not_see_unpublished_quizzes(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, published=False)
    alice = logged_in(app, "alice")
    assert alice.get(f"/quizzes/{quiz_id}").status_code == 404
    assert form_post(alice, f"/quizzes/{quiz_id}/start").status_code == 404
    assert f"/quizzes/{quiz_id}" not in alice.get(f"/courses/{w.course_id}").get_data(as_text=True)
    assert logged_in(app, "ta").get(f"/quizzes/{quiz_id}").status_code == 200


# --- staff pages ---------------------------------------------------------------------------


def staff_get_paths(w: World) -> list[str]:
    quiz_id = w.quiz_id("dropout")
    item_id = w.items(quiz_id)[0]["id"]
    return [f"/staff/courses/{w.course_id}", f"/staff/quizzes/{quiz_id}",
            f"/staff/quizzes/{quiz_id}/results", f"/staff/items/{item_id}/preview"]


def editor_get_paths(w: World) -> list[str]:
    quiz_id = w.quiz_id("dropout")
    item_id = w.items(quiz_id)[0]["id"]
    return [f"/staff/courses/{w.course_id}/quizzes/new", f"/staff/quizzes/{quiz_id}/edit",
            f"/staff/quizzes/{quiz_id}/items/new", f"/staff/items/{item_id}/edit"]


@pytest.mark.parametrize("who", ["alice", "outsider"])
def test_students_and_outsiders_get_403_on_staff_pages(w, app, who):
    client = logged_in(app, who)
    for path in staff_get_paths(w) + editor_get_paths(w):
        r = client.get(path)
        assert r.status_code == 403, path
    page = client.get(staff_get_paths(w)[0]).get_data(as_text=True)
    assert "join-code" not in page and w.join_code not in page


@pytest.mark.parametrize("who", ["alice", "outsider", "ta"])
def test_non_editors_cannot_change_the_course(w, app, who):
    client = logged_in(app, who)
    quiz_id = w.quiz_id("dropout")
    item_id = w.items(quiz_id)[0]["id"]
    before = w.items(quiz_id)
    cases = [
        (f"/staff/quizzes/{quiz_id}/publish", {"published": "0"}),
        (f"/staff/quizzes/{quiz_id}/delete", {}),
        (f"/staff/items/{item_id}/delete", {}),
        (f"/staff/quizzes/{quiz_id}/edit", {"slug": "hacked", "title": "hacked", "feedback_policy": "immediate"}),
        (f"/staff/items/{item_id}/edit", {"key": "hacked", "type_name": "numeric", "points": "1",
                                          "prompt_ko": "x", "prompt_en": "x", "config": "{}"}),
        (f"/staff/quizzes/{quiz_id}/items/new", {"key": "new", "type_name": "numeric", "points": "1",
                                                 "prompt_ko": "x", "prompt_en": "x", "config": "{}"}),
        (f"/staff/courses/{w.course_id}/quizzes/new", {"slug": "new-quiz", "title": "x",
                                                        "feedback_policy": "immediate"}),
    ]
    for path, data in cases:
        r = form_post(client, path, data)
        assert r.status_code == 403, path
    with w.db() as s:
        q = s.get(Quiz, quiz_id)
        assert q.published is True and q.slug == "dropout" and q.title != "hacked"
        assert s.scalar(select(func.count()).select_from(Quiz).where(Quiz.slug == "new-quiz")) == 0
    assert w.items(quiz_id) == before


def test_ta_sees_results_but_cannot_edit(w, app):
    ta = logged_in(app, "ta")
    for path in staff_get_paths(w):
        assert ta.get(path).status_code == 200, path
    for path in editor_get_paths(w):
        assert ta.get(path).status_code == 403, path
    page = ta.get(staff_get_paths(w)[1]).get_data(as_text=True)
    assert 'id="toggle-publish"' not in page and "/edit" not in page


def test_only_course_creators_create_courses(w, app):
    alice = logged_in(app, "alice")
    assert alice.get("/staff/courses/new").status_code == 200  # the form; the service decides
    r = form_post(alice, "/staff/courses/new", {"slug": "alices-course", "title": "x"})
    assert r.status_code == 403 and "강좌를 만들 권한이 없습니다." in r.get_data(as_text=True)
    assert count(w, Course, Course.slug == "alices-course") == 0


def test_an_instructor_of_one_course_is_a_stranger_to_another(w, app):
    other = logged_in(app, "admin")
    r = form_post(other, "/staff/courses/new", {"slug": "other-course", "title": "다른 강좌"})
    other_course = int(r.headers["Location"].rsplit("/", 1)[1])
    prof = logged_in(app, "instructor")
    assert prof.get(f"/staff/courses/{other_course}").status_code == 403
    r = form_post(prof, f"/staff/courses/{other_course}/quizzes/new",
                  {"slug": "intruder", "title": "x", "feedback_policy": "immediate"})
    assert r.status_code == 403
    assert count(w, Quiz, Quiz.course_id == other_course) == 0


def test_admin_manages_every_course(w, app):
    admin = logged_in(app, "admin")
    quiz_id = w.quiz_id("dropout")
    assert count(w, Enrollment, Enrollment.user_id == w.ids["admin"]) == 0
    for path in staff_get_paths(w) + editor_get_paths(w):
        assert admin.get(path).status_code == 200, path
    form_post(admin, f"/staff/quizzes/{quiz_id}/publish", {"published": "0"})
    with w.db() as s:
        assert s.get(Quiz, quiz_id).published is False
