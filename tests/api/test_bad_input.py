"""Bad input in the browser and the API: a clear message and a 4xx, never a 500; a malformed
answer neither consumes an attempt nor loses the other answers."""

from __future__ import annotations

import html
import json

import pytest
from helpers import csrf_token
from sqlalchemy import func, select
from world import Api, form_data, form_post, logged_in, start_web_attempt

from quizsvc.models import ApiToken, Attempt, AttemptStatus, Item, Quiz, User
from quizsvc.services import tokens as token_svc

API = "/api/v1"



@pytest.fixture
def token(w) -> str:
    with w.db() as s:
        return token_svc.create_token(s, s.get(User, w.ids["alice"]), "t", "read,answer")[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.is_json
    err = r.get_json()["error"]
    assert err["message"]
    if code:
        assert err["code"] == code
    return err


# --- web: answers --------------------------------------------------------------------------


def test_malformed_answer_rerenders_with_typed_text_and_message(w, app):
    quiz_id = w.quiz_id("overfitting-and-norms")
    items = w.items(quiz_id)
    numeric = [i["id"] for i in items if i["type"] == "numeric"]
    choice = next(i["id"] for i in items if i["type"] == "single_choice")
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    right = w.answers(quiz_id, "alice")
    # save one good answer first
    form_post(client, f"/attempts/{attempt_id}", {**form_data({choice: right[choice]}), "action": "save"})
    # then submit everything, with two unreadable numbers
    typed = dict(right)
    typed[numeric[0]] = "１２abc"
    typed[numeric[1]] = "inf"
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(typed), "action": "submit"})
    assert r.status_code == 422
    page = html.unescape(r.get_data(as_text=True))
    assert 'value="１２abc"' in page and 'value="inf"' in page  # what the student typed is kept
    assert page.count('class="error answer-error"') == 2
    assert "숫자로 읽을 수 없습니다" in page and "유한한 숫자를 입력하세요" in page
    assert "읽을 수 없는 답이 있습니다" in page
    # the other answers typed in this submission are shown again too
    assert f'value="{right[numeric[2]]}"' in page
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.score is None
    assert {r.item_id: r.answer["value"] for r in attempt.responses} == {choice: right[choice]}
    # fixing the answers and submitting works, as attempt 1
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(right), "action": "submit"})
    assert r.status_code == 302
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.number == 1 and attempt.score == attempt.max_score


def test_malformed_vector_and_unknown_option_on_the_web(w, app):
    quiz_id = w.quiz_id("weight-decay-early-stopping")
    items = w.items(quiz_id)
    vector = next(i["id"] for i in items if i["type"] == "vector")
    choice = next(i["id"] for i in items if i["type"] == "single_choice")
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    r = form_post(client, f"/attempts/{attempt_id}",
                  {f"item-{vector}": "[1, 2; 3]", f"item-{choice}": "zzz", "action": "save"})
    assert r.status_code == 422
    page = html.unescape(r.get_data(as_text=True))
    assert "[1, 2; 3]</textarea>" in page
    assert "없는 선택지입니다." in page
    assert w.attempts(quiz_id, "alice")[0].responses == []


def test_missing_and_malformed_form_fields(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = w.quiz_id("dropout")
    r = form_post(prof, "/staff/courses/new", {"slug": "Bad Slug!", "title": ""})
    assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)
    r = form_post(prof, f"/staff/courses/{w.course_id}/quizzes/new",
                  {"slug": "q", "title": "t", "feedback_policy": "immediate", "opens_at": "tomorrow"})
    assert r.status_code == 400
    r = form_post(prof, f"/staff/courses/{w.course_id}/quizzes/new",
                  {"slug": "q", "title": "t", "feedback_policy": "immediate",
                   "opens_at": "2030-01-02T00:00", "closes_at": "2030-01-01T00:00"})
    assert r.status_code == 422 and "마감 시각은 시작 시각 이후여야 합니다." in r.get_data(as_text=True)
    r = form_post(prof, f"/staff/courses/{w.course_id}/quizzes/new",
                  {"slug": "dropout", "title": "dup", "feedback_policy": "immediate"})
    assert r.status_code == 409
    base = {"key": "k1", "type_name": "numeric", "points": "1", "prompt_ko": "질문", "prompt_en": "Q"}
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "config": "compute: [unclosed"})
    assert r.status_code == 422 and "설정 YAML을 읽을 수 없습니다." in r.get_data(as_text=True)
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "config": "- a list"})
    assert r.status_code == 422 and "설정은 YAML 매핑이어야 합니다." in r.get_data(as_text=True)
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "points": "many", "config": "{}"})
    assert r.status_code == 400
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "type_name": "essay", "config": "{}"})
    assert r.status_code == 400
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "key": "bad key!", "config": "{}"})
    assert r.status_code == 422 and "key" in r.get_data(as_text=True)
    existing = w.items(quiz_id)[0]["key"]
    cfg = "compute: {fn: l1_norm, args: {x: [1, 2]}}\ntolerance: {atol: 0.1}\n"
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {**base, "key": existing, "config": cfg})
    assert r.status_code == 409 and "같은 문항 키이(가) 이미 있습니다." in r.get_data(as_text=True)
    with w.db() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.key == "k1")) == 0
        assert s.scalar(select(func.count()).select_from(Quiz).where(Quiz.slug == "q")) == 0
    alice = logged_in(app, "alice")
    r = form_post(alice, "/join", {"code": ""})
    assert r.status_code == 400


