"""Course staff operations over API v1 (manage scope): per-student exceptions (dates read in the
course's time zone, extra tries and minutes, removal) and scores set by hand with a comment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from world import World, make_token

from quizsvc.models import Quiz, Response, ScoreOverride, StudentException, Submission
from quizsvc.services import attempts as attempt_svc
from quizsvc.services.submissions import acceptance, claims

API = "/api/v1"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_exceptions_set_list_and_remove(client: Any, w: World) -> None:
    token = make_token(w, "instructor", "read,manage")
    quiz_id = w.quiz_id("dropout")
    body = {"user_id": w.ids["alice"], "target": f"q-{quiz_id}", "closes_at": "2031-03-02T18:00",
            "extra": 1, "extra_minutes": 15}
    r = client.put(f"{API}/courses/{w.course_id}/exceptions", json=body, headers=_h(token))
    assert r.status_code == 200, r.get_json()
    saved = r.get_json()["exception"]
    assert (saved["target"], saved["extra"], saved["extra_minutes"]) == (f"q-{quiz_id}", 1, 15)
    with w.db() as s:
        stored = s.get(StudentException, saved["id"])
        # 18:00 in Seoul (the course's zone) is 09:00 UTC
        assert stored.closes_at.astimezone(UTC) == datetime(2031, 3, 2, 9, 0, tzinfo=UTC)
    r = client.put(f"{API}/courses/{w.course_id}/exceptions", headers=_h(token),
                   json={**body, "closes_at": "2031-03-02T18:00+00:00"})
    assert r.get_json()["exception"]["closes_at"].startswith("2031-03-02T18:00")  # an offset wins
    listed = client.get(f"{API}/courses/{w.course_id}/exceptions", headers=_h(token)).get_json()
    assert [e["user_id"] for e in listed["exceptions"]] == [w.ids["alice"]]
    cleared = client.put(f"{API}/courses/{w.course_id}/exceptions", headers=_h(token),
                         json={"user_id": w.ids["alice"], "target": f"q-{quiz_id}"})
    assert cleared.status_code == 200 and cleared.get_json() == {"exception": None}
    assert client.get(f"{API}/courses/{w.course_id}/exceptions",
                      headers=_h(token)).get_json() == {"exceptions": []}


def test_exception_refusals(client: Any, w: World) -> None:
    token = make_token(w, "instructor", "read,manage")
    url = f"{API}/courses/{w.course_id}/exceptions"
    quiz = f"q-{w.quiz_id('dropout')}"
    cases = [
        ({"user_id": w.ids["alice"], "target": "x-1"}, 422),  # the target's form
        ({"user_id": w.ids["alice"], "target": quiz, "extra": -1}, 422),
        ({"user_id": w.ids["alice"], "target": quiz, "surprise": 1}, 422),
        ({"user_id": w.ids["ta"], "target": quiz, "extra": 1}, 422),  # not a student
        ({"user_id": w.ids["alice"], "target": "q-999999", "extra": 1}, 422),  # another course's
        ({"user_id": w.ids["alice"], "target": quiz, "due_at": "2031-01-01T00:00"}, 422),  # quiz: no due date
        ({"user_id": w.ids["alice"], "target": quiz, "closes_at": "soon"}, 422),
    ]
    for body, status in cases:
        r = client.put(url, json=body, headers=_h(token))
        assert r.status_code == status, (body, r.get_json())
        assert "error" in r.get_json()
    assert client.put(url, data="user_id=1", headers={**_h(token), "Content-Type": "text/plain"}).status_code == 415
    student = make_token(w, "alice", "read,manage")
    assert client.get(url, headers=_h(student)).status_code == 403
    no_scope = make_token(w, "instructor", "read")
    assert client.get(url, headers=_h(no_scope)).status_code == 403
    with w.db() as s:
        assert s.query(StudentException).count() == 0


def test_a_submission_score_set_by_hand(client: Any, w: World) -> None:
    a = w.assignment("layernorm")
    with w.db() as s:
        sub = acceptance.submit(s, w.user(s, "alice"), s.get(type(a), a.id), "def f():\n    return 1\n")
        assert claims.process(s, sub.id)
        sub_id, top = sub.id, s.get(Submission, sub.id).max_score
    token = make_token(w, "instructor", "read,manage")
    url = f"{API}/submissions/{sub_id}/override"
    r = client.post(url, json={"score": top / 2, "comment": "partial credit for the forward pass"},
                    headers=_h(token))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["override"]["new_score"] == top / 2
    with w.db() as s:
        assert s.get(Submission, sub_id).score == top / 2
    for body in ({"score": top + 1, "comment": "too much"}, {"score": 1, "comment": ""},
                 {"score": "NaN", "comment": "x"}, {"score": 1}):
        assert client.post(url, json=body, headers=_h(token)).status_code == 422, body
    alice = make_token(w, "alice", "read,manage")
    assert client.post(url, json={"score": 1, "comment": "mine"}, headers=_h(alice)).status_code == 403
    with w.db() as s:
        assert s.query(ScoreOverride).count() == 1


def test_an_answer_score_set_by_hand(client: Any, w: World) -> None:
    quiz_id = w.quiz_id("dropout")
    with w.db() as s:
        alice = w.user(s, "alice")
        attempt = attempt_svc.start_attempt(s, alice, s.get(Quiz, quiz_id))
        attempt_svc.submit_attempt(s, alice, attempt)
        response = s.query(Response).filter_by(attempt_id=attempt.id).first()
        assert response is not None
        response_id, top = response.id, response.max_score
    token = make_token(w, "instructor", "read,manage")
    r = client.post(f"{API}/responses/{response_id}/override", headers=_h(token),
                    json={"score": top, "comment": "your derivation was right"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["override"]["response_id"] == response_id
    assert client.post(f"{API}/responses/999999/override", headers=_h(token),
                       json={"score": 1, "comment": "x"}).status_code == 404
