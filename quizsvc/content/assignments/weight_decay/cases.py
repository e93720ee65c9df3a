"""Cases of the weight_decay assignment: the update (1 - lr*lambd/m) W - lr dW."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Output, ProgramBuilder, Text, Tolerance, rng_for, value_case

SEED = 303
TOLERANCE = Tolerance(rtol=1e-6, atol=1e-9)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64


def _case(name: str, shape: tuple[int, int], lr: float, lambd: float, m: int, *, points: float,
          visible: bool, summary: Text, scale: float = 1.0, dtype: type = np.float64) -> CaseSpec:
    r = rng_for(SEED, name)
    w: np.ndarray = (r.normal(size=shape) * scale).astype(dtype)
    dw: np.ndarray = (r.normal(size=shape) * scale).astype(dtype)

    def build(b: ProgramBuilder) -> list[Output]:
        call = b.call("weight_decay_update", b.array(w), b.array(dw), b.value(lr),
                      b.value(lambd), b.value(m), name="update")
        return [Output("W_new", call)]

    tolerance = F32_TOLERANCE if dtype is np.float32 else TOLERANCE
    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def cases() -> list[CaseSpec]:
    return [
        _case("small", (3, 3), 0.1, 0.7, 5, points=1, visible=True,
              summary=Text(en="3x3, lr=0.1, lambd=0.7, m=5", ko="3x3 행렬, lr=0.1, lambd=0.7, m=5")),
        _case("non_square", (2, 6), 0.5, 2.0, 8, points=1, visible=True,
              summary=Text(en="2x6, lr=0.5, lambd=2, m=8", ko="2x6 행렬, lr=0.5, lambd=2, m=8")),
        _case("large_values", (5, 4), 0.01, 3.0, 10, points=2, visible=False, scale=1e4,
              summary=Text(en="large and negative values", ko="크고 음수인 값")),
        _case("one_example", (4, 1), 0.3, 0.9, 1, points=1, visible=False,
              summary=Text(en="m = 1", ko="예제 하나 (m = 1)")),
        _case("strong_decay", (3, 7), 0.9, 40.0, 64, points=1, visible=False,
              summary=Text(en="large lr*lambd", ko="큰 lr*lambd")),
        _case("float32", (6, 3), 0.2, 1.1, 9, points=1, visible=False, dtype=np.float32,
              summary=Text(en="float32 inputs", ko="float32 입력")),
    ]
