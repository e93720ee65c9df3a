"""Layer normalization: forward and backward (statistics per example)."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Text, Tolerance, layer_case, rng_for

SEED = 606
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64
GRADCHECK_THRESHOLD = 1e-6  # correct code: ~1e-10..1e-8


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False, tolerance: Tolerance = TOLERANCE,
        unit_affine: bool = False) -> CaseSpec:
    r = rng_for(SEED, name + "/affine")
    d: int = x.shape[1]
    gamma = np.ones(d) if unit_affine else r.uniform(0.5, 2.0, size=d)
    beta = np.zeros(d) if unit_affine else r.normal(size=d)
    dout = r.normal(size=x.shape) if backward else None
    return layer_case(
        "layernorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params,
        None if dout is None else dout.astype(x.dtype), points=points, visible=visible,
        summary=summary, tolerance=tolerance, running=False,
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def cases() -> list[CaseSpec]:
    def rng(name: str) -> np.random.Generator:
        return rng_for(SEED, name)

    r = rng("constant_row")
    constant_row = r.normal(size=(3, 5))
    constant_row[1] = -4.0
    return [
        _fb("worked_example", np.array([[5.0, 7.0, 9.0]]), {}, points=1, visible=True,
            backward=False, unit_affine=True,
            summary=Text(en="x = [5, 7, 9], gamma = 1, beta = 0, default eps",
                         ko="x = [5, 7, 9], gamma = 1, beta = 0, 기본 eps")),
        _fb("forward_backward", rng("fb").normal(1, 2, size=(4, 5)), {}, points=3,
            visible=True, gradcheck=True, summary=Text(en="4x5, forward and backward",
                                                       ko="4x5, 순전파와 역전파")),
        _fb("explicit_eps", rng("eps").normal(size=(3, 6)), {"eps": 1e-3}, points=1,
            visible=True, summary=Text(en="3x6 with ln_param = {'eps': 1e-3}",
                                       ko="3x6 입력, ln_param = {'eps': 1e-3}")),
        _fb("batch_of_one", rng("one").normal(3, 1, size=(1, 8)), {}, points=2, visible=False,
            summary=Text(en="a batch of one example", ko="예제 하나로 된 배치")),
        _fb("large_negative", rng("large").normal(-1e6, 3.0, size=(5, 4)), {}, points=2,
            visible=False, summary=Text(en="large negative values", ko="큰 음수 값")),
        _fb("constant_row", constant_row, {}, points=1, visible=False,
            summary=Text(en="an example whose features are all equal", ko="모든 특성 값이 같은 예제")),
        _fb("float32", rng("f32").normal(size=(6, 7)).astype(np.float32), {}, points=1,
            visible=False, tolerance=F32_TOLERANCE, summary=Text(en="float32 inputs", ko="float32 입력")),
        _fb("tall", rng("tall").normal(size=(9, 2)), {"eps": 1e-2}, points=1, visible=False,
            summary=Text(en="9x2, eps 1e-2", ko="9x2 입력, eps 1e-2")),
    ]
