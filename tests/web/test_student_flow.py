"""A student in the browser (Flask test client, real forms and CSRF tokens): join, take, submit,
see the score and feedback; attempt limits, open/close dates and feedback policies."""

from __future__ import annotations

import re
from datetime import timedelta

from helpers import make_user
from sqlalchemy import select
from world import (
    form_data,
    form_post,
    logged_in,
    start_web_attempt,
)

from quizsvc.models import AttemptStatus, Enrollment, FeedbackPolicy, Item, Quiz, utcnow


def option_order(page: str, item_id: int) -> list[str]:
    return re.findall(rf'name="item-{item_id}" value="([^"]+)"', page)


def test_new_student_joins_with_the_code(w, app):
    with w.db() as s:
        make_user(s, "carol@example.com")
    client = app.test_client()
    from helpers import login

    assert login(client, "carol@example.com").status_code == 302
    assert "참여 코드" in client.get("/").get_data(as_text=True)
    bad = form_post(client, "/join", {"code": "NOPE1234"})
    assert bad.status_code == 400
    assert "참여 코드가 올바르지 않습니다." in bad.get_data(as_text=True)
    # codes are read aloud: lower case, spaces and dashes are accepted
    typed = f"{w.join_code[:4].lower()}-{w.join_code[4:].lower()} "
    r = form_post(client, "/join", {"code": typed})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/courses/{w.course_id}")
    page = client.get(f"/courses/{w.course_id}").get_data(as_text=True)
    with w.db() as s:
        carol_role = s.scalar(select(Enrollment.role).join(Enrollment.user)
                              .where(Enrollment.course_id == w.course_id,
                                     Enrollment.user.has(email="carol@example.com")))
        titles = s.scalars(select(Quiz.title).where(Quiz.course_id == w.course_id,
                                                    Quiz.published.is_(True))).all()
    assert carol_role.value == "student"
    assert all(t in page for t in titles)
    # joining twice changes nothing
    again = form_post(client, "/join", {"code": w.join_code})
    assert again.status_code == 302
    with w.db() as s:
        assert len(s.scalars(select(Enrollment).where(Enrollment.course_id == w.course_id,
                                                      Enrollment.user.has(email="carol@example.com"))).all()) == 1


def test_take_a_quiz_and_see_score_and_explanations(w, app):
    quiz_id = w.quiz_id("overfitting-and-norms")
    client = logged_in(app, "alice")
    page = client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="start-attempt"' in page
    attempt_id = start_web_attempt(client, quiz_id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    items = w.items(quiz_id)
    for item in items:
        assert f'name="item-{item["id"]}"' in page
    right = w.answers(quiz_id, "alice", right=True)
    # the first item wrong, the rest right
    first = items[0]["id"]
    answers = dict(right)
    answers[first] = w.answers(quiz_id, "alice", right=False)[first]
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(answers), "action": "submit"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    total = sum(i["points"] for i in items)
    expected = total - items[0]["points"]
    assert f'id="score">{expected:g} / {total:g}</p>' in result
    assert result.count('class="card item feedback correct"') == len(items) - 1
    assert result.count('class="card item feedback wrong"') == 1
    assert result.count('class="explanation"') == len(items)  # every shipped item explains itself
    assert result.count('<p class="key">정답:') == 1  # the key is shown for the wrong item only
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == expected
    assert attempt.max_score == total and len(attempt.responses) == len(items)
    # the submitted attempt now redirects to its result and cannot be changed
    r = client.get(f"/attempts/{attempt_id}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/result")
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(right), "action": "submit"})
    assert r.status_code == 302
    assert w.attempts(quiz_id, "alice")[0].score == expected


