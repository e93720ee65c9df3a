"""Regrading a quiz item after its key or points change: the preview (who gains, who loses), the
apply step (responses, attempt totals, the gradebook, a record), and that a second apply does
nothing. Through the staff pages with real CSRF-checked forms."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from world import form_post, logged_in

from quizsvc.models import Attempt, Course, Item, ItemRegrade, Quiz, Response, User
from quizsvc.services import attempts as attempt_svc
from quizsvc.services import item_regrade
from quizsvc.services.gradebook import gradebook

QUIZ, ITEM = "overfitting-and-norms", "overfitting-diagnosis"


def _take(w: Any, quiz_id: int, who: str, answers: dict[int, Any]) -> None:
    with w.db() as s:
        user, quiz = s.get(User, w.ids[who]), s.get(Quiz, quiz_id)
        attempt = attempt_svc.start_attempt(s, user, quiz)
        attempt_svc.submit_attempt(s, user, attempt, answers)


def _setup(w: Any) -> tuple[int, int, str]:
    """alice answers every item right; bob every item right but ITEM, where he picks ``wrong``."""
    quiz_id = w.quiz_id(QUIZ)
    item_id = next(i["id"] for i in w.items(quiz_id) if i["key"] == ITEM)
    _take(w, quiz_id, "alice", w.answers(quiz_id, "alice"))
    bob = w.answers(quiz_id, "bob")
    wrong = w.answers(quiz_id, "bob", right=False)[item_id]
    _take(w, quiz_id, "bob", {**bob, item_id: wrong})
    return quiz_id, item_id, wrong


def _edit_form(item: Item, **changes: Any) -> dict[str, Any]:
    config = changes.pop("config", item.config)
    return {"key": item.key, "type_name": item.type_name, "section": item.section,
            "points": str(changes.pop("points", item.points)),
            "prompt_ko": item.prompt.get("ko", ""), "prompt_en": item.prompt.get("en", ""),
            "explanation_ko": item.explanation.get("ko", ""), "explanation_en": item.explanation.get("en", ""),
            "config": yaml.safe_dump(config, allow_unicode=True)}


def _totals(w: Any, quiz_id: int) -> dict[str, tuple[float, float]]:
    return {who: (a.score, a.max_score) for who in ("alice", "bob") for a in w.attempts(quiz_id, who)}


def _gradebook(w: Any, quiz_id: int) -> dict[str, float | None]:
    with w.db() as s:
        book = gradebook(s, s.get(User, w.ids["instructor"]), s.get(Course, w.course_id))
        return {u.email.split("@")[0]: scores[f"q{quiz_id}"] for u, scores in book.rows}


def test_changing_the_key_previews_then_applies_a_regrade(w, app):
    quiz_id, item_id, wrong = _setup(w)
    before = _totals(w, quiz_id)
    assert before["alice"][0] == before["alice"][1] and before["bob"][0] == before["alice"][0] - 1
    with w.db() as s:
        item = s.get(Item, item_id)
        # the key moves to the option bob picked: bob gains the point, alice loses it
        config = {**item.config, "options": [{**o, "correct": o["id"] == wrong} for o in item.config["options"]]}
        form = _edit_form(item, config=config)
    prof = logged_in(app, "instructor")
    r = form_post(prof, f"/staff/items/{item_id}/edit", form)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/items/{item_id}/regrade")
    assert _totals(w, quiz_id) == before  # saving alone rescored nothing

    with w.db() as s:
        plan = item_regrade.preview(s, s.get(User, w.ids["instructor"]), s.get(Item, item_id))
        assert plan.checked == 2
        assert [(c.user.id, c.old, c.new) for c in plan.gains] == [(w.ids["bob"], 0.0, 1.0)]
        assert [(c.user.id, c.old, c.new) for c in plan.losses] == [(w.ids["alice"], 1.0, 0.0)]
        assert plan.total_change == 0.0
    page = prof.get(f"/staff/items/{item_id}/regrade").get_data(as_text=True)
    assert "1개 응시는 점수가 오르고 1개는 내려가며" in page and 'id="apply-regrade"' in page

    # a student cannot apply it, nor can a POST without the CSRF token
    assert form_post(logged_in(app, "alice"), f"/staff/items/{item_id}/regrade").status_code in (403, 404)
    prof.post(f"/staff/items/{item_id}/regrade")
    assert _totals(w, quiz_id) == before

    r = form_post(prof, f"/staff/items/{item_id}/regrade", token_from=f"/staff/items/{item_id}/regrade")
    assert r.status_code == 302
    after = _totals(w, quiz_id)
    assert after == {"alice": (before["alice"][0] - 1, before["alice"][1]),
                     "bob": (before["bob"][0] + 1, before["bob"][1])}
    assert _gradebook(w, quiz_id) == {"alice": after["alice"][0], "bob": after["bob"][0]}
    with w.db() as s:
        resp = s.scalar(select(Response).join(Attempt).where(
            Response.item_id == item_id, Attempt.user_id == w.ids["bob"]))
        assert (resp.score, resp.correct) == (1.0, True)
        records = s.scalars(select(ItemRegrade).where(ItemRegrade.quiz_id == quiz_id)).all()
        assert [(r.item_id, r.actor_id, r.attempts_changed, r.total_change) for r in records] == [
            (item_id, w.ids["instructor"], 2, 0.0)]
        assert records[0].config["options"] == config["options"]
        assert sorted((c["user_id"], c["old"], c["new"]) for c in records[0].changes["attempts"]) == sorted(
            [(w.ids["alice"], 1.0, 0.0), (w.ids["bob"], 0.0, 1.0)])
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="regrades"' in page and ITEM in page.split('id="regrades"')[1]

    # a second apply changes nothing and records nothing
    r = form_post(prof, f"/staff/items/{item_id}/regrade", token_from=f"/staff/items/{item_id}/regrade")
    assert r.status_code == 302
    assert _totals(w, quiz_id) == after
    with w.db() as s:
        assert len(s.scalars(select(ItemRegrade)).all()) == 1


def test_changing_the_points_rescales_scores_and_maxima(w, app):
    quiz_id, item_id, _wrong = _setup(w)
    before = _totals(w, quiz_id)
    with w.db() as s:
        form = _edit_form(s.get(Item, item_id), points=3)
    prof = logged_in(app, "instructor")
    r = form_post(prof, f"/staff/items/{item_id}/edit", form)
    assert r.headers["Location"].endswith(f"/staff/items/{item_id}/regrade")
    with w.db() as s:
        plan = item_regrade.preview(s, s.get(User, w.ids["instructor"]), s.get(Item, item_id))
        # alice gains 2 points; bob's 0 stays 0 but out of 3
        assert [(c.user.id, c.delta) for c in plan.gains] == [(w.ids["alice"], 2.0)]
        assert not plan.losses and len(plan.changes) == 2 and plan.total_change == 2.0
    form_post(prof, f"/staff/items/{item_id}/regrade", token_from=f"/staff/items/{item_id}/regrade")
    assert _totals(w, quiz_id) == {"alice": (before["alice"][0] + 2, before["alice"][1] + 2),
                                   "bob": (before["bob"][0], before["bob"][1] + 2)}


def test_an_edit_that_changes_no_score_goes_to_the_item_preview(w, app):
    quiz_id, item_id, _wrong = _setup(w)
    with w.db() as s:
        form = _edit_form(s.get(Item, item_id))
    form["prompt_en"] += " (reworded)"
    r = form_post(logged_in(app, "instructor"), f"/staff/items/{item_id}/edit", form)
    assert r.headers["Location"].endswith(f"/staff/items/{item_id}/preview")
