"""Batch normalization: forward (train/test, running statistics) and backward."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Text, Tolerance, layer_case, rng_for, running_sequence_case

SEED = 505
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64
# Correct solutions measure ~1e-10..1e-8 against finite differences of their own forward.
GRADCHECK_THRESHOLD = 1e-6


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False,
        tolerance: Tolerance = TOLERANCE) -> CaseSpec:
    r = rng_for(SEED, name + "/affine")
    d: int = x.shape[1]
    gamma = r.uniform(0.5, 2.0, size=d).astype(x.dtype)
    beta = r.normal(size=d).astype(x.dtype)
    dout = r.normal(size=x.shape).astype(x.dtype) if backward else None
    return layer_case("batchnorm", name, x, gamma, beta, params, dout, points=points,
                      visible=visible, summary=summary, tolerance=tolerance, running=True,
                      gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def cases() -> list[CaseSpec]:
    def rng(name: str) -> np.random.Generator:
        return rng_for(SEED, name)

    r = rng("constant")
    constant = r.normal(size=(6, 4))
    constant[:, 0] = 3.0  # variance exactly 0
    constant[:, 1] = 7.0 + 1e-3 * r.normal(size=6)  # variance ~1e-6, below eps: eps matters
    r = rng("large")
    large = np.column_stack([1e7 + r.normal(size=8), -5e6 + 2 * r.normal(size=8),
                             r.normal(scale=1e4, size=8)])
    r = rng("test_mode")
    test_params = {"mode": "test", "running_mean": r.normal(size=5),
                   "running_var": r.uniform(1e-5, 1e-3, size=5)}
    r = rng("non_square")
    non_square_params = {"mode": "train", "momentum": 0.5, "eps": 1e-2,
                         "running_mean": r.normal(size=7), "running_var": r.uniform(1, 2, 7)}
    return [
        _fb("worked_example", np.array([[10.0], [20.0], [30.0], [40.0]]), {"mode": "train"},
            points=1, visible=True, backward=False,
            summary=Text(en="x = [10, 20, 30, 40] as one feature, train mode, default eps/momentum",
                         ko="특성 하나인 x = [10, 20, 30, 40], 학습 모드, 기본 eps/momentum")),
        _fb("train_forward_backward", rng("fb").normal(5, 3, size=(4, 3)), {"mode": "train"},
            points=3, visible=True, gradcheck=True,
            summary=Text(en="train mode 4x3, forward, running stats and backward",
                         ko="학습 모드 4x3: 순전파, 이동 통계, 역전파")),
        running_sequence_case("batchnorm", "running_stats_then_test", SEED, (8, 4), (5, 4),
                              points=3, visible=True, tolerance=TOLERANCE,
                              summary=Text(en="3 train steps sharing bn_param (momentum 0.8, eps 1e-3), "
                                           "then test mode",
                                           ko="bn_param을 공유하는 학습 3단계 (momentum 0.8, eps 1e-3) 후 "
                                           "테스트 모드")),
        _fb("constant_columns", constant, {"mode": "train"}, points=2, visible=False,
            summary=Text(en="constant and nearly constant columns", ko="상수인 열과 거의 상수인 열")),
        _fb("large_offsets", large, {"mode": "train"}, points=2, visible=False,
            summary=Text(en="large and negative values", ko="크고 음수인 값")),
        _fb("float32", rng("f32").normal(1, 2, size=(10, 5)).astype(np.float32),
            {"mode": "train"}, points=1, visible=False, tolerance=F32_TOLERANCE,
            summary=Text(en="float32 inputs", ko="float32 입력")),
        _fb("non_square", rng("ns").normal(-2, 0.5, size=(16, 7)), non_square_params, points=2,
            visible=False, summary=Text(en="16x7, given running stats, momentum 0.5, eps 1e-2",
                                        ko="16x7, 주어진 이동 통계, momentum 0.5, eps 1e-2")),
        _fb("test_mode_small_variance", rng("tm").normal(size=(6, 5)), test_params, points=2,
            visible=False, backward=False, summary=Text(en="test mode with small running variances",
                                                        ko="이동 분산이 작은 테스트 모드")),
        _fb("batch_of_one", rng("one").normal(size=(1, 4)), {"mode": "train"}, points=1,
            visible=False, summary=Text(en="a batch of one example", ko="예제 하나로 된 배치")),
    ]
