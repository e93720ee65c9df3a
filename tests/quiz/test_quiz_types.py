"""Question types without a database: validation, per-student variants, parsing and scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quizsvc.models import Item
from quizsvc.quiz import params as P
from quizsvc.quiz.base import AnswerError, ItemSpec
from quizsvc.quiz.numbers import parse_number, within_tolerance
from quizsvc.quiz.registry import UnknownQuestionType, all_types, get_type
from quizsvc.quiz.types.vector import parse_vector
from quizsvc.services.quizzes import variant_for
from reference import formulas

LOC = {"ko": "문제", "en": "Question"}


def opt(oid: str, correct: bool = False) -> dict:
    return {"id": oid, "text": {"ko": f"보기 {oid}", "en": f"option {oid}"}, "correct": correct}


def spec(type_name: str, **config) -> ItemSpec:
    return ItemSpec(key="k", type_name=type_name, prompt=dict(LOC), config=config)


def single(**extra) -> ItemSpec:
    return spec("single_choice", options=[opt("a", True), opt("b"), opt("c"), opt("d"), opt("e")], **extra)


def multi(**extra) -> ItemSpec:
    opts = [opt("a", True), opt("b", True), opt("c"), opt("d"), opt("e", True), opt("f")]
    return spec("multi_select", options=opts, **extra)


def numeric(tol: dict, **extra) -> ItemSpec:
    return spec("numeric", compute={"fn": "l2_norm", "args": {"x": [2, 3, 4]}}, tolerance=tol, **extra)


# --- registry ------------------------------------------------------------------------------


def test_registry_has_the_types_and_rejects_unknown_ones():
    assert {"single_choice", "multi_select", "numeric", "vector"} <= set(all_types())
    for name, qtype in all_types().items():
        assert qtype.name == name and qtype.label.ko and qtype.label.en
    with pytest.raises(UnknownQuestionType):
        get_type("essay")


# --- single choice -------------------------------------------------------------------------


def test_single_choice_validation():
    t = get_type("single_choice")
    assert t.validate(single()) == []
    two = spec("single_choice", options=[opt("a", True), opt("b", True), opt("c")])
    assert any("exactly one option must be correct (found 2)" in p for p in t.validate(two))
    none = spec("single_choice", options=[opt("a"), opt("b")])
    assert any("found 0" in p for p in t.validate(none))
    assert t.validate(spec("single_choice", options=[opt("a", True)])) == [
        "options: at least two options are needed"
    ]
    dup = spec("single_choice", options=[opt("a", True), opt("a")])
    assert "options: ids must be unique" in t.validate(dup)
    no_en = spec("single_choice", options=[opt("a", True), {"id": "b", "text": {"ko": "둘"}}])
    assert "option b: needs text in ko and en" in t.validate(no_en)


def test_option_order_is_shuffled_per_student_but_stable():
    t = get_type("single_choice")
    s = single()
    orders = {tuple(o["id"] for o in t.prepare(s, seed).options) for seed in range(30)}
    assert len(orders) > 5  # different students generally see different orders
    for seed in (0, 7, 123456789):
        first = [o["id"] for o in t.prepare(s, seed).options]
        again = [o["id"] for o in t.prepare(s, seed).options]
        assert first == again and sorted(first) == ["a", "b", "c", "d", "e"]
    # no shuffle: quiz-wide switch or per-item fixed_order keeps the written order
    assert [o["id"] for o in t.prepare(s, 3, shuffle=False).options] == list("abcde")
    fixed = single(fixed_order=True)
    assert all([o["id"] for o in t.prepare(fixed, seed).options] == list("abcde") for seed in range(10))


def test_variant_options_never_carry_the_key():
    for s in (single(), multi()):
        variant = get_type(s.type_name).prepare(s, 42)
        for o in variant.options:
            assert set(o) == {"id", "text"}


def test_single_choice_parse_and_score():
    t = get_type("single_choice")
    v = t.prepare(single(), 1)
    assert t.parse("a", v) == "a"
    assert t.parse(["a"], v) == "a"
    res = t.score("a", v)
    assert (res.fraction, res.correct, res.message.en) == (1.0, True, "Correct.")
    res = t.score("c", v)
    assert (res.fraction, res.correct, res.message.en) == (0.0, False, "Incorrect.")
    for bad, msg in (("z", "That option does not exist."), ("", "Choose an answer."),
                     (["a", "b"], "Choose exactly one option."), (3, "That option does not exist.")):
        with pytest.raises(AnswerError) as exc:
            t.parse(bad, v)
        assert exc.value.message.en == msg and exc.value.message.ko


# --- multi-select --------------------------------------------------------------------------


def test_multi_select_validation():
    t = get_type("multi_select")
    assert t.validate(multi()) == []
    assert t.validate(multi(scoring="partial", penalty=0.25)) == []
    assert "scoring must be one of all_or_nothing, partial" in t.validate(multi(scoring="lenient"))
    assert "penalty must be a number from 0 to 1" in t.validate(multi(scoring="partial", penalty=2))
    assert "penalty must be a number from 0 to 1" in t.validate(multi(scoring="partial", penalty=True))
    none_correct = spec("multi_select", options=[opt("a"), opt("b")])
    assert "at least one option must be correct" in t.validate(none_correct)


def test_multi_select_all_or_nothing():
    t = get_type("multi_select")
    v = t.prepare(multi(), 5)
    assert t.parse(["e", "a", "b", "a"], v) == ["a", "b", "e"]  # sorted, duplicates dropped
    exact = t.score(["a", "b", "e"], v)
    assert exact.fraction == 1.0 and exact.correct
    almost = t.score(["a", "b"], v)
    assert almost.fraction == 0.0 and not almost.correct
    assert almost.details == {"hits": 2, "wrong": 0, "missed": 1}
    assert almost.message.en == "2 right, 0 wrong, 1 missed."
    with pytest.raises(AnswerError):
        t.parse([], v)
    with pytest.raises(AnswerError):
        t.parse(["a", "zz"], v)


def test_multi_select_partial_credit_default_penalty():
    t = get_type("multi_select")
    v = t.prepare(multi(scoring="partial"), 5)  # 3 correct: each pick 1/3, each wrong pick -1/3
    assert t.score(["a", "b"], v).fraction == pytest.approx(2 / 3)
    assert t.score(["a", "b", "c"], v).fraction == pytest.approx(1 / 3)
    assert t.score(["a", "c", "d"], v).fraction == 0.0  # floored at 0, never negative
    assert t.score(["c", "d", "f"], v).fraction == 0.0
    full = t.score(["a", "b", "e"], v)
    assert full.fraction == 1.0 and full.correct
    # picking everything is not full marks
    assert t.score(list("abcdef"), v).fraction == 0.0


def test_multi_select_partial_credit_custom_penalty():
    t = get_type("multi_select")
    v = t.prepare(multi(scoring="partial", penalty=0.1), 5)
    assert t.score(["a", "b", "e", "c"], v).fraction == pytest.approx(0.9)
    res = t.score(["a", "c"], v)
    assert res.fraction == pytest.approx(1 / 3 - 0.1) and not res.correct
    v0 = t.prepare(multi(scoring="partial", penalty=0), 5)
    assert t.score(list("abcdef"), v0).fraction == 1.0  # no penalty: everything right is picked
    assert not t.score(list("abcdef"), v0).correct


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("12.5", 12.5), ("-2.5e-3", -0.0025), ("2.5E3", 2500.0), ("+.5", 0.5), ("  7 ", 7.0),
    ("3/4", 0.75), ("-3/4", -0.75), ("3 / 8", 0.375),
    ("１２．５", 12.5), ("−3", -3.0), ("－３", -3.0), ("１/４", 0.25), ("２．５ｅ－３", 0.0025),
    ("2.5×10^-3", 0.0025), ("1,234", 1234.0), ("1,234,567.5", 1234567.5),
    (3, 3.0), (0.25, 0.25),
])
def test_parse_number_accepts(raw, value):
    assert parse_number(raw) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("raw", "message"), [
    ("nan", "Enter a finite number, not nan or inf."),
    ("NaN", "Enter a finite number, not nan or inf."),
    ("inf", "Enter a finite number, not nan or inf."),
    ("-Infinity", "Enter a finite number, not nan or inf."),
    ("1e999", "Enter a finite number, not nan or inf."),
    (float("nan"), "Enter a finite number, not nan or inf."),
    (float("-inf"), "Enter a finite number, not nan or inf."),
    ("", "The answer is empty: enter a number."),
    ("   ", "The answer is empty: enter a number."),
    ("abc", "'abc' is not a number. Examples: 0.75, -2.5e-3, 3/4"),
    ("열둘", "'열둘' is not a number. Examples: 0.75, -2.5e-3, 3/4"),
    ("1.2.3", "'1.2.3' is not a number. Examples: 0.75, -2.5e-3, 3/4"),
    ("1,5", "'1,5' is not a number. Examples: 0.75, -2.5e-3, 3/4"),
    ("3/0", "The denominator is 0."),
    ("9" * 80, "That answer is too long for a number."),
    (None, "Enter a number."),
    (True, "Enter a number."),
    ([1.0], "Enter a number."),
])
def test_parse_number_rejects_with_a_clear_message(raw, message):
    with pytest.raises(AnswerError) as exc:
        parse_number(raw)
    assert exc.value.message.en == message
    assert exc.value.message.ko  # every message has its Korean text


def test_parse_number_rejects_huge_integers_from_json():
    # A JSON body can carry an integer far beyond float range; it is a bad answer, not a crash.
    with pytest.raises(AnswerError):
        parse_number(10**400)


def test_tolerance_absolute_relative_and_combined():
    key = 100.0
    assert within_tolerance(100.5, key, {"atol": 0.5})
    assert not within_tolerance(100.51, key, {"atol": 0.5})
    assert within_tolerance(101.0, key, {"rtol": 0.01})
    assert not within_tolerance(101.01, key, {"rtol": 0.01})
    # |a - b| <= atol + rtol*|b|: 0.5 + 0.01*100 = 1.5
    assert within_tolerance(98.5, key, {"atol": 0.5, "rtol": 0.01})
    assert not within_tolerance(98.49, key, {"atol": 0.5, "rtol": 0.01})
    # rtol is relative to the key b, not to the answer: a = 110, b = 100 with rtol 0.095
    # passes |a-b| <= rtol*|a| (10.45) but not rtol*|b| (9.5)
    assert not within_tolerance(110.0, key, {"rtol": 0.095})
    assert within_tolerance(-0.0, 0.0, {"atol": 1e-9})


def test_tolerance_significant_figures():
    key = math.sqrt(29)  # 5.385164807...
    three = {"sigfigs": 3}
    assert within_tolerance(5.39, key, three)
    assert within_tolerance(5.3852, key, three)
    assert not within_tolerance(5.38, key, three)
    assert not within_tolerance(5.4, key, three)
    assert within_tolerance(5.4, key, {"sigfigs": 2})
    assert within_tolerance(-0.002468, -0.0024681357, {"sigfigs": 4})
    assert not within_tolerance(0.002468, -0.0024681357, {"sigfigs": 4})
    assert within_tolerance(0.0, 0.0, three)


def test_significant_figures_round_half_up_as_students_do():
    # 2.675 and 2.685 are not exact in binary; a student who writes them must still round like
    # on paper (2.675 -> 2.68, 2.685 -> 2.69).
    assert within_tolerance(2.675, 2.6751, {"sigfigs": 3})
    assert within_tolerance(2.685, 2.6851, {"sigfigs": 3})
    assert within_tolerance(5.385, math.sqrt(29), {"sigfigs": 3})


def test_tolerance_validation():
    t = get_type("numeric")
    assert t.validate(numeric({"atol": 0.001})) == []
    assert t.validate(numeric({"sigfigs": 3})) == []
    assert t.validate(numeric({"atol": 0.1, "rtol": 0.01})) == []
    missing = spec("numeric", compute={"fn": "l2_norm", "args": {"x": [2, 3, 4]}})
    assert t.validate(missing) == ["tolerance is missing: give rtol and/or atol, or sigfigs"]
    assert "tolerance: rtol must be a number >= 0" in t.validate(numeric({"rtol": -1}))
    assert "tolerance: sigfigs cannot be combined with rtol/atol" in t.validate(
        numeric({"sigfigs": 3, "atol": 0.1}))
    assert "tolerance: sigfigs must be an integer from 1 to 15" in t.validate(numeric({"sigfigs": 0}))
    assert t.validate(numeric({"atol": 0})) == [
        "tolerance: rtol and atol are both 0, so only an exact float would match"
    ]
    assert t.validate(numeric({"abs": 0.1})) == ["tolerance has unknown keys: abs"]


# --- numeric items -------------------------------------------------------------------------


def test_numeric_key_comes_from_reference_and_scores_with_tolerance():
    t = get_type("numeric")
    v = t.prepare(numeric({"atol": 0.001}), 0)
    assert v.key == pytest.approx(formulas.l2_norm([2, 3, 4])) == pytest.approx(math.sqrt(29))
    assert v.key_display == "5.38516"
    assert t.score(t.parse("5.385", v), v).correct
    assert t.score(t.parse("５．３８５", v), v).fraction == 1.0
    wrong = t.score(t.parse("29", v), v)
    assert wrong.fraction == 0.0 and not wrong.correct
    assert wrong.message.en == "Your value 29 is outside the tolerance."
    assert wrong.details["abs_error"] == pytest.approx(29 - math.sqrt(29))


def test_numeric_validation_of_compute():
    t = get_type("numeric")
    unknown = spec("numeric", compute={"fn": "os_system", "args": {}}, tolerance={"atol": 1})
    assert t.validate(unknown) == ["compute: unknown reference function 'os_system'"]
    no_compute = spec("numeric", tolerance={"atol": 1})
    assert t.validate(no_compute)[0].startswith("compute is missing")
    vec = spec("numeric", compute={"fn": "batch_normalize", "args": {"x": [1, 2, 3]}}, tolerance={"atol": 1})
    assert t.validate(vec) == ["compute returns a vector: use the vector type"]
    stored_wrong = numeric({"atol": 0.001}, answer=5.4)
    assert any("answer 5.4 is not what compute gives (5.38516)" in p for p in t.validate(stored_wrong))
    stored_right = numeric({"atol": 0.001}, answer=math.sqrt(29))
    assert t.validate(stored_right) == []
    bad_args = spec("numeric", compute={"fn": "l2_norm", "args": {"y": [1]}}, tolerance={"atol": 1})
    assert t.validate(bad_args) == ["compute: l2_norm has no argument 'y' (it takes x)",
                                    "compute: l2_norm needs argument x (it takes x)"]
    bad_value = spec("numeric", compute={"fn": "l2_norm", "args": {"x": "two"}}, tolerance={"atol": 1})
    assert t.validate(bad_value)[0].startswith("compute failed: ValueError")
    undefined = spec("numeric", compute={"fn": "l2_norm", "args": {"x": "$v"}}, tolerance={"atol": 1})
    assert t.validate(undefined) == ["compute: argument refers to undefined param $v"]


# --- vector items --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("[1, 2, 3]", [1.0, 2.0, 3.0]),
    ("1, 2, 3", [1.0, 2.0, 3.0]),
    ("1 2 3", [1.0, 2.0, 3.0]),
    ("［１，　２，　３］", [1.0, 2.0, 3.0]),
    ("[-1.5e-1, 3/4]", [-0.15, 0.75]),
    ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 2; 3 4", [[1.0, 2.0], [3.0, 4.0]]),
    ("1, 2\n3, 4", [[1.0, 2.0], [3.0, 4.0]]),
    ("[1, 2]; [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[1, 2], [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[1 2] [3 4]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[[1, 2], [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
    ([1, "2", 3.5], [1.0, 2.0, 3.5]),
    ([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),
])
def test_parse_vector_accepts(raw, value):
    assert parse_vector(raw) == value


@pytest.mark.parametrize(("raw", "message"), [
    ("", "The answer is empty."),
    ("[]", "The answer is empty."),
    ("[1, nan, 3]", "Enter a finite number, not nan or inf."),
    ("[1, x, 3]", "'x' is not a number. Examples: 0.75, -2.5e-3, 3/4"),
    ("1 2; 3", "The rows have different lengths."),
    ([1, [2, 3]], "The matrix is malformed."),
    ({"a": 1}, "Enter a list of numbers, e.g. [1, 2, 3]."),
    (",".join(["1"] * 401), "Too many entries."),
])
def test_parse_vector_rejects(raw, message):
    with pytest.raises(AnswerError) as exc:
        parse_vector(raw)
    assert exc.value.message.en == message


def _bn_spec(**extra) -> ItemSpec:
    return spec("vector", compute={"fn": "batch_normalize", "args": {"x": [10, 20, 30, 40]}},
                tolerance={"atol": 0.001}, **extra)


def test_vector_checks_shape_and_every_entry():
    t = get_type("vector")
    s = _bn_spec()
    assert t.validate(s) == []
    v = t.prepare(s, 0)
    key = formulas.batch_normalize([10, 20, 30, 40])
    assert v.key == pytest.approx(list(key))
    right = t.score(t.parse("[-1.3416, -0.4472, 0.4472, 1.3416]", v), v)
    assert right.correct and right.fraction == 1.0
    one_wrong = t.score(t.parse("[-1.3416, -0.4472, 0.4472, 1.5]", v), v)
    assert not one_wrong.correct and one_wrong.fraction == 0.0  # no partial credit configured
    assert one_wrong.details == {"right": 3, "total": 4}
    assert "Wrong at position(s): 4" in one_wrong.message.en
    shape = t.score(t.parse("[-1.3416, -0.4472, 0.4472]", v), v)
    assert shape.fraction == 0.0 and shape.message.en == "Wrong shape: expected 4, got 3."
    matrix = t.score(t.parse("[[-1.3416, -0.4472], [0.4472, 1.3416]]", v), v)
    assert matrix.fraction == 0.0 and matrix.details["shape"] == [2, 2]


def test_vector_partial_credit():
    t = get_type("vector")
    v = t.prepare(_bn_spec(partial_credit=True), 0)
    res = t.score(t.parse("-1.3416 -0.4472 0 0", v), v)
    assert res.fraction == pytest.approx(0.5) and not res.correct
    assert "2 of 4 entries are right" in res.message.en


def test_vector_matrix_key():
    t = get_type("vector")
    s = spec("vector", compute={"fn": "weight_decay_step",
                                "args": {"w": [[1, 2], [3, 4]], "grad": [[0, 0], [0, 0]],
                                         "lr": 0.1, "lam": 1, "m": 10}},
             tolerance={"rtol": 1e-6})
    assert t.validate(s) == []
    v = t.prepare(s, 0)
    assert np.allclose(v.key, [[0.99, 1.98], [2.97, 3.96]]) and np.shape(v.key) == (2, 2)
    assert t.score(t.parse("0.99 1.98; 2.97 3.96", v), v).correct
    flat = t.score(t.parse("0.99 1.98 2.97 3.96", v), v)
    assert flat.message.en == "Wrong shape: expected 2×2, got 4."
    scalar = spec("vector", compute={"fn": "l1_norm", "args": {"x": [1, 2]}}, tolerance={"atol": 1})
    assert t.validate(scalar) == ["compute returns a single number: use the numeric type"]


# --- parameterised items -------------------------------------------------------------------


def _param_spec() -> ItemSpec:
    return ItemSpec(
        key="l1-random", type_name="numeric",
        prompt={"ko": "$x = {{x}}$, $\\lambda = {{lam}}$", "en": "x = {{x}}, lambda = {{ lam }}"},
        config={"params": {"x": {"kind": "vector", "shape": 4, "low": -9, "high": 9, "integer": True},
                           "lam": {"kind": "choice", "values": [0.1, 0.5, 2]}},
                "compute": {"fn": "l1_penalty_sum", "args": {"w": "$x", "lam": "$lam"}},
                "tolerance": {"atol": 0.001}},
    )


def test_parameterised_variant_is_stable_per_student_and_keyed_by_reference():
    t = get_type("numeric")
    s = _param_spec()
    assert t.validate(s) == []
    seed = P.variant_seed("item", 17, "user", 3)
    assert seed == P.variant_seed("item", 17, "user", 3)
    assert 0 <= seed < 2**63
    v1, v2 = t.prepare(s, seed), t.prepare(s, seed)
    assert v1.params == v2.params and v1.prompt == v2.prompt and v1.key == v2.key
    x, lam = v1.params["values"]["x"], v1.params["values"]["lam"]
    assert len(x) == 4 and all(-9 <= e <= 9 and float(e).is_integer() for e in x)
    assert lam in (0.1, 0.5, 2)
    assert v1.key == pytest.approx(formulas.l1_penalty_sum(x, lam))
    assert "{{" not in v1.prompt["ko"] and "{{" not in v1.prompt["en"]
    assert P.format_value(x) in v1.prompt["en"]


def test_different_students_generally_get_different_variants():
    t = get_type("numeric")
    s = _param_spec()
    variants = [t.prepare(s, P.variant_seed("item", 17, "user", uid)) for uid in range(1, 21)]
    distinct = {repr(v.params["values"]) for v in variants}
    assert len(distinct) >= 15
    # and the seed depends on the item too
    assert P.variant_seed("item", 17, "user", 3) != P.variant_seed("item", 18, "user", 3)


def test_variant_for_uses_student_and_item():
    item = Item(id=11, key="l1-random", type_name="numeric", prompt=_param_spec().prompt,
                explanation={}, config=_param_spec().config, points=1.0)
    a1, a2 = variant_for(item, 1), variant_for(item, 1)
    assert a1.params == a2.params and a1.key == a2.key
    others = {repr(variant_for(item, uid).params["values"]) for uid in range(2, 12)}
    assert len(others) > 5
    # what variant_for gives is exactly the documented seed (student, item)
    expected = get_type("numeric").prepare(_param_spec(), P.variant_seed("item", 11, "user", 1))
    assert a1.params == expected.params


def test_param_validation_messages():
    t = get_type("numeric")
    bad = ItemSpec("k", "numeric", {"ko": "{{y}}", "en": "{{y}}"}, {
        "params": {"x": {"kind": "int", "low": 5, "high": 1}},
        "compute": {"fn": "l1_norm", "args": {"x": ["$x"]}}, "tolerance": {"atol": 1}})
    assert "param x: needs numbers low <= high" in t.validate(bad)
    undefined = ItemSpec("k", "numeric", {"ko": "{{y}}", "en": "{{y}}"}, {
        "params": {"x": {"kind": "int", "low": 1, "high": 5}},
        "compute": {"fn": "l1_norm", "args": {"x": ["$x"]}}, "tolerance": {"atol": 1}})
    assert t.validate(undefined) == [
        "prompt (ko) uses undefined parameters: y", "prompt (en) uses undefined parameters: y"]
    kind = ItemSpec("k", "numeric", LOC, {"params": {"x": {"kind": "gaussian"}},
                                           "compute": {"fn": "l1_norm"}, "tolerance": {"atol": 1}})
    assert t.validate(kind)[0] == "param x: kind must be one of int, float, choice, vector"


def test_a_second_type_with_a_taken_name_stops_the_start_up():
    from quizsvc.quiz.registry import question_type

    numeric = type(get_type("numeric"))
    with pytest.raises(RuntimeError, match="question type 'numeric' registered twice"):
        question_type(type("AnotherNumeric", (numeric,), {}))
    assert type(get_type("numeric")) is numeric
