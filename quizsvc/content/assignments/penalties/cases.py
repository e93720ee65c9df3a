"""Cases of the penalties assignment: L1 and L2 penalties over a list of layer matrices, and
their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
from gradekit import (
    CaseSpec,
    GradCheckSpec,
    Output,
    ProgramBuilder,
    Text,
    Tolerance,
    gradcheck,
    rng_for,
    value_case,
)

SEED = 101
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64
GRADCHECK_THRESHOLD = 1e-6  # correct code measures <= 1e-9 (the penalties are at most quadratic)


def arrays_arg(b: ProgramBuilder, arrays: list[np.ndarray]) -> dict[str, Any]:
    return b.list([b.array(a) for a in arrays])


def _case(name: str, weights: list[np.ndarray], lam: float, m: int, *, points: float,
          visible: bool, summary: Text, check_gradient: bool = False,
          tolerance: Tolerance = TOLERANCE) -> CaseSpec:
    def build(b: ProgramBuilder) -> list[Output] | tuple[list[Output], GradCheckSpec]:
        l1 = b.call("l1_penalty", arrays_arg(b, weights), b.value(lam), name="l1")
        g1 = b.call("l1_penalty_grad", arrays_arg(b, weights), b.value(lam), name="l1_grad")
        l2 = b.call("l2_penalty", arrays_arg(b, weights), b.value(lam), b.value(m), name="l2")
        g2 = b.call("l2_penalty_grad", arrays_arg(b, weights), b.value(lam), b.value(m),
                    name="l2_grad")
        checks = [Output("l1_penalty", l1, kind="number"),
                  Output("l1_penalty_grad", g1, kind="arrays"),
                  Output("l2_penalty", l2, kind="number"),
                  Output("l2_penalty_grad", g2, kind="arrays")]
        if not check_gradient:
            return checks
        params = {f"W{i + 1}": w for i, w in enumerate(weights)}
        check = gradcheck(
            b, "l2_penalty",
            lambda v: [b.list([b.array(v[k]) for k in params]), b.value(lam), b.value(m)],
            params, analytic={k: (g2, (i,)) for i, k in enumerate(params)}, out_path=(),
            dout=None, select=None, threshold=GRADCHECK_THRESHOLD)
        return checks, check

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def cases() -> list[CaseSpec]:
    def rng(name: str) -> np.random.Generator:
        return rng_for(SEED, name)

    r = rng("two_layers")
    two = [r.normal(size=(3, 4)), r.normal(size=(4, 2))]
    r = rng("zeros")
    zeros = r.normal(size=(3, 3)) * (r.random((3, 3)) < 0.5)
    r = rng("three_layers")
    three = [r.normal(size=(5, 3)), r.normal(size=(2, 5)), r.normal(size=(1, 2))]
    r = rng("large")
    large = [r.uniform(-1e3, 1e3, size=(4, 6)), -np.abs(r.normal(size=(6, 2))) * 500]
    r = rng("tiny")
    tiny = [r.choice([-1.0, 1.0], size=shape) * 10.0 ** r.uniform(-9, -6, size=shape)
            for shape in [(6, 1), (1, 4)]]
    r = rng("float32")
    f32 = [r.normal(size=(3, 5)).astype(np.float32), r.normal(size=(5, 5)).astype(np.float32)]
    return [
        _case("worked_example", [np.array([[3.0, -4.0, 0.5]])], 1.0, 3, points=1, visible=True,
              summary=Text(en="one 1x3 layer [3, -4, 0.5], lam=1, m=3",
                           ko="1x3 층 하나 [3, -4, 0.5], lam=1, m=3")),
        _case("two_layers", two, 0.7, 5, points=2, visible=True, check_gradient=True,
              summary=Text(en="two layers (3x4, 4x2), lam=0.7, m=5",
                           ko="층 2개 (3x4, 4x2), lam=0.7, m=5")),
        _case("exact_zeros", [zeros], 0.3, 4, points=1, visible=True,
              summary=Text(en="a 3x3 layer with exact zeros (subgradient 0 there)",
                           ko="정확히 0인 원소가 있는 3x3 층 (그 위치의 부분기울기는 0)")),
        _case("three_layers", three, 1.3, 7, points=2, visible=False,
              summary=Text(en="three non-square layers", ko="정사각이 아닌 층 3개")),
        _case("large_negative", large, 0.01, 64, points=2, visible=False,
              summary=Text(en="large and negative weights", ko="크고 음수인 가중치")),
        _case("float32", f32, 0.5, 3, points=1, visible=False, tolerance=F32_TOLERANCE,
              summary=Text(en="float32 weights", ko="float32 가중치")),
        _case("single_weight", [np.array([[-2.5]])], 2.0, 1, points=1, visible=False,
              summary=Text(en="a single 1x1 layer, m=1", ko="1x1 층 하나, m=1")),
        # The L1 subgradient is lam * sign(W) however small W is: a "safe" W / (|W| + 1e-8)
        # is off here by up to 90%, and right to 1e-8 on weights of size 1.
        _case("tiny_weights", tiny, 1.5, 2, points=1, visible=False,
              summary=Text(en="a column and a row layer with tiny weights (1e-9 to 1e-6)",
                           ko="아주 작은 가중치(1e-9 ~ 1e-6)로 된 열 하나, 행 하나짜리 층")),
    ]
