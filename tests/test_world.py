"""The test helpers themselves: each client is its own user; typed answers score as expected."""

from __future__ import annotations

from world import USERS, build_world, logged_in

from quizsvc.models import Quiz


def test_each_client_is_its_own_user(app):
    w = build_world(app)
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    assert "alice" in alice.get("/").get_data(as_text=True)
    assert "bob" in bob.get("/").get_data(as_text=True)
    assert "alice" not in bob.get("/").get_data(as_text=True)
    anonymous = app.test_client()
    r = anonymous.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert set(w.ids) == set(USERS)


def test_typed_answers_score_full_and_zero(app):
    from quizsvc.models import User
    from quizsvc.services import attempts

    w = build_world(app)
    for quiz_id in w.quiz_ids().values():
        points = sum(i["points"] for i in w.items(quiz_id))
        for right in (True, False):
            answers = w.answers(quiz_id, "alice", right=right)
            with w.db() as s:
                q, alice = s.get(Quiz, quiz_id), s.get(User, w.ids["alice"])
                a = attempts.start_attempt(s, alice, q)
                res = attempts.submit_attempt(s, alice, a, answers)
                # the stored score (an after_close quiz shows none to the student yet)
                assert res.attempt.score == (points if right else 0.0) and res.max_score == points > 0
