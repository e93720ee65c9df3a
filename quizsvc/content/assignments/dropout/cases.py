"""Cases of the dropout assignment: inverted dropout, graded by properties rather than one
random stream (the judges are the service's, quizsvc/grading/properties.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gradekit import (
    CaseSpec,
    GradCheckSpec,
    ProgramBuilder,
    Text,
    gradcheck,
    property_case,
    rng_for,
)

SEED = 404
RTOL = 1e-12  # kept entries are x / keep_prob up to rounding
F32_EXACT = 1e-6
GRADCHECK_THRESHOLD = 1e-6  # correct code: ~1e-10 (dropout is linear in x for a fixed mask)
FEATURE_TOL = {"kept_fraction": 0.03, "scale": 0.01, "test_scale": 0.01,
               "backward_scale": 0.01, "backward_dropped_zero": 0.05}


def _nonzero_inputs(name: str, shape: tuple[int, int], low: float = 0.5, high: float = 2.0,
                    negative: bool = False) -> np.ndarray:
    # No zeros: a zero in out then always means "dropped".
    r = rng_for(SEED, name)
    magnitude = r.uniform(low, high, size=shape)
    return -magnitude if negative else magnitude * r.choice([-1.0, 1.0], size=shape)


def _train_case(name: str, x: np.ndarray, keep_prob: float, *, points: float, visible: bool,
                summary: Text, backward: bool = True, check_gradient: bool = False) -> CaseSpec:
    def build(b: ProgramBuilder) -> tuple[dict[str, Any], GradCheckSpec | None]:
        seed = int(rng_for(SEED, name + "/seed").integers(2**31))
        x_spec = b.array(x)
        fwd = b.call("dropout_forward", x_spec, b.value(keep_prob), b.value(True), b.rng(seed),
                     select=[0], name="forward")
        dout = rng_for(SEED, name + "/dout").normal(size=x.shape).astype(x.dtype)
        dout_spec = b.array(dout) if backward else None
        bwd = b.call("dropout_backward", dout_spec, b.result(fwd, 1), name="backward") \
            if dout_spec is not None else None
        check = None
        if check_gradient and bwd:
            check = gradcheck(
                b, "dropout_forward",
                lambda v: [b.array(v["x"]), b.value(keep_prob), b.value(True), b.rng(seed)],
                {"x": x}, analytic={"x": (bwd, ())}, out_path=(0,), dout=dout, select=[0],
                threshold=GRADCHECK_THRESHOLD)
        rtol = F32_EXACT if x.dtype == np.float32 else RTOL
        return {"forward": fwd, "x": x_spec, "keep_prob": keep_prob, "rtol": rtol,
                "backward": bwd, "dout": dout_spec}, check

    return property_case(name, points=points, visible=visible, summary=summary, build=build,
                         judge="inverted_dropout", feature_tol=FEATURE_TOL)


def _test_mode_case(name: str, *, points: float, visible: bool, summary: Text) -> CaseSpec:
    def build(b: ProgramBuilder) -> tuple[dict[str, Any], GradCheckSpec | None]:
        x = _nonzero_inputs(name, (20, 10))
        dout = rng_for(SEED, name + "/dout").normal(size=x.shape)
        x_spec = b.array(x)
        fwd = b.call("dropout_forward", x_spec, b.value(0.6), b.value(False), b.rng(7),
                     select=[0], name="forward")
        dout_spec = b.array(dout)
        bwd = b.call("dropout_backward", dout_spec, b.result(fwd, 1), name="backward")
        return {"forward": fwd, "x": x_spec, "backward": bwd, "dout": dout_spec,
                "rtol": RTOL}, None

    return property_case(name, points=points, visible=visible, summary=summary, build=build,
                         judge="identity", feature_tol=FEATURE_TOL)


def _pair_case(name: str, *, same_generator: bool, points: float, visible: bool,
               summary: Text) -> CaseSpec:
    """Two training calls on the same x: with ONE generator the masks must differ (fresh mask
    per call); with two generators seeded alike they must agree (the mask comes from rng)."""
    def build(b: ProgramBuilder) -> tuple[dict[str, Any], GradCheckSpec | None]:
        x = _nonzero_inputs(name, (50, 20))
        args = [b.rng(11, bind="g"), b.object("g")] if same_generator else [b.rng(11), b.rng(11)]
        x_specs, calls = [], []
        for i, arg in enumerate(args):
            x_specs.append(b.array(x))
            calls.append(b.call("dropout_forward", x_specs[-1], b.value(0.5), b.value(True), arg,
                                select=[0], name=f"forward{i}"))
        return {"calls": calls, "x": x_specs[0], "same_generator": same_generator}, None

    return property_case(name, points=points, visible=visible, summary=summary, build=build,
                         judge="independent_draws", feature_tol=FEATURE_TOL)


def cases() -> list[CaseSpec]:
    return [
        _train_case("train_statistics", _nonzero_inputs("train", (300, 40)), 0.8, points=2,
                    visible=True, backward=False,
                    summary=Text(en="train mode, keep_prob=0.8, 300x40: kept fraction, scaling, "
                                 "masks",
                                 ko="학습 모드, keep_prob=0.8, 300x40: 남기는 비율, 스케일링, 마스크")),
        _train_case("backward_reuses_mask", _nonzero_inputs("bwd", (6, 5)), 0.7, points=2,
                    visible=True, check_gradient=True,
                    summary=Text(en="train mode, keep_prob=0.7, backward uses the forward mask",
                                 ko="학습 모드, keep_prob=0.7, 역전파가 순전파의 마스크를 사용")),
        _test_mode_case("test_mode_identity", points=1, visible=True,
                        summary=Text(en="test mode: forward and backward are the identity",
                                     ko="테스트 모드: 순전파와 역전파가 항등 함수")),
        _pair_case("fresh_masks", same_generator=True, points=1, visible=True,
                   summary=Text(en="two calls with the same Generator draw different masks",
                                ko="같은 Generator로 두 번 호출하면 마스크가 서로 다름")),
        _pair_case("mask_from_rng", same_generator=False, points=1, visible=True,
                   summary=Text(en="two Generators seeded alike give the same mask",
                                ko="같은 시드의 Generator 두 개는 같은 마스크를 만듦")),
        _train_case("float32_half", _nonzero_inputs("f32", (200, 50)).astype(np.float32), 0.5,
                    points=2, visible=False, summary=Text(en="float32, keep_prob=0.5",
                                                          ko="float32 입력, keep_prob=0.5")),
        _train_case("large_negative_low_keep",
                    _nonzero_inputs("neg", (400, 30), 1.0, 1000.0, negative=True), 0.3,
                    points=2, visible=False, summary=Text(en="large negative values, keep_prob=0.3",
                                                          ko="큰 음수 값, keep_prob=0.3")),
        _train_case("keep_all", _nonzero_inputs("all", (30, 20)), 1.0, points=1, visible=False,
                    summary=Text(en="keep_prob=1: nothing dropped",
                                 ko="keep_prob=1: 아무것도 버리지 않음")),
        _train_case("one_wide_example", _nonzero_inputs("wide", (1, 3000)), 0.6, points=1,
                    visible=False, backward=False, summary=Text(en="a batch of one wide example",
                                                                ko="특성이 많은 예제 하나로 된 배치")),
    ]
