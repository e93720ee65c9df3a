"""Spatial batch normalization of (N, C, H, W) tensors: statistics per channel over the batch
and the pixels, with running statistics (train/test) and backward."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Text, Tolerance, layer_case, rng_for, running_sequence_case

SEED = 808
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64
# Measured (directional check as in gradcheck.py, h = 1e-5, float64): the reference and the three
# correct variants 2e-11..4e-11 on the checked 2x3x4x5 case; over 100 random shapes up to 4x8x6x6,
# median 7e-11, worst 1.5e-8 (CS231n's element-wise check on its 2x3x4x5 example: up to 5e-8).
# A dx that treats the batch statistics as constants: 0.29; sample variance: 3e-3.
GRADCHECK_THRESHOLD = 1e-5


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False, tolerance: Tolerance = TOLERANCE,
        unit_affine: bool = False) -> CaseSpec:
    r = rng_for(SEED, name + "/affine")
    c: int = x.shape[1]
    gamma = np.ones(c) if unit_affine else r.uniform(0.5, 2.0, size=c)
    beta = np.zeros(c) if unit_affine else r.normal(size=c)
    dout = r.normal(size=x.shape).astype(x.dtype) if backward else None
    return layer_case(
        "spatial_batchnorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params, dout,
        points=points, visible=visible, summary=summary, tolerance=tolerance, running=True,
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def cases() -> list[CaseSpec]:
    def rng(name: str) -> np.random.Generator:
        return rng_for(SEED, name)

    # Channel 0 pools 10, 20, 30, 40 (the batch-norm worked example, spread over two examples
    # and two pixels); channel 1 pools -1, 1, -1, 1 while each pixel alone is constant.
    worked = np.array([[[[10.0, 20.0]], [[-1.0, 1.0]]],
                       [[[30.0, 40.0]], [[-1.0, 1.0]]]])
    r = rng("constant")
    constant = r.normal(size=(2, 3, 2, 3))
    constant[:, 0] = 3.0  # variance exactly 0
    constant[:, 1] = 7.0 + 1e-3 * r.normal(size=(2, 2, 3))  # variance ~1e-6, below eps
    r = rng("test_mode")
    test_params = {"mode": "test", "running_mean": r.normal(size=3),
                   "running_var": r.uniform(1e-5, 1e-3, size=3)}
    r = rng("given_stats")
    given_params = {"mode": "train", "momentum": 0.5, "eps": 1e-2,
                    "running_mean": r.normal(size=4), "running_var": r.uniform(1, 2, 4)}
    r = rng("large")
    large = r.normal(size=(2, 3, 2, 2)) * np.array([1.0, 2.0, 1e4]).reshape(1, 3, 1, 1)
    large += np.array([1e7, -5e6, 0.0]).reshape(1, 3, 1, 1)
    return [
        _fb("worked_example", worked, {"mode": "train"}, points=1, visible=True,
            backward=False, unit_affine=True,
            summary=Text(en="x of shape (2, 2, 1, 2): channel 0 holds 10, 20 | 30, 40, channel 1 "
                         "holds -1, 1 | -1, 1; gamma = 1, beta = 0, train mode, default "
                         "eps/momentum",
                         ko="모양 (2, 2, 1, 2)인 x: 채널 0은 10, 20 | 30, 40, 채널 1은 -1, 1 | -1, 1; "
                         "gamma = 1, beta = 0, 학습 모드, 기본 eps/momentum")),
        _fb("train_forward_backward", rng("fb").normal(5, 3, size=(2, 3, 4, 5)),
            {"mode": "train"}, points=3, visible=True, gradcheck=True,
            summary=Text(en="train mode 2x3x4x5, forward, running stats and backward",
                         ko="학습 모드 2x3x4x5: 순전파, 이동 통계, 역전파")),
        running_sequence_case("spatial_batchnorm", "running_stats_then_test", SEED, (2, 3, 2, 3),
                              (2, 3, 2, 2), points=3, visible=True, tolerance=TOLERANCE,
                              summary=Text(en="3 train steps (2x3x2x3) sharing bn_param (momentum 0.8, "
                                           "eps 1e-3), then test mode on 2x3x2x2",
                                           ko="bn_param을 공유하는 학습 3단계 (2x3x2x3, momentum 0.8, eps "
                                           "1e-3) 후 2x3x2x2로 테스트 모드")),
        _fb("constant_channels", constant, {"mode": "train"}, points=2, visible=False,
            summary=Text(en="a constant and a nearly constant channel",
                         ko="상수인 채널과 거의 상수인 채널")),
        _fb("given_running_stats", rng("given").normal(-2, 0.5, size=(3, 4, 2, 2)),
            given_params, points=2, visible=False,
            summary=Text(en="3x4x2x2, given running stats, momentum 0.5, eps 1e-2",
                         ko="3x4x2x2, 주어진 이동 통계, momentum 0.5, eps 1e-2")),
        _fb("test_mode_small_variance", rng("tm").normal(size=(2, 3, 2, 3)), test_params,
            points=2, visible=False, backward=False,
            summary=Text(en="test mode with small running variances", ko="이동 분산이 작은 테스트 모드")),
        _fb("one_by_one_pixels", rng("1x1").normal(1, 2, size=(6, 4, 1, 1)), {"mode": "train"},
            points=1, visible=False, summary=Text(en="H = W = 1: plain batch norm over the batch",
                                                  ko="H = W = 1: 배치에 대한 일반 배치 정규화")),
        _fb("batch_of_one", rng("one").normal(size=(1, 3, 2, 4)), {"mode": "train"}, points=1,
            visible=False, summary=Text(en="a batch of one example (statistics over its pixels)",
                                        ko="예제 하나로 된 배치 (통계는 그 예제의 픽셀들로)")),
        _fb("large_offsets", large, {"mode": "train"}, points=1, visible=False,
            summary=Text(en="large and negative values", ko="크고 음수인 값")),
        _fb("float32", rng("f32").normal(1, 2, size=(2, 3, 3, 4)).astype(np.float32),
            {"mode": "train"}, points=1, visible=False, tolerance=F32_TOLERANCE,
            summary=Text(en="float32 inputs", ko="float32 입력")),
    ]
