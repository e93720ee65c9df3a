"""JSON API v1 with bearer tokens, and the OpenAPI document: every route documented (and nothing
else), and every real response of these tests valid against its documented schema."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select
from world import API, Api, make_token

from quizsvc.api.openapi import openapi_document
from quizsvc.models import ApiToken, AttemptStatus, FeedbackPolicy, User, utcnow
from quizsvc.services import tokens as token_svc


@pytest.fixture
def alice(app, w) -> Api:
    return Api(app, make_token(w, "alice"))


@pytest.fixture
def bob(app, w) -> Api:
    return Api(app, make_token(w, "bob"))


def no_keys_leak(item: dict[str, Any]) -> None:
    for option in item["options"]:
        assert set(option) == {"id", "text"}
    text = json.dumps(item)
    for word in ('"correct"', '"key_display"', '"explanation"', '"compute"', '"tolerance"', '"params"'):
        assert word not in text


# --- the document --------------------------------------------------------------------------


def test_every_api_route_is_documented_and_vice_versa(app):
    doc = openapi_document()
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((template, method.lower()))
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    for path, ops in doc["paths"].items():
        for op in ops.values():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}, path


def test_openapi_is_served(app):
    api = Api(app, None)
    r = api("GET", "/openapi.json")
    assert r.status_code == 200 and r.get_json()["openapi"].startswith("3.1")
    assert r.get_json() == json.loads(json.dumps(openapi_document()))


# --- reading ---------------------------------------------------------------------------------


def test_me_courses_and_quizzes(w, alice, app):
    r = alice("GET", "/me")
    assert r.get_json()["email"] == "alice@example.com"
    r = alice("GET", "/courses")
    assert r.get_json()["courses"] == [{"id": w.course_id, "slug": "reg-norm-101", "title": r.get_json()
                                        ["courses"][0]["title"], "title_en": r.get_json()["courses"][0]
                                        ["title_en"], "role": "student"}]
    quiz_ids = w.quiz_ids()
    w.update_quiz(quiz_ids["dropout"], published=False)
    r = alice("GET", f"/courses/{w.course_id}/quizzes")
    slugs = [q["slug"] for q in r.get_json()["quizzes"]]
    assert "dropout" not in slugs and set(slugs) == set(quiz_ids) - {"dropout"}
    assert all(q["status"] == "open" for q in r.get_json()["quizzes"])
    staff = Api(app, make_token(w, "ta", "read"))
    r = staff("GET", f"/courses/{w.course_id}/quizzes")
    assert {q["slug"]: q["status"] for q in r.get_json()["quizzes"]}["dropout"] == "draft"
    r = alice("GET", f"/quizzes/{quiz_ids['overfitting-and-norms']}")
    assert r.get_json()["attempts"] == [] and r.get_json()["item_count"] == len(
        w.items(quiz_ids["overfitting-and-norms"]))
    assert alice("GET", f"/quizzes/{quiz_ids['dropout']}").status_code == 404


# --- taking a quiz ---------------------------------------------------------------------------


def test_start_answer_submit_result(w, alice):
    quiz_id = w.quiz_id("overfitting-and-norms")
    r = alice("POST", f"/quizzes/{quiz_id}/attempts")
    assert r.status_code == 201
    attempt = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/attempts/{attempt['id']}")
    assert attempt["status"] == "in_progress" and attempt["number"] == 1
    for item in attempt["items"]:
        no_keys_leak(item)
        assert item["answer"] is None
    # resuming gives the same attempt (200)
    again = alice("POST", f"/quizzes/{quiz_id}/attempts")
    assert again.status_code == 200 and again.get_json()["id"] == attempt["id"]
    right = w.answers(quiz_id, "alice")
    first, *rest = list(right)
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{first}", {"answer": right[first]})
    assert r.status_code == 200 and r.get_json()["item_id"] == first
    view = alice("GET", f"/attempts/{attempt['id']}").get_json()
    saved = {i["id"]: i["answer"] for i in view["items"]}
    assert saved[first] is not None and all(saved[i] is None for i in rest)
    r = alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(i): right[i] for i in rest}})
    assert r.status_code == 200
    result = r.get_json()
    total = sum(i["points"] for i in w.items(quiz_id))
    assert result["score"] == result["max_score"] == total and result["feedback_visible"] is True
    assert all(i["correct"] and i["explanation_html"] for i in result["items"])
    assert alice("GET", f"/attempts/{attempt['id']}/result").get_json() == result
    [db_attempt] = w.attempts(quiz_id, "alice")
    assert db_attempt.status == AttemptStatus.SUBMITTED and db_attempt.score == total
    # a submitted attempt is final
    r = alice("POST", f"/attempts/{attempt['id']}/submit")
    assert r.status_code == 409
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{first}", {"answer": right[first]})
    assert r.status_code == 409


def test_numeric_answers_as_json_numbers_and_fractions(w, alice):
    quiz_id = w.quiz_id("l1-l2-lambda")
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    numeric = next(i for i in attempt["items"] if i["type"] == "numeric")
    key = float(w.answers(quiz_id, "alice")[numeric["id"]])
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{numeric['id']}", {"answer": key})
    assert r.status_code == 200 and r.get_json()["answer"] == pytest.approx(key)
    full_width = str(key).translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{numeric['id']}", {"answer": full_width})
    assert r.status_code == 200 and r.get_json()["answer"] == pytest.approx(key)


def test_malformed_answer_is_422_and_consumes_nothing(w, alice):
    quiz_id = w.quiz_id("overfitting-and-norms")
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    items = {i["type"]: i for i in attempt["items"]}
    right = w.answers(quiz_id, "alice")
    choice = items["single_choice"]["id"]
    alice("PUT", f"/attempts/{attempt['id']}/answers/{choice}", {"answer": right[choice]})
    numeric = items["numeric"]["id"]
    for bad, message in (("nan", "Enter a finite number, not nan or inf."), ("", "The answer is empty."),
                         ("열두 개", "is not a number"), (None, "The answer is empty.")):
        r = alice("PUT", f"/attempts/{attempt['id']}/answers/{numeric}", {"answer": bad})
        assert r.status_code == 422
        errors = r.get_json()["error"]["details"]["errors"]
        assert list(errors) == [str(numeric)] and message in errors[str(numeric)]["en"]
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{choice}", {"answer": "zz"})
    assert r.status_code == 422
    # submitting with one bad answer: 422 per item, the attempt stays open, the good answer kept
    r = alice("POST", f"/attempts/{attempt['id']}/submit",
              {"answers": {str(numeric): "1/0", str(items["multi_select"]["id"]): ["nope"]}})
    assert r.status_code == 422
    assert set(r.get_json()["error"]["details"]["errors"]) == {str(numeric), str(items["multi_select"]["id"])}
    [db_attempt] = w.attempts(quiz_id, "alice")
    assert db_attempt.status == AttemptStatus.IN_PROGRESS
    assert {r.item_id: r.answer["value"] for r in db_attempt.responses} == {choice: right[choice]}
    # and the attempt can still be submitted
    assert alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {}}).status_code == 200


def test_attempt_limit_and_closed_quiz(w, alice):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, max_attempts=1)
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    alice("POST", f"/attempts/{attempt['id']}/submit")
    r = alice("POST", f"/quizzes/{quiz_id}/attempts")
    assert r.status_code == 403 and "1 attempts" in r.get_json()["error"]["message"]
    other = w.quiz_id("l1-l2-lambda")
    w.update_quiz(other, closes_at=utcnow() - timedelta(minutes=5))
    r = alice("POST", f"/quizzes/{other}/attempts")
    assert r.status_code == 403 and r.get_json()["error"]["message"] == "This quiz has closed."
    assert r.get_json()["error"]["message_ko"] == "마감된 퀴즈입니다."
    assert w.attempts(other, "alice") == []


def test_feedback_after_close_in_the_api(w, alice, app):
    quiz_id = w.quiz_id("dropout")
    closes = utcnow() + timedelta(days=1)
    w.update_quiz(quiz_id, feedback_policy=FeedbackPolicy.AFTER_CLOSE, closes_at=closes)
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    right = w.answers(quiz_id, "alice")
    r = alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(k): v for k, v in right.items()}})
    result = r.get_json()
    # Not even the score before the close date: comparing two attempts' totals would tell
    # right from wrong.
    assert result["score"] is None and result["attempt"]["score"] is None and result["max_score"] > 0
    assert result["feedback_visible"] is False and result["items"] == []
    assert result["feedback_available_at"].startswith(closes.isoformat()[:16])
    assert alice("GET", f"/attempts/{attempt['id']}/result").get_json()["score"] is None
    assert alice("GET", f"/attempts/{attempt['id']}").get_json()["score"] is None
    assert [a["score"] for a in alice("GET", f"/quizzes/{quiz_id}").get_json()["attempts"]] == [None]
    ta = Api(app, make_token(w, "ta", "read"))  # course staff see it at once
    assert ta("GET", f"/attempts/{attempt['id']}").get_json()["score"] == result["max_score"]
    w.update_quiz(quiz_id, closes_at=utcnow() - timedelta(seconds=1))
    later = alice("GET", f"/attempts/{attempt['id']}/result").get_json()
    assert later["feedback_visible"] is True and len(later["items"]) == len(right)
    assert later["score"] == later["attempt"]["score"] == later["max_score"]
    assert [a["score"] for a in alice("GET", f"/quizzes/{quiz_id}").get_json()["attempts"]] == [later["score"]]


def test_result_before_submitting_is_422(w, alice):
    attempt = alice("POST", f"/quizzes/{w.quiz_id('dropout')}/attempts").get_json()
    r = alice("GET", f"/attempts/{attempt['id']}/result")
    assert r.status_code == 422 and "not been submitted" in r.get_json()["error"]["message"]


# --- other people's ids ----------------------------------------------------------------------


def test_another_students_attempt_is_404(w, alice, bob, app):
    quiz_id = w.quiz_id("dropout")
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    item_id = attempt["items"][0]["id"]
    assert bob("GET", f"/attempts/{attempt['id']}").status_code == 404
    assert bob("PUT", f"/attempts/{attempt['id']}/answers/{item_id}", {"answer": "a"}).status_code == 404
    assert bob("POST", f"/attempts/{attempt['id']}/submit").status_code == 404
    alice("POST", f"/attempts/{attempt['id']}/submit")
    assert bob("GET", f"/attempts/{attempt['id']}/result").status_code == 404
    [db_attempt] = w.attempts(quiz_id, "alice")
    assert db_attempt.responses and all(r.answer == {} for r in db_attempt.responses)
    # staff may read it
    ta = Api(app, make_token(w, "ta", "read"))
    assert ta("GET", f"/attempts/{attempt['id']}/result").status_code == 200


def test_an_item_of_another_quiz_is_404(w, alice):
    attempt = alice("POST", f"/quizzes/{w.quiz_id('dropout')}/attempts").get_json()
    foreign = w.items(w.quiz_id("l1-l2-lambda"))[0]["id"]
    r = alice("PUT", f"/attempts/{attempt['id']}/answers/{foreign}", {"answer": "a"})
    assert r.status_code == 404
    r = alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(foreign): "a"}})
    assert r.status_code == 404
    assert w.attempts(w.quiz_id("dropout"), "alice")[0].status == AttemptStatus.IN_PROGRESS


def test_outsider_gets_403_and_unknown_ids_404(w, app):
    eve = Api(app, make_token(w, "outsider"))
    assert eve("GET", "/courses").get_json() == {"courses": []}
    assert eve("GET", f"/courses/{w.course_id}/quizzes").status_code == 403
    assert eve("POST", f"/quizzes/{w.quiz_id('dropout')}/attempts").status_code == 403
    for method, path in (("GET", "/courses/424242/quizzes"), ("GET", "/quizzes/424242"),
                         ("POST", "/quizzes/424242/attempts"), ("GET", "/attempts/424242"),
                         ("GET", "/attempts/424242/result"), ("GET", "/quizzes/424242/results")):
        who = eve if not path.endswith("results") else Api(app, make_token(w, "instructor", "manage"))
        r = who(method, path)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", path


def test_staff_results_need_manage_scope_and_staff_role(w, app, alice):
    quiz_id = w.quiz_id("dropout")
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    alice("POST", f"/attempts/{attempt['id']}/submit")
    prof = Api(app, make_token(w, "instructor", "manage"))
    r = prof("GET", f"/quizzes/{quiz_id}/results")
    assert r.status_code == 200
    [row] = r.get_json()["students"]
    assert row["email"] == "alice@example.com" and row["best_score"] == 0
    assert alice("GET", f"/quizzes/{quiz_id}/results").status_code == 403  # no manage scope
    student_manage = Api(app, make_token(w, "bob", "manage"))
    r = student_manage("GET", f"/quizzes/{quiz_id}/results")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed(w):
    secret = make_token(w, "alice")
    with w.db() as s:
        row = s.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.token_hash, row.prefix) and secret.startswith(row.prefix)


def test_missing_invalid_revoked_and_expired_tokens(w, app):
    assert Api(app, None)("GET", "/me").status_code == 401
    r = Api(app, "qz_not-a-real-token")("GET", "/me")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    api = Api(app, None)
    r = api("GET", "/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert r.status_code == 401
    secret = make_token(w, "alice", "read", days=1)
    assert Api(app, secret)("GET", "/me").status_code == 200
    with w.db() as s:
        row = s.scalar(select(ApiToken))
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    r = Api(app, secret)("GET", "/me")
    assert r.status_code == 401 and r.get_json()["error"]["message"] == "This token has expired."
    other = make_token(w, "alice", "read")
    with w.db() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.expires_at.is_(None)))
        token_svc.revoke(s, s.get(User, w.ids["alice"]), token_id)
    r = Api(app, other)("GET", "/me")
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]["message"]


def test_scopes_are_enforced(w, app):
    reader = Api(app, make_token(w, "alice", "read"))
    quiz_id = w.quiz_id("dropout")
    r = reader("POST", f"/quizzes/{quiz_id}/attempts")
    assert r.status_code == 403 and r.get_json()["error"]["details"] == {"required_scope": "answer"}
    assert w.attempts(quiz_id, "alice") == []
    answerer = Api(app, make_token(w, "alice", "answer"))
    assert answerer("GET", "/me").status_code == 403
    assert answerer("POST", f"/quizzes/{quiz_id}/attempts").status_code == 201


def test_cookies_are_not_accepted_by_the_api(w, app):
    from world import logged_in

    client = logged_in(app, "alice")
    r = client.get(f"{API}/me")
    assert r.status_code == 401 and r.is_json


def test_tokens_from_the_browser_and_revocation(w, app):
    from world import form_post, logged_in

    client = logged_in(app, "alice")
    r = form_post(client, "/account/tokens", {"name": "ci", "scopes": ["read", "answer"],
                                              "expires_in_days": "30"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    import re

    secret = re.search(r"(qz_[A-Za-z0-9_-]{20,})", page).group(1)
    assert Api(app, secret)("GET", "/me").status_code == 200
    with w.db() as s:
        row = s.scalar(select(ApiToken))
        assert row.scope_list == ["read", "answer"] and row.expires_at is not None
        token_id = row.id
    assert secret not in client.get("/account/tokens").get_data(as_text=True)  # shown once only
    # bob cannot revoke alice's token
    bob = logged_in(app, "bob")
    assert form_post(bob, f"/account/tokens/{token_id}/revoke").status_code == 404
    assert Api(app, secret)("GET", "/me").status_code == 200
    form_post(client, f"/account/tokens/{token_id}/revoke")
    assert Api(app, secret)("GET", "/me").status_code == 401
