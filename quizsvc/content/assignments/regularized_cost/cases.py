"""Cases of the regularized_cost assignment: cross-entropy cost plus the L2 term over the
weights (not the biases)."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Output, ProgramBuilder, Text, Tolerance, rng_for, value_case

SEED = 202
TOLERANCE = Tolerance(rtol=1e-6, atol=1e-9)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64


def _data(name: str, sizes: list[int], m: int, dtype: type = np.float64
          ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r = rng_for(SEED, name)
    a_l = r.uniform(0.05, 0.95, size=(1, m))
    y = (r.random((1, m)) < 0.5).astype(np.float64)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = r.normal(size=(sizes[layer], sizes[layer - 1]))
        params[f"b{layer}"] = r.normal(size=(sizes[layer], 1))  # non-zero: penalising them shows
    return a_l.astype(dtype), y.astype(dtype), {k: v.astype(dtype) for k, v in params.items()}


def _case(name: str, sizes: list[int], m: int, lambd: float, *, points: float, visible: bool,
          summary: Text, dtype: type = np.float64,
          probabilities: tuple[list[float], list[float]] | None = None) -> CaseSpec:
    """``probabilities``: (A_L, Y) given instead of drawn (m is then their length)."""
    a_l, y, params = _data(name, sizes, m, dtype)
    if probabilities is not None:
        a_l, y = (np.array([values], dtype=dtype) for values in probabilities)

    def build(b: ProgramBuilder) -> list[Output]:
        call = b.call("compute_cost_with_regularization", b.array(a_l), b.array(y),
                      b.dict({k: b.array(v) for k, v in params.items()}), b.value(lambd),
                      name="cost")
        return [Output("cost", call, kind="number")]

    tolerance = F32_TOLERANCE if dtype is np.float32 else TOLERANCE
    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def cases() -> list[CaseSpec]:
    return [
        _case("two_layers", [3, 4, 1], 5, 0.7, points=2, visible=True,
              summary=Text(en="2 layers (3-4-1), m=5, lambd=0.7",
                           ko="2층 신경망 (3-4-1), m=5, lambd=0.7")),
        _case("three_layers", [4, 5, 3, 1], 8, 0.1, points=2, visible=True,
              summary=Text(en="3 layers (4-5-3-1), m=8, lambd=0.1",
                           ko="3층 신경망 (4-5-3-1), m=8, lambd=0.1")),
        _case("four_layers", [6, 5, 4, 3, 1], 12, 1.5, points=2, visible=False,
              summary=Text(en="4 layers", ko="4층 신경망")),
        _case("one_example", [2, 3, 1], 1, 0.4, points=1, visible=False,
              summary=Text(en="m = 1", ko="예제 하나 (m = 1)")),
        _case("strong_lambda", [5, 2, 1], 30, 25.0, points=1, visible=False,
              summary=Text(en="large lambd", ko="큰 lambd")),
        _case("float32", [3, 3, 1], 6, 0.5, points=1, visible=False, dtype=np.float32,
              summary=Text(en="float32 inputs", ko="float32 입력")),
        # The legal edges 0 < A < 1: a log(A + 1e-8) or a clip to [1e-8, 1 - 1e-8] is off
        # here (by log(1.1) at A = 1e-7), while draws from (0.05, 0.95) never show it.
        _case("extreme_probabilities", [3, 2, 1], 6, 0.3, points=1, visible=True,
              probabilities=([1e-10, 1e-7, 1 - 1e-7, 1 - 1e-10, 1e-12, 0.5],
                             [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]),
              summary=Text(en="probabilities near 0 and 1 (A_L from 1e-12 to 1 - 1e-10), "
                           "confidently right and wrong",
                           ko="0과 1에 가까운 확률 (A_L이 1e-12부터 1 - 1e-10까지), 확신하며 맞히고 "
                           "틀린 예측")),
    ]