def test_save_then_resume_then_submit(w, app):
    quiz_id = w.quiz_id("dropout")
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    right = w.answers(quiz_id, "alice")
    ids = list(right)
    half = {k: right[k] for k in ids[: len(ids) // 2]}
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(half), "action": "save"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/attempts/{attempt_id}")
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert {r.item_id for r in attempt.responses} == set(half)
    # "start" again resumes the same attempt instead of opening a second one
    assert start_web_attempt(client, quiz_id) == attempt_id
    page = client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert f'href="/attempts/{attempt_id}"' in page
    # the saved answers are shown again; submit only the rest
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for item_id, value in half.items():
        if isinstance(value, str):  # a choice id, or the typed number
            assert (f'name="item-{item_id}" value="{value}" checked' in page
                    or f'name="item-{item_id}" maxlength="64"\n         value="{value}"' in page)
    rest = {k: right[k] for k in ids[len(ids) // 2:]}
    merged = {**half, **rest}
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(merged), "action": "submit"})
    assert r.status_code == 302
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.score == attempt.max_score


def test_unanswered_items_score_zero(w, app):
    quiz_id = w.quiz_id("dropout")
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    r = form_post(client, f"/attempts/{attempt_id}", {"action": "submit", "confirmed": "1"})
    assert r.status_code == 302
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.score == 0 and attempt.max_score > 0
    assert all(r.score == 0 and r.answer == {} for r in attempt.responses)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert page.count("답하지 않았습니다.") == len(attempt.responses)


def test_attempt_limit(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, max_attempts=2)
    client = logged_in(app, "alice")
    for _ in range(2):
        attempt_id = start_web_attempt(client, quiz_id)
        assert form_post(client, f"/attempts/{attempt_id}", {"action": "submit", "confirmed": "1"}).status_code == 302
    page = client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="start-attempt"' not in page
    assert "2 / 2" in page
    r = form_post(client, f"/quizzes/{quiz_id}/start")
    assert r.status_code == 403
    assert "응시 가능 횟수(2회)를 모두 사용했습니다." in r.get_data(as_text=True)
    assert [a.number for a in w.attempts(quiz_id, "alice")] == [1, 2]
    # the limit is per student
    bob = logged_in(app, "bob")
    assert start_web_attempt(bob, quiz_id)


def test_closed_and_not_yet_open_quizzes(w, app):
    quiz_id = w.quiz_id("dropout")
    client = logged_in(app, "alice")
    w.update_quiz(quiz_id, opens_at=utcnow() + timedelta(days=1))
    page = client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'id="start-attempt"' not in page
    r = form_post(client, f"/quizzes/{quiz_id}/start")
    assert r.status_code == 403 and "아직 열리지 않은 퀴즈입니다." in r.get_data(as_text=True)
    w.update_quiz(quiz_id, opens_at=None, closes_at=utcnow() - timedelta(minutes=1))
    r = form_post(client, f"/quizzes/{quiz_id}/start")
    assert r.status_code == 403 and "마감된 퀴즈입니다." in r.get_data(as_text=True)
    assert w.attempts(quiz_id, "alice") == []


def test_quiz_closing_during_an_attempt_blocks_saving(w, app):
    quiz_id = w.quiz_id("dropout")
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    w.update_quiz(quiz_id, closes_at=utcnow() - timedelta(seconds=1))
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(w.answers(quiz_id, "alice")),
                                                       "action": "submit"})
    assert r.status_code == 403 and "마감된 퀴즈입니다." in r.get_data(as_text=True)
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.responses == []


def test_feedback_after_close(w, app):
    quiz_id = w.quiz_id("dropout")
    w.update_quiz(quiz_id, feedback_policy=FeedbackPolicy.AFTER_CLOSE,
                  closes_at=utcnow() + timedelta(hours=1))
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    right = w.answers(quiz_id, "alice")
    form_post(client, f"/attempts/{attempt_id}", {**form_data(right), "action": "submit"})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    total = sum(i["points"] for i in w.items(quiz_id))
    # Not even the score before the close date (two attempts' totals would tell right from wrong).
    assert f'id="score">— / {total:g}</p>' in page
    assert f"{total:g} / {total:g}" not in client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert 'class="explanation"' not in page and "feedback correct" not in page
    assert "점수와 정답, 해설은 퀴즈 마감" in page and "공개됩니다" in page
    assert 'class="key"' not in page  # no key before the close date
    # course staff see the per-item marking and keys at once
    ta = logged_in(app, "ta")
    staff_page = ta.get(f"/staff/attempts/{attempt_id}").get_data(as_text=True)
    assert staff_page.count('class="card item correct"') == len(right)
    assert staff_page.count('class="key"') == len(right)
    # after the close date the student gets the per-item feedback
    w.update_quiz(quiz_id, closes_at=utcnow() - timedelta(seconds=1))
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert page.count('class="explanation"') == len(right)
    assert page.count("feedback correct") == len(right)
    assert f'id="score">{total:g} / {total:g}</p>' in page
    assert f"{total:g} / {total:g}" in client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)


