"""Assignment 9 (stretch): group normalization of (N, C, H, W) tensors, statistics per example
and group of C // G consecutive channels, forward and backward."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for
from quizsvc.grading.assignments._norm import forward_backward_case
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import groupnorm

SLUG = "groupnorm"
SEED = 909
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
# Measured (directional check as in gradcheck.py, h = 1e-5, float64): the reference and the three
# correct variants 4e-12..2e-11 on the checked 2x4x3x5 case; over 100 random shapes up to 4x8x6x6,
# median 7e-11, worst 6e-9 (CS231n's element-wise check on its 2x6x4x5, G = 2 example: up to
# 1.3e-6), except groups of only two values, where x_hat = +-1 whatever x, the gradient is ~0 and
# the relative error is rounding (up to 2.5e-4; no case checks one). A dx that treats the group
# statistics as constants: 1.6e-2.
GRADCHECK_THRESHOLD = 1e-5


def _fb(name: str, x: np.ndarray, G: int, params: dict, *, points: float, visible: bool,
        summary: Text, backward: bool = True, gradcheck: bool = False,
        tolerance: Tolerance = TOLERANCE, unit_affine: bool = False) -> Case:
    r = rng_for(SEED, name + "/affine")
    shape = (1, x.shape[1], 1, 1)  # the contract: gamma and beta of shape (1, C, 1, 1)
    gamma = np.ones(shape) if unit_affine else r.uniform(0.5, 2.0, size=shape)
    beta = np.zeros(shape) if unit_affine else r.normal(size=shape)
    dout = r.normal(size=x.shape) if backward else None
    return forward_backward_case(
        "groupnorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params,
        None if dout is None else dout.astype(x.dtype), points=points, visible=visible,
        summary=summary, tolerance=tolerance, running=False, extra=(G,),
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def build_cases() -> list[Case]:
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


BASE = read_text("quizsvc.grading.solutions.groupnorm", "staged.py")
_SHAPE = "    N, C, H, W = x.shape\n"
_DX = ("    dxc += 2.0 * xc * dvar / M\n"
       "    dmu = -np.sum(dxc, axis=(2, 3, 4), keepdims=True)\n"
       "    dx = (dxc + dmu / M).reshape(N, C, H, W)\n")


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("instance_norm", [(_SHAPE, _SHAPE + "    G = C\n")],
             ("Instance norm: statistics per channel, G ignored",
              "Group norm pools the C // G consecutive channels of a group (and their pixels) "
              "into one mean and variance per example and group: reshape to (N, G, -1), not "
              "one statistic per channel."),
             ("인스턴스 정규화: 채널마다 통계를 구하고 G를 무시함",
              "그룹 정규화는 한 그룹에 속한 연속된 C // G개 채널(과 그 픽셀)을 모아 예제와 "
              "그룹마다 평균·분산을 한 쌍 구합니다. 채널마다 따로 구하지 말고 (N, G, -1)로 "
              "reshape하세요.")),
    _variant("layer_norm", [(_SHAPE, _SHAPE + "    G = 1\n")],
             ("Layer norm: one group over all channels, G ignored",
              "Use the G groups you are given: statistics per example AND group, over that "
              "group's C // G channels only, not over all C channels at once."),
             ("레이어 정규화: 모든 채널을 한 그룹으로 묶고 G를 무시함",
              "주어진 G개 그룹을 쓰세요. 통계는 예제와 그룹마다, 그 그룹의 C // G개 채널에 "
              "대해서만 구합니다. C개 채널 전체를 한 번에 쓰지 않습니다.")),
    _variant("interleaved_groups",
             [("xg = x.reshape(N, G, C // G, H, W)",
               "xg = x.reshape(N, C // G, G, H, W).swapaxes(1, 2)"),
              ("x_hat = (xc / std).reshape(N, C, H, W)",
               "x_hat = (xc / std).swapaxes(1, 2).reshape(N, C, H, W)"),
              ("dx_hat = (dout * gamma).reshape(N, G, C // G, H, W)",
               "dx_hat = (dout * gamma).reshape(N, C // G, G, H, W).swapaxes(1, 2)"),
              ("dx = (dxc + dmu / M).reshape(N, C, H, W)",
               "dx = (dxc + dmu / M).swapaxes(1, 2).reshape(N, C, H, W)")],
             ("Channels grouped the wrong way (every G-th channel in one group)",
              "A group is C // G CONSECUTIVE channels: reshape to (N, G, C // G, H, W), i.e. "
              "(N, G, -1). Reshaping to (N, C // G, G, ...) puts channels 0, G, 2G, ... "
              "together."),
             ("채널을 잘못 묶음 (G칸씩 건너뛴 채널들이 한 그룹)",
              "한 그룹은 연속된 C // G개 채널입니다. (N, G, C // G, H, W), 즉 (N, G, -1)로 "
              "reshape하세요. (N, C // G, G, ...)로 바꾸면 채널 0, G, 2G, …가 한 그룹이 "
              "됩니다.")),
    _variant("gamma_shape_c",
             [("dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)",
               "dbeta = np.sum(dout, axis=(0, 2, 3))"),
              ("dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)",
               "dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))")],
             ("dgamma and dbeta of shape (C,)",
              "In this assignment gamma and beta have shape (1, C, 1, 1), and so must dgamma and "
              "dbeta: keep the summed axes (keepdims=True) or reshape to (1, C, 1, 1)."),
             ("dgamma와 dbeta의 모양이 (C,)임",
              "이 과제에서 γ와 β의 모양은 (1, C, 1, 1)이고 dgamma와 dbeta도 같은 모양이어야 "
              "합니다. 합한 축을 유지하거나(keepdims=True) (1, C, 1, 1)로 reshape하세요.")),
    _variant("per_pixel_group_stats",
             [("mu = np.mean(xg, axis=(2, 3, 4), keepdims=True)",
               "mu = np.mean(xg, axis=2, keepdims=True)"),
              ("var = np.mean(xc ** 2, axis=(2, 3, 4), keepdims=True)",
               "var = np.mean(xc ** 2, axis=2, keepdims=True)"),
              ("M = C // G * H * W", "M = C // G"),
              ("dstd = -np.sum(dx_hat * xc / std ** 2, axis=(2, 3, 4), keepdims=True)",
               "dstd = -np.sum(dx_hat * xc / std ** 2, axis=2, keepdims=True)"),
              ("dmu = -np.sum(dxc, axis=(2, 3, 4), keepdims=True)",
               "dmu = -np.sum(dxc, axis=2, keepdims=True)")],
             ("Statistics per pixel inside each group",
              "A group's mean and variance pool its C // G channels AND all their pixels: "
              "average over the axes (2, 3, 4) of the (N, G, C // G, H, W) view, not over the "
              "channel axis alone (that gives one pair per pixel)."),
             ("그룹 안에서 픽셀마다 통계를 계산함",
              "그룹의 평균과 분산은 그 그룹의 C // G개 채널과 그 모든 픽셀을 함께 모읍니다. "
              "(N, G, C // G, H, W) 모양에서 채널 축 하나가 아니라 축 (2, 3, 4)에 대해 "
              "평균을 내세요 (채널 축만 쓰면 픽셀마다 한 쌍이 됩니다).")),
    _variant("gamma_indexed_as_c",
             [("out = gamma * x_hat + beta",
               "out = gamma[:, None, None] * x_hat + beta[:, None, None]"),
              ("dx_hat = (dout * gamma).reshape(", "dx_hat = (dout * gamma[:, None, None]).reshape("),
              ("dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)",
               "dbeta = np.sum(dout, axis=(0, 2, 3))"),
              ("dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)",
               "dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))")],
             ("gamma and beta treated as if of shape (C,)",
              "gamma[:, None, None] fits a gamma of shape (C,); this assignment's gamma and beta "
              "already have shape (1, C, 1, 1), so the indexing adds axes and out gets the "
              "broadcast shape (1, 1, N, C, H, W). Use gamma and beta as given, and return "
              "dgamma and dbeta of shape (1, C, 1, 1)."),
             ("γ와 β를 모양 (C,)인 것처럼 다룸",
              "gamma[:, None, None]은 모양 (C,)인 γ에 맞는 코드입니다. 이 과제의 γ와 β는 이미 "
              "모양 (1, C, 1, 1)이라서 축이 늘어나고 out이 (1, 1, N, C, H, W)로 "
              "브로드캐스트됩니다. γ와 β를 주어진 모양 그대로 쓰고, dgamma와 dbeta도 "
              "(1, C, 1, 1) 모양으로 반환하세요.")),
    _variant("eps_outside_sqrt", [("std = np.sqrt(var + eps)", "std = np.sqrt(var) + eps")],
             ("eps outside the square root", "eps goes inside: sqrt(var + eps). It matters "
              "when a group's variance is close to 0 or eps is large."),
             ("eps를 제곱근 밖에 더함", "eps는 제곱근 안에 넣습니다: sqrt(var + eps). 그룹의 "
              "분산이 0에 가깝거나 eps가 클 때 차이가 납니다.")),
    _variant("dx_ignores_stats", [(_DX, "    dx = dxc.reshape(N, C, H, W)\n")],
             ("dx treats the mean and variance as constants", "Each group's mean and variance "
              "depend on all its values: backpropagate through them too."),
             ("dx에서 평균·분산을 상수로 취급함", "각 그룹의 평균과 분산은 그 그룹의 모든 값에 "
              "의존합니다. 그 경로로도 역전파하세요.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Stretch: group normalization",
               ko="심화: 그룹 정규화(group normalization)"),
    functions=[
        FunctionSpec("groupnorm_forward",
                     "groupnorm_forward(x, gamma, beta, G, gn_param) -> (out, cache)"),
        FunctionSpec("groupnorm_backward",
                     "groupnorm_backward(dout, cache) -> (dx, dgamma, dbeta)"),
    ],
    build_cases=build_cases,
    reference=namespace_of(groupnorm),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    shape_policy="strict",  # the statement requires gamma, dgamma, dbeta of (1, C, 1, 1)
    order=9,
)