def test_unknown_ids_in_the_browser(w, app):
    prof = logged_in(app, "instructor")
    for path in ("/courses/424242", "/quizzes/424242", "/attempts/424242", "/staff/courses/424242",
                 "/staff/quizzes/424242", "/staff/items/424242/preview", "/staff/items/424242/edit",
                 "/staff/quizzes/424242/results", "/no/such/page"):
        r = prof.get(path)
        assert r.status_code == 404, path
        assert "찾을 수 없습니다." in r.get_data(as_text=True), path
    assert form_post(prof, "/staff/items/424242/delete").status_code == 404
    assert form_post(prof, "/quizzes/424242/start").status_code == 404


@pytest.mark.parametrize("path", ["/quizzes/{big}", "/attempts/{big}", "/staff/items/{big}/preview",
                                  "/courses/{big}"])
def test_ids_beyond_the_integer_range_are_404(w, app, path):
    client = logged_in(app, "instructor")
    r = client.get(path.format(big=2**63 + 5))
    assert r.status_code == 404


def test_oversized_form_is_413(w, app):
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, w.quiz_id("dropout"))
    token = csrf_token(client, "/account/tokens")
    r = client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "action": "save",
                                                     "item-1": "9" * (1024 * 1024 + 10)})
    assert r.status_code == 413
    assert "업로드가 너무 큽니다." in r.get_data(as_text=True)
    assert w.attempts(w.quiz_id("dropout"), "alice")[0].responses == []


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def attempt(app, w, token) -> dict:
    r = app.test_client().post(f"{API}/quizzes/{w.quiz_id('overfitting-and-norms')}/attempts",
                               headers=bearer(token))
    assert r.status_code == 201
    return r.get_json()


class Checked:
    """A test client whose API responses must be documented (status and schema) in OpenAPI."""

    def __init__(self, app) -> None:
        self.client, self.api = app.test_client(), Api(app, None)

    def put(self, url: str, **kw):
        resp = self.client.put(url, **kw)
        self.api.validate("PUT", url, resp)
        return resp

    def post(self, url: str, **kw):
        resp = self.client.post(url, **kw)
        self.api.validate("POST", url, resp)
        return resp


def item_of(attempt: dict, type_name: str) -> int:
    return next(i["id"] for i in attempt["items"] if i["type"] == type_name)


def test_api_rejects_non_json_bodies(app, token, attempt):
    client = Checked(app)
    url = f"{API}/attempts/{attempt['id']}/answers/{item_of(attempt, 'numeric')}"
    r = client.put(url, data="answer=3", headers=bearer(token), content_type="application/x-www-form-urlencoded")
    assert "Content-Type: application/json" in assert_json_error(r, 415, "unsupported_media_type")["message"]
    r = client.put(url, data="{not json", headers=bearer(token), content_type="application/json")
    assert assert_json_error(r, 422)["message"] == "The body is not valid JSON."
    r = client.put(url, data="", headers=bearer(token), content_type="application/json")
    assert_json_error(r, 422)
    r = client.put(url, json=[1, 2], headers=bearer(token))
    assert_json_error(r, 422)
    r = client.put(url, json={"answer": "3", "extra": 1}, headers=bearer(token))
    assert "extra" in assert_json_error(r, 422)["details"]["errors"]
    r = client.put(url, json={}, headers=bearer(token))
    assert "answer" in assert_json_error(r, 422)["details"]["errors"]
    r = client.put(url, json={"answer": {"value": 3}}, headers=bearer(token))
    assert_json_error(r, 422)
    r = client.post(f"{API}/attempts/{attempt['id']}/submit", data="<xml/>", headers=bearer(token),
                    content_type="text/xml")
    assert_json_error(r, 415, "unsupported_media_type")
    r = client.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": {"first": "a"}},
                    headers=bearer(token))
    assert "answers.first" in assert_json_error(r, 422)["details"]["errors"]