def test_option_order_is_per_student_and_stable(w, app):
    quiz_id = w.quiz_id("l1-l2-lambda")
    choice_items = [i["id"] for i in w.items(quiz_id) if i["type"] in ("single_choice", "multi_select")]
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    a_attempt, b_attempt = start_web_attempt(alice, quiz_id), start_web_attempt(bob, quiz_id)
    a1 = alice.get(f"/attempts/{a_attempt}").get_data(as_text=True)
    a2 = alice.get(f"/attempts/{a_attempt}").get_data(as_text=True)
    b1 = bob.get(f"/attempts/{b_attempt}").get_data(as_text=True)
    a_orders = [option_order(a1, i) for i in choice_items]
    assert a_orders == [option_order(a2, i) for i in choice_items]
    b_orders = [option_order(b1, i) for i in choice_items]
    assert all(sorted(a) == sorted(b) and a for a, b in zip(a_orders, b_orders, strict=True))
    assert a_orders != b_orders
    # a new attempt by the same student keeps the order
    form_post(alice, f"/attempts/{a_attempt}", {"action": "submit", "confirmed": "1"})
    second = start_web_attempt(alice, quiz_id)
    a3 = alice.get(f"/attempts/{second}").get_data(as_text=True)
    assert [option_order(a3, i) for i in choice_items] == a_orders


def test_parameterised_items_differ_between_students(w, app):
    quiz_id = w.quiz_id("overfitting-and-norms")
    param_items = [i["id"] for i in w.items(quiz_id) if i["params"]]
    assert param_items
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    a_page = alice.get(f"/attempts/{start_web_attempt(alice, quiz_id)}").get_data(as_text=True)
    b_page = bob.get(f"/attempts/{start_web_attempt(bob, quiz_id)}").get_data(as_text=True)

    def prompt(page: str, item_id: int) -> str:
        m = re.search(rf'id="item-{item_id}">(.*?)</section>', page, re.S)
        assert m
        return m.group(1)

    assert any(prompt(a_page, i) != prompt(b_page, i) for i in param_items)
    assert "{{" not in a_page
    # each student's own key makes their own answers right
    a_right = w.answers(quiz_id, "alice")
    b_right = w.answers(quiz_id, "bob")
    assert any(a_right[i] != b_right[i] for i in param_items)


def test_logout(w, app):
    client = logged_in(app, "alice")
    assert client.get("/").status_code == 200
    r = form_post(client, "/logout")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_an_item_whose_type_is_gone_shows_an_error_and_scores_nothing(w, app):
    """A stored type no module provides any more (a plugin removed): the quiz still opens and
    submits; that item says why it cannot be shown and scores 0 with a reason. It used to be a
    500 on the attempt page."""
    quiz_id = w.quiz_id("overfitting-and-norms")
    items = w.items(quiz_id)
    gone, kept = items[0], items[1]
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    right = w.answers(quiz_id, "alice")
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(right), "action": "save"})
    assert r.status_code == 302
    with w.db() as s:
        s.get(Item, gone["id"]).type_name = "essay"
        s.commit()
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200
    assert "이 문항을 보여 줄 수 없습니다. 문항 유형(essay)을 사용할 수 없습니다." in page.get_data(as_text=True)
    del right[gone["id"]]
    r = form_post(client, f"/attempts/{attempt_id}", {**form_data(right), "action": "submit"})
    assert r.status_code == 302
    [attempt] = w.attempts(quiz_id, "alice")
    total = sum(i["points"] for i in items)
    assert attempt.score == total - gone["points"] and attempt.max_score == total
    responses = {r.item_id: r for r in attempt.responses}
    assert responses[gone["id"]].score == 0 and responses[kept["id"]].correct
    assert "essay" in responses[gone["id"]].feedback["message"]["en"]
    assert client.get(f"/attempts/{attempt_id}/result").status_code == 200
