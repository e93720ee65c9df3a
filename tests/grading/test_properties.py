"""The service's property judges (quizsvc/grading/properties.py) on small dropout programs."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from quizsvc.authoring import gradekit as gk
from quizsvc.grading.cases import Verdict
from quizsvc.grading.properties import JUDGES, judge_for
from quizsvc.grading.runner.inprocess import namespace_from_source, run_trusted
from quizsvc.sandbox.program import Program

CORRECT = """
import numpy as np

def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x.copy(), None
    mask = rng.random(x.shape) < keep_prob
    out = x * mask / keep_prob
    return out, (mask, keep_prob)

def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    mask, keep_prob = cache
    return dout * mask / keep_prob
"""
_MASK = "mask = rng.random(x.shape) < keep_prob"


def variant(*patches: tuple[str, str]) -> str:
    source = CORRECT
    for old, new in patches:
        assert source.count(old) == 1
        source = source.replace(old, new)
    return source


def inputs(shape: tuple[int, int], seed: int = 3) -> np.ndarray:
    r = np.random.default_rng(seed)  # no zeros: a zero in out means "dropped"
    return r.uniform(0.5, 2.0, size=shape) * r.choice([-1.0, 1.0], size=shape)


def judged(spec: gk.CaseSpec, source: str) -> Verdict:
    """The case's judge on ``source``'s outputs; params and arrays as they cross the wire."""
    outcome = run_trusted(namespace_from_source(source, "<test>"),
                          Program(calls=spec.calls, arrays=dict(spec.arrays)))
    assert spec.judge is not None
    params = json.loads(json.dumps(spec.params))
    return judge_for(spec.judge, params, {**spec.arrays, **spec.kept})(outcome)


def train_case(keep_prob: float = 0.7, shape: tuple[int, int] = (200, 50)) -> gk.CaseSpec:
    x = inputs(shape)
    dout = inputs(shape, seed=4)

    def build(b: gk.ProgramBuilder) -> tuple[dict[str, Any], None]:
        x_spec = b.array(x)
        fwd = b.call("dropout_forward", x_spec, b.value(keep_prob), b.value(True), b.rng(5),
                     select=[0], name="forward")
        dout_spec = b.array(dout)
        bwd = b.call("dropout_backward", dout_spec, b.result(fwd, 1), name="backward")
        return {"forward": fwd, "x": x_spec, "keep_prob": keep_prob, "rtol": 1e-12,
                "backward": bwd, "dout": dout_spec}, None

    return gk.property_case("train", points=1, visible=True, summary=gk.Text(en="t", ko="t"),
                            build=build, judge="inverted_dropout")


def test_inverted_dropout_passes_correct_code() -> None:
    verdict = judged(train_case(), CORRECT)
    assert verdict.passed, verdict.text.en
    assert verdict.signature == ()
    assert abs(verdict.features["kept_fraction"] - 0.7) < 0.03
    assert verdict.features["scale"] == pytest.approx(1.0)


def test_inverted_dropout_wrong_scale() -> None:
    verdict = judged(train_case(), variant(("out = x * mask / keep_prob", "out = x * mask")))
    assert not verdict.passed
    assert verdict.signature == ("kept_values",)
    assert verdict.problem == "property"
    assert verdict.features["scale"] == pytest.approx(0.7)
    assert "x / keep_prob" in verdict.text.en and "x / keep_prob" in verdict.text.ko


def test_inverted_dropout_shared_mask() -> None:
    verdict = judged(train_case(), variant((_MASK, "mask = rng.random((1, x.shape[1])) < keep_prob")))
    assert not verdict.passed
    assert verdict.signature == ("shared_mask",)


def test_inverted_dropout_wrong_keep_fraction() -> None:
    verdict = judged(train_case(), variant((_MASK, "mask = rng.random(x.shape) < 1 - keep_prob")))
    assert not verdict.passed
    assert verdict.signature == ("kept_fraction",)
    assert abs(verdict.features["kept_fraction"] - 0.3) < 0.03


def test_inverted_dropout_wrong_backward() -> None:
    verdict = judged(train_case(), variant(("return dout * mask / keep_prob",
                                            "return dout / keep_prob")))
    assert not verdict.passed
    assert verdict.signature == ("backward_mask",)
    assert verdict.features["backward_dropped_zero"] == 0.0
    assert verdict.features["backward_scale"] == pytest.approx(1.0)


def test_inverted_dropout_without_backward_ignores_dx() -> None:
    spec = train_case()
    spec.params["backward"] = None
    verdict = judged(spec, variant(("return dout * mask / keep_prob", "return dout")))
    assert verdict.passed, verdict.text.en


def test_unreadable_output_fails_with_its_problem() -> None:
    raising = variant(("    if not train:\n", "    raise ValueError('no')\n    if not train:\n"))
    verdict = judged(train_case(), raising)
    assert not verdict.passed
    assert verdict.signature == ("error:exception",)
    verdict = judged(train_case(), variant(("return out, (mask, keep_prob)",
                                            "return out[:1], (mask, keep_prob)")))
    assert verdict.signature == ("error:shape",)


def identity_case(keep_prob: float = 0.6) -> gk.CaseSpec:
    x, dout = inputs((20, 10)), inputs((20, 10), seed=4)

    def build(b: gk.ProgramBuilder) -> tuple[dict[str, Any], None]:
        x_spec = b.array(x)
        fwd = b.call("dropout_forward", x_spec, b.value(keep_prob), b.value(False), b.rng(7),
                     select=[0], name="forward")
        dout_spec = b.array(dout)
        bwd = b.call("dropout_backward", dout_spec, b.result(fwd, 1), name="backward")
        return {"forward": fwd, "x": x_spec, "backward": bwd, "dout": dout_spec,
                "rtol": 1e-12}, None

    return gk.property_case("test", points=1, visible=True, summary=gk.Text(en="t", ko="t"),
                            build=build, judge="identity")


def test_identity() -> None:
    assert judged(identity_case(), CORRECT).passed
    scaled = judged(identity_case(), variant(("return x.copy(), None", "return x * keep_prob, None")))
    assert scaled.signature == ("test_not_identity",)
    assert scaled.features["test_scale"] == pytest.approx(0.6)
    doubled = judged(identity_case(), variant(("return dout.copy()", "return 2 * dout")))
    assert doubled.signature == ("test_backward",)


def pair_case(same_generator: bool) -> gk.CaseSpec:
    x = inputs((50, 20))

    def build(b: gk.ProgramBuilder) -> tuple[dict[str, Any], None]:
        args = [b.rng(11, bind="g"), b.object("g")] if same_generator else [b.rng(11), b.rng(11)]
        specs = [b.array(x) for _ in args]
        calls = [b.call("dropout_forward", s, b.value(0.5), b.value(True), a, select=[0],
                        name=f"forward{i}") for i, (s, a) in enumerate(zip(specs, args, strict=True))]
        return {"calls": calls, "x": specs[0], "same_generator": same_generator}, None

    return gk.property_case("pair", points=1, visible=True, summary=gk.Text(en="p", ko="p"),
                            build=build, judge="independent_draws")


def test_independent_draws() -> None:
    assert judged(pair_case(True), CORRECT).passed
    assert judged(pair_case(False), CORRECT).passed
    reseeded = variant((_MASK, "mask = np.random.default_rng(0).random(x.shape) < keep_prob"))
    assert judged(pair_case(True), reseeded).signature == ("same_mask_each_call",)
    assert judged(pair_case(False), reseeded).passed  # alike generators: alike masks anyway
    global_rng = variant((_MASK, "mask = np.random.rand(*x.shape) < keep_prob"))
    assert judged(pair_case(False), global_rng).signature == ("ignores_rng",)


def test_unknown_judge() -> None:
    assert set(JUDGES) >= {"inverted_dropout", "identity", "independent_draws"}
    with pytest.raises(ValueError, match="unknown property judge"):
        judge_for("no_such_judge", {}, {})