def test_api_deeply_nested_json_is_a_4xx(app, token, attempt):
    url = f"{API}/attempts/{attempt['id']}/answers/{item_of(attempt, 'numeric')}"
    body = '{"answer": ' + "[" * 50000 + "]" * 50000 + "}"
    r = Checked(app).put(url, data=body, headers=bearer(token), content_type="application/json")
    assert 400 <= r.status_code < 500 and r.is_json


def test_api_huge_numbers_are_422(app, token, attempt):
    client = Checked(app)
    numeric = item_of(attempt, "numeric")
    url = f"{API}/attempts/{attempt['id']}/answers/{numeric}"
    for value in ("1" + "0" * 400, "1e400", "-1e999"):
        r = client.put(url, data=f'{{"answer": {value}}}', headers=bearer(token), content_type="application/json")
        err = assert_json_error(r, 422)
        assert "errors" in err["details"], value
    r = client.put(url, json={"answer": "1×10^99999"}, headers=bearer(token))
    assert assert_json_error(r, 422)["details"]["errors"][str(numeric)]["en"] == (
        "Enter a finite number, not nan or inf.")


def test_api_oversized_body_is_413(app, token, attempt):
    url = f"{API}/attempts/{attempt['id']}/answers/{item_of(attempt, 'numeric')}"
    body = json.dumps({"answer": "1" * (1024 * 1024 + 1)})
    r = Checked(app).put(url, data=body, headers=bearer(token), content_type="application/json")
    assert_json_error(r, 413, "too_large")


def test_api_too_long_answer_text_is_422(app, token, attempt):
    url = f"{API}/attempts/{attempt['id']}/answers/{item_of(attempt, 'numeric')}"
    r = Checked(app).put(url, json={"answer": "1" * 10000}, headers=bearer(token))
    assert_json_error(r, 422)


def test_api_unknown_routes_and_methods_are_json(app, token):
    client = app.test_client()
    assert_json_error(client.get(f"{API}/nothing-here", headers=bearer(token)), 404, "not_found")
    assert_json_error(client.delete(f"{API}/me", headers=bearer(token)), 405, "method_not_allowed")
    assert_json_error(client.get(f"{API}/quizzes/{2**63 + 5}", headers=bearer(token)), 404)
    assert_json_error(client.get(f"{API}/attempts/{2**40}", headers=bearer(token)), 404)


def test_api_errors_never_change_state(w, app, token, attempt):
    with w.db() as s:
        before = (s.scalar(select(func.count()).select_from(Attempt)),
                  s.scalar(select(ApiToken.last_used_at)))
    client = app.test_client()
    client.post(f"{API}/attempts/{attempt['id']}/submit", data="nope", headers=bearer(token),
                content_type="text/plain")
    with w.db() as s:
        assert s.scalar(select(func.count()).select_from(Attempt)) == before[0]
        a = s.get(Attempt, attempt["id"])
        assert a.status == AttemptStatus.IN_PROGRESS and a.responses == []


def test_health_reports_database_and_version(app):
    from quizsvc import __version__

    r = app.test_client().get("/health")
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "ok" and body["version"] == __version__
    assert body["database"]["status"] == "ok" and body["database"]["up_to_date"] is True
    assert body["database"]["backend"] in ("sqlite", "postgresql") and body["database"]["revision"]


def test_health_reports_an_unreachable_database(tmp_path):
    from quizsvc.app import create_app

    broken = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
                         "SECRET_KEY": "x", "TESTING": True}, instance_path=str(tmp_path / "i"))
    r = broken.test_client().get("/health")
    body = r.get_json()
    assert r.status_code == 503 and body["status"] == "error"
    assert body["database"]["status"] == "error" and body["version"]
