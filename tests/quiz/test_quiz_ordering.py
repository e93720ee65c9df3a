"""The ordering question type: config checks, the per-student shuffle, reading answers from the
API's list and the web form's positions, scoring, and the item end to end (web form, result page,
API, editor, bank). The shipped item is ``bn-forward-order`` of the batch-layer-norm quiz."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from world import Api, World, form_post, logged_in, make_token, start_web_attempt

from quizsvc.api.openapi import openapi_document
from quizsvc.models import AttemptStatus, FeedbackPolicy, Item
from quizsvc.quiz.bank import check_item
from quizsvc.quiz.base import AnswerError, ItemSpec
from quizsvc.quiz.registry import get_type
from quizsvc.services.quizzes import variant_for

STEPS = ["mean", "variance", "normalize", "scale-shift"]


def ordering(**config: Any) -> ItemSpec:
    options = [{"id": s, "text": {"ko": f"{s} 단계", "en": f"step {s}"}} for s in STEPS]
    return ItemSpec("bn-order", "ordering", {"ko": "순서", "en": "Order"}, {"options": options, **config})


T = get_type("ordering")


# --- config --------------------------------------------------------------------------------


def test_a_good_config_passes_and_broken_ones_are_named():
    assert T.validate(ordering()) == [] and T.validate(ordering(scoring="pairs")) == []
    one = ordering()
    one.config["options"] = one.config["options"][:1]
    assert T.validate(one) == ["options: list 2 to 12 steps, in the correct order"]
    broken = ordering(scoring="positions")
    opts = broken.config["options"]
    opts[1]["id"] = "mean"
    opts[2]["text"] = {"ko": "정규화", "en": " "}
    opts[3]["correct"] = True
    opts.append({"id": "a b", "text": {"ko": "가", "en": "a"}})
    assert T.validate(broken) == [
        "option normalize: needs text in ko and en",
        "option scale-shift: no 'correct' here; list the steps in the correct order",
        "option 5: id must be 1-64 letters, digits, _ or -",
        "options: ids must be unique",
        "scoring must be one of all_or_nothing, pairs",
    ]


def test_bank_check_reports_a_broken_ordering_item():
    item = {"key": "bn-order", "type": "ordering", "prompt": {"ko": "순서", "en": "Order"},
            "options": [{"id": "mean", "text": {"ko": "평균", "en": "mean"}}]}
    [problem] = check_item("q.yaml", 0, item, set())
    assert str(problem) == "q.yaml:bn-order: options: list 2 to 12 steps, in the correct order"


def test_the_editor_starts_from_the_types_own_config():
    starter = T.starter_config()
    assert starter["scoring"] == "all_or_nothing" and len(starter["options"]) == 3
    starter["options"].clear()  # a copy: the next new item starts from the full one again
    assert len(T.starter_config()["options"]) == 3


# --- what a student sees -------------------------------------------------------------------


def shown(seed: int, shuffle: bool = True) -> list[str]:
    return [o["id"] for o in T.prepare(ordering(), seed, shuffle).options]


def test_the_steps_are_shuffled_per_student_stably_and_never_in_the_right_order():
    orders = {tuple(shown(seed)) for seed in range(200)}
    assert all(shown(seed) == shown(seed) for seed in range(20))  # same student, same order
    assert len(orders) == 23  # all 24 permutations of 4 steps but the answer
    assert tuple(STEPS) not in orders
    fixed = {tuple(shown(seed, shuffle=False)) for seed in range(20)}
    assert len(fixed) == 1 and tuple(STEPS) not in fixed  # quiz shuffle off: one order for all
    v = T.prepare(ordering(), 7)
    assert v.key == STEPS and v.key_display == "mean, variance, normalize, scale-shift"
    assert all(set(o) == {"id", "text"} for o in v.options)


# --- reading answers -----------------------------------------------------------------------


def test_the_api_list_and_the_web_positions_give_the_same_answer():
    v = T.prepare(ordering(), 3)
    assert T.parse(list(STEPS), v) == STEPS
    positions = {"normalize": "3", "mean": " 1", "scale-shift": "4", "variance": "2 "}
    assert T.parse(positions, v) == STEPS


@pytest.mark.parametrize(("raw", "message"), [
    ("mean, variance", "Send the list of step ids, first step first."),
    ([1, 2, 3, 4], "Send the list of step ids, first step first."),
    (["mean", "variance", "normalize", "scale"], "That step does not exist."),
    (["mean", "mean", "normalize", "scale-shift"], "A step appears twice."),
    (["mean", "variance", "normalize"], "Put all 4 steps in order."),
    ({"mean": "1", "variance": "2", "normalize": "3", "scale-shift": ""}, "Give every step a position."),
    ({"mean": "1", "variance": "2", "normalize": "3"}, "Give every step a position."),
    ({"mean": "1", "variance": "2", "normalize": "3", "scale-shift": "5"}, "Positions are numbers from 1 to 4."),
    ({"mean": "1", "variance": "2", "normalize": "3", "scale-shift": "４"}, "Positions are numbers from 1 to 4."),
    ({"mean": "1", "variance": "2", "normalize": "2", "scale-shift": "4"},
     "Two steps have position 2; give each position to one step."),
])
def test_malformed_answers_are_refused_with_a_reason(raw, message):
    with pytest.raises(AnswerError) as exc:
        T.parse(raw, T.prepare(ordering(), 3))
    assert exc.value.message.en == message and exc.value.message.ko


def test_the_web_form_gives_a_position_per_step_and_blank_when_untouched():
    options = T.prepare(ordering(), 3).options
    form = MultiDict({"item-9-mean": "2", "item-9-variance": "1", "item-9-normalize": "",
                      "item-9-scale-shift": "4", "item-90-mean": "3"})
    assert T.form_answer(form, "item-9", options) == {
        "mean": "2", "variance": "1", "normalize": "", "scale-shift": "4"}
    untouched = MultiDict({o: "" for o in (f"item-9-{s}" for s in STEPS)})
    assert T.form_answer(untouched, "item-9", options) == ""  # unanswered: saving it is fine


def test_every_answer_read_fits_the_documented_answer_schema():
    doc = openapi_document()
    answer = Draft202012Validator({**doc["components"]["schemas"]["Answer"], "components": doc["components"]})
    own = Draft202012Validator(T.answer_schema())
    value = T.parse({"mean": "1", "variance": "2", "normalize": "3", "scale-shift": "4"}, T.prepare(ordering(), 3))
    assert own.is_valid(value) and answer.is_valid(value)
    assert "ordering" in doc["components"]["schemas"]["QuestionType"]["enum"]


# --- scoring -------------------------------------------------------------------------------


def score(answer: list[str], **config: Any) -> Any:
    v = T.prepare(ordering(**config), 3)
    return T.score(answer, v)


def test_all_or_nothing_by_default_and_pairs_on_request():
    swapped = ["mean", "normalize", "variance", "scale-shift"]  # one step one place off
    right = score(STEPS)
    assert (right.fraction, right.correct, right.message.en) == (1.0, True, "Correct.")
    assert score(swapped).fraction == 0.0 and not score(swapped).correct
    assert score(swapped, scoring="pairs").fraction == pytest.approx(5 / 6)
    assert score(STEPS[::-1], scoring="pairs").fraction == 0.0
    last_first = score(STEPS[3:] + STEPS[:3], scoring="pairs")  # 3 pairs of 6 kept
    assert last_first.fraction == pytest.approx(3 / 6)
    assert last_first.message.en == "0 of 4 steps are in the right place; 3 of 6 pairs are in the right order."
    assert last_first.details == {"placed": 0, "pairs_right": 3, "pairs": 6}


def test_an_answer_saved_before_the_steps_were_edited_scores_without_a_crash():
    result = score(["mean", "variance", "normalise", "scale-shift"], scoring="pairs")
    assert not result.correct and result.fraction == pytest.approx(3 / 6)


# --- end to end: the shipped item ----------------------------------------------------------


def shipped(w: World) -> tuple[int, int]:
    """The batch-layer-norm quiz (feedback made immediate) and its ordering item."""
    quiz_id = w.quiz_id("batch-layer-norm")
    w.update_quiz(quiz_id, feedback_policy=FeedbackPolicy.IMMEDIATE)
    with w.db() as s:
        item_id = s.scalar(select(Item.id).where(Item.quiz_id == quiz_id, Item.key == "bn-forward-order"))
    return quiz_id, item_id


def shown_order(page: str, item_id: int) -> list[str]:
    return re.findall(rf'<select name="item-{item_id}-([^"]+)">', page)


def positions(item_id: int, order: list[str]) -> dict[str, str]:
    return {f"item-{item_id}-{step}": str(i + 1) for i, step in enumerate(order)}


def test_a_student_orders_the_steps_in_the_web_form(w, app):
    quiz_id, item_id = shipped(w)
    key = ["mean", "variance", "normalize", "scale-shift"]
    client = logged_in(app, "alice")
    attempt_id = start_web_attempt(client, quiz_id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    order = shown_order(page, item_id)
    with w.db() as s:
        variant = variant_for(s.get(Item, item_id), w.ids["alice"], True)
    assert order == [o["id"] for o in variant.options] and sorted(order) == sorted(key) and order != key
    assert "단계마다 순서 번호를 고르세요. 1이 첫 단계입니다." in page  # the locale is Korean
    # two steps in one place: refused, said why, the choices kept, nothing stored or consumed
    dup = {**positions(item_id, key), f"item-{item_id}-variance": "1", "action": "submit"}
    r = form_post(client, f"/attempts/{attempt_id}", dup)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "두 단계가 같은 순서(1)입니다" in body
    kept = re.search(rf'<select name="item-{item_id}-variance">.*?</select>', body, re.S)
    assert kept and '<option value="1" selected>' in kept.group(0)
    [attempt] = w.attempts(quiz_id, "alice")
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.responses == []
    # saved in the right order: the page shows each step's position back
    r = form_post(client, f"/attempts/{attempt_id}", {**positions(item_id, key), "action": "save"})
    assert r.status_code == 302
    [attempt] = w.attempts(quiz_id, "alice")
    assert [r.answer["value"] for r in attempt.responses if r.item_id == item_id] == [key]
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    normalize = re.search(rf'<select name="item-{item_id}-normalize">.*?</select>', page, re.S)
    assert normalize and '<option value="3" selected>' in normalize.group(0)
    # submitted with two steps swapped: partial credit by pairs (5 of 6), the right order shown
    swapped = ["mean", "normalize", "variance", "scale-shift"]
    r = form_post(client, f"/attempts/{attempt_id}", {**positions(item_id, swapped), "action": "submit", "confirmed": "1"})
    assert r.status_code == 302
    with w.db() as s:
        item = s.get(Item, item_id)
        resp = next(r for r in w.attempts(quiz_id, "alice")[0].responses if r.item_id == item_id)
        assert resp.score == pytest.approx(item.points * 5 / 6) and not resp.correct
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "6쌍 중 5쌍의 순서가 맞습니다" in result
    right_order = re.search(r'<ol class="key-order">(.*?)</ol>', result, re.S)
    assert right_order is not None
    steps = re.findall(r"<li>(.*?)</li>", right_order.group(1), re.S)
    assert len(steps) == 4 and "평균" in steps[0] and "\\gamma" not in steps[3]  # math rendered


def test_the_api_takes_a_list_of_option_ids(w, app):
    quiz_id, item_id = shipped(w)
    alice = Api(app, make_token(w, "alice"))  # every response is checked against the document
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    item = next(i for i in attempt["items"] if i["id"] == item_id)
    assert item["type"] == "ordering" and len(item["options"]) == 4
    url = f"/attempts/{attempt['id']}/answers/{item_id}"
    for bad in (["mean", "mean", "normalize", "scale-shift"], ["mean"], "mean", [["mean"]]):
        assert alice("PUT", url, {"answer": bad}).status_code == 422
    assert w.attempts(quiz_id, "alice")[0].responses == []
    key = ["mean", "variance", "normalize", "scale-shift"]
    assert alice("PUT", url, {"answer": key}).get_json() == {"item_id": item_id, "answer": key}
    result = alice("POST", f"/attempts/{attempt['id']}/submit").get_json()
    fb = next(i for i in result["items"] if i["item_id"] == item_id)
    assert fb["correct"] and fb["answer"] == key and fb["key"] == "mean, variance, normalize, scale-shift"


def test_an_instructor_adds_an_ordering_item_in_the_editor(w, app):
    quiz_id = w.quiz_id("overfitting-and-norms")
    prof = logged_in(app, "instructor")
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert f"/staff/quizzes/{quiz_id}/items/new?type=ordering" in page
    form = prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=ordering").get_data(as_text=True)
    assert '<option selected value="ordering">' in form and "scoring: all_or_nothing" in form
    config = ("scoring: pairs\noptions:\n"
              "  - {id: fit, text: {ko: 학습, en: Fit}}\n  - {id: tune, text: {ko: 조정, en: Tune}}\n"
              "  - {id: test, text: {ko: 평가, en: Test}}\n")
    data = {"key": "workflow", "type_name": "ordering", "section": "", "points": "1",
            "prompt_ko": "순서대로", "prompt_en": "In order", "explanation_ko": "", "explanation_en": "",
            "config": config}
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", data)
    assert r.status_code == 302, r.get_data(as_text=True)
    preview = prof.get(r.headers["Location"]).get_data(as_text=True)
    assert "fit, tune, test" in preview
    bad = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                    {**data, "key": "workflow-2", "config": config.replace("tune", "fit")})
    assert bad.status_code == 422 and "options: ids must be unique" in bad.get_data(as_text=True)
