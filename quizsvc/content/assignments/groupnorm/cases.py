"""Group normalization of (N, C, H, W) tensors: statistics per example and group of C // G
consecutive channels, forward and backward."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Text, Tolerance, layer_case, rng_for

SEED = 909
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64
# Measured (directional check as in gradcheck.py, h = 1e-5, float64): the reference and the three
# correct variants 4e-12..2e-11 on the checked 2x4x3x5 case; over 100 random shapes up to 4x8x6x6,
# median 7e-11, worst 6e-9 (CS231n's element-wise check on its 2x6x4x5, G = 2 example: up to
# 1.3e-6), except groups of only two values, where x_hat = +-1 whatever x, the gradient is ~0 and
# the relative error is rounding (up to 2.5e-4; no case checks one). A dx that treats the group
# statistics as constants: 1.6e-2.
GRADCHECK_THRESHOLD = 1e-5


def _fb(name: str, x: np.ndarray, G: int, params: dict, *, points: float, visible: bool,
        summary: Text, backward: bool = True, gradcheck: bool = False,
        tolerance: Tolerance = TOLERANCE, unit_affine: bool = False) -> CaseSpec:
    r = rng_for(SEED, name + "/affine")
    shape = (1, x.shape[1], 1, 1)  # the contract: gamma and beta of shape (1, C, 1, 1)
    gamma = np.ones(shape) if unit_affine else r.uniform(0.5, 2.0, size=shape)
    beta = np.zeros(shape) if unit_affine else r.normal(size=shape)
    dout = r.normal(size=x.shape) if backward else None
    return layer_case(
        "groupnorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params,
        None if dout is None else dout.astype(x.dtype), points=points, visible=visible,
        summary=summary, tolerance=tolerance, running=False, extra=(G,),
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def cases() -> list[CaseSpec]:
    def rng(name: str) -> np.random.Generator:
        return rng_for(SEED, name)

    # G = 2 groups of two channels: group 0 pools 10, 20, 30, 40 (the batch-norm worked
    # example), group 1 pools 5, 7, 9, 7 (mean 7, variance 2).
    worked = np.array([[[[10.0, 20.0]], [[30.0, 40.0]], [[5.0, 7.0]], [[9.0, 7.0]]]])
    r = rng("constant")
    constant = r.normal(size=(2, 4, 2, 2))
    constant[0, :2] = -3.0  # example 0, group 0: variance exactly 0
    constant[1, 2:] = 7.0 + 1e-3 * r.normal(size=(2, 2, 2))  # variance ~1e-6, below eps
    return [
        _fb("worked_example", worked, 2, {}, points=1, visible=True, backward=False,
            unit_affine=True,
            summary=Text(en="x of shape (1, 4, 1, 2): channels 10, 20 | 30, 40 | 5, 7 | 9, 7, G = 2, "
                         "gamma = 1, beta = 0, default eps",
                         ko="모양 (1, 4, 1, 2)인 x: 채널 10, 20 | 30, 40 | 5, 7 | 9, 7, G = 2, gamma "
                         "= 1, beta = 0, 기본 eps")),
        _fb("forward_backward", rng("fb").normal(1, 2, size=(2, 4, 3, 5)), 2, {}, points=3,
            visible=True, gradcheck=True, summary=Text(en="2x4x3x5 with G = 2, forward and backward",
                                                       ko="2x4x3x5, G = 2, 순전파와 역전파")),
        _fb("explicit_eps", rng("eps").normal(size=(2, 6, 2, 3)), 3, {"eps": 1e-2}, points=1,
            visible=True, summary=Text(en="2x6x2x3 with G = 3 and gn_param = {'eps': 1e-2}",
                                       ko="2x6x2x3 입력, G = 3, gn_param = {'eps': 1e-2}")),
        _fb("one_group", rng("g1").normal(-1, 3, size=(3, 4, 2, 2)), 1, {}, points=2,
            visible=False, summary=Text(en="G = 1: layer norm over (C, H, W)",
                                        ko="G = 1: (C, H, W)에 대한 레이어 정규화")),
        _fb("group_per_channel", rng("gc").normal(2, 1, size=(2, 3, 2, 3)), 3, {}, points=2,
            visible=False, summary=Text(en="G = C: instance norm, one group per channel",
                                        ko="G = C: 인스턴스 정규화, 채널마다 그룹 하나")),
        _fb("one_by_one_pixels", rng("1x1").normal(size=(4, 6, 1, 1)), 2, {}, points=1,
            visible=False, summary=Text(en="H = W = 1, 6 channels in 2 groups of 3",
                                        ko="H = W = 1, 채널 6개를 3개씩 2그룹으로")),
        _fb("constant_groups", constant, 2, {}, points=1, visible=False,
            summary=Text(en="a constant and a nearly constant group",
                         ko="상수인 그룹과 거의 상수인 그룹")),
        _fb("batch_of_one", rng("one").normal(3, 1, size=(1, 8, 2, 2)), 4, {}, points=1,
            visible=False, summary=Text(en="a batch of one example, 8 channels in 4 groups",
                                        ko="예제 하나로 된 배치, 채널 8개를 4그룹으로")),
        _fb("large_offsets", rng("large").normal(-1e6, 3.0, size=(2, 4, 2, 3)), 2, {},
            points=1, visible=False, summary=Text(en="large negative values", ko="큰 음수 값")),
        _fb("float32", rng("f32").normal(size=(2, 6, 3, 2)).astype(np.float32), 2, {},
            points=1, visible=False, tolerance=F32_TOLERANCE, summary=Text(en="float32 inputs",
                                                                           ko="float32 입력")),
    ]
