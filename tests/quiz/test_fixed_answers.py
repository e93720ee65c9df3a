"""Authoring without a database: numeric and vector items with a fixed answer typed by the
instructor, and the catalogue of reference functions the item editor lists."""

from __future__ import annotations

import math

import pytest

from quizsvc.quiz import bank as B
from quizsvc.quiz.base import ItemSpec
from quizsvc.quiz.functions import reference_functions
from quizsvc.quiz.params import compute_key
from quizsvc.quiz.registry import get_type
from reference.answers import ANSWER_FUNCTIONS

LOC = {"ko": "문제", "en": "Question"}


def spec(type_name: str, prompt: dict | None = None, **config) -> ItemSpec:
    return ItemSpec(key="k", type_name=type_name, prompt=prompt or dict(LOC), config=config)


def test_a_numeric_item_with_a_fixed_answer_needs_no_reference_function():
    t = get_type("numeric")
    item = spec("numeric", answer=0.75, tolerance={"atol": 0.01})
    assert t.validate(item) == []
    v = t.prepare(item, seed=7)
    assert v.key == 0.75 and v.key_display == "0.75"
    assert t.score(t.parse("3/4", v), v).correct
    assert t.score(t.parse("0.755", v), v).correct  # within atol
    wrong = t.score(t.parse("0.8", v), v)
    assert not wrong.correct and wrong.details["abs_error"] == pytest.approx(0.05)
    # every student gets the same key
    assert t.prepare(item, seed=1).key == t.prepare(item, seed=2).key == 0.75


def test_a_vector_item_with_a_fixed_answer():
    t = get_type("vector")
    item = spec("vector", answer=[[1, 0], [0, 1]], tolerance={"atol": 0.001}, partial_credit=True)
    assert t.validate(item) == []
    v = t.prepare(item, seed=0)
    assert t.score(t.parse("1 0; 0 1", v), v).correct
    half = t.score(t.parse("[[1, 1], [1, 1]]", v), v)
    assert half.fraction == 0.5 and not half.correct
    assert not t.score(t.parse("1, 0, 0, 1", v), v).correct  # shape


@pytest.mark.parametrize(("type_name", "config", "message"), [
    ("numeric", {"answer": "0.75", "tolerance": {"atol": 1}}, "answer: write a number"),
    ("numeric", {"answer": True, "tolerance": {"atol": 1}}, "answer: write a number"),
    ("numeric", {"answer": math.inf, "tolerance": {"atol": 1}}, "answer: write a number"),
    ("numeric", {"answer": [1, 2], "tolerance": {"atol": 1}}, "answer is a list: use the vector type"),
    ("vector", {"answer": 3, "tolerance": {"atol": 1}}, "answer is a single number: use the numeric type"),
    ("vector", {"answer": [[1, 2], [3]], "tolerance": {"atol": 1}}, "rows of the matrix have different lengths"),
    ("vector", {"answer": [1, "x"], "tolerance": {"atol": 1}}, "answer: write numbers only"),
    ("vector", {"answer": [], "tolerance": {"atol": 1}}, "answer: write a number"),
    ("vector", {"answer": list(range(500)), "tolerance": {"atol": 1}}, "at most 400 entries"),
    ("numeric", {"answer": 1.0}, "tolerance is missing"),
    ("numeric", {"answer": 1.0, "tolerance": {"atol": 1}, "params": {"n": {"kind": "int", "low": 1, "high": 3}}},
     "a fixed answer is the same for everyone"),
])
def test_broken_fixed_answers_are_named(type_name, config, message):
    problems = get_type(type_name).validate(spec(type_name, **config))
    assert any(message in p for p in problems), problems


def test_a_fixed_answer_prompt_has_no_parameters():
    problems = get_type("numeric").validate(
        spec("numeric", {"ko": "{{n}}의 값", "en": "the value of {{n}}"}, answer=1, tolerance={"atol": 1}))
    assert problems == ["prompt (ko) uses {{...}} parameters, which a fixed answer has none of",
                        "prompt (en) uses {{...}} parameters, which a fixed answer has none of"]


def test_the_editor_offers_the_fixed_answer_preset():
    for name in ("numeric", "vector"):
        t = get_type(name)
        config = t.starter_config("fixed")
        assert "compute" not in config and "answer" in config
        assert t.validate(spec(name, **config)) == []
        assert t.starter_config("no-such-preset") == t.starter_config()


def test_a_fixed_answer_item_passes_bank_check_and_keeps_its_answer_in_yaml(tmp_path):
    item = {"key": "fixed", "type": "numeric", "points": 1, "prompt": LOC,
            "answer": 0.125, "tolerance": {"sigfigs": 3}}
    (tmp_path / "course.yaml").write_text(B.dump_yaml({"slug": "c", "title": LOC}), encoding="utf-8")
    (tmp_path / "q.yaml").write_text(B.dump_yaml({"slug": "q", "title": LOC, "items": [item]}), encoding="utf-8")
    bank, problems = B.check_dir(tmp_path)
    assert problems == [] and bank is not None
    assert bank.quizzes[0].data["items"][0]["answer"] == 0.125
    broken = dict(item, answer=[0.1, 0.2])
    (tmp_path / "q.yaml").write_text(B.dump_yaml({"slug": "q", "title": LOC, "items": [broken]}), encoding="utf-8")
    _, problems = B.check_dir(tmp_path)
    assert [str(p) for p in problems] == ["q.yaml:fixed: answer is a list: use the vector type, or write one number"]


def test_every_reference_function_is_described_in_both_languages_with_a_working_template():
    listed = reference_functions()
    assert [f.name for f in listed] == list(ANSWER_FUNCTIONS)
    for f in listed:
        assert f.description.en and f.description.ko and f.description.ko != f.description.en, f.name
        assert ":func:" not in f.description.en
        config = B.yaml.safe_load(f.template)
        assert config["compute"]["fn"] == f.name
        # the template is a valid item of the type it is offered for
        t = get_type(f.type_name)
        assert t.validate(spec(f.type_name, **config)) == [], f.name
        key = compute_key(config["compute"], {})
        assert isinstance(key, list) == (f.type_name == "vector")
    by_name = {f.name: f for f in listed}
    assert by_name["l1_penalty_sum"].parameters == "w, lam=1.0"
    assert by_name["batch_normalize"].type_name == "vector"


def test_a_chosen_functions_arguments_are_checked_by_name():
    t = get_type("numeric")
    problems = t.validate(spec("numeric", compute={"fn": "weight_decay_factor", "args": {"lr": 0.1, "lambda": 1}},
                               tolerance={"rtol": 0.01}))
    assert problems == ["compute: weight_decay_factor has no argument 'lambda' (it takes lr, lam, m)",
                        "compute: weight_decay_factor needs arguments lam, m (it takes lr, lam, m)"]
    # optional arguments may be left out
    assert t.validate(spec("numeric", compute={"fn": "l1_penalty_sum", "args": {"w": [1, 2]}},
                           tolerance={"rtol": 0.01})) == []
