"""Assignment 8 (stretch): spatial batch normalization of (N, C, H, W) tensors, statistics per
channel over the batch and the pixels, with running statistics (train/test) and backward."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for
from quizsvc.grading.assignments._norm import forward_backward_case, running_sequence_case
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import spatial_batchnorm

SLUG = "spatial_batchnorm"
SEED = 808
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
# Measured (directional check as in gradcheck.py, h = 1e-5, float64): the reference and the three
# correct variants 2e-11..4e-11 on the checked 2x3x4x5 case; over 100 random shapes up to 4x8x6x6,
# median 7e-11, worst 1.5e-8 (CS231n's element-wise check on its 2x3x4x5 example: up to 5e-8).
# A dx that treats the batch statistics as constants: 0.29; sample variance: 3e-3.
GRADCHECK_THRESHOLD = 1e-5


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False, tolerance: Tolerance = TOLERANCE,
        unit_affine: bool = False) -> Case:
    r = rng_for(SEED, name + "/affine")
    c: int = x.shape[1]  # ndarray.shape is tuple[Any, ...]; Any picks the scalar overloads
    gamma = np.ones(c) if unit_affine else r.uniform(0.5, 2.0, size=c)
    beta = np.zeros(c) if unit_affine else r.normal(size=c)
    dout = r.normal(size=x.shape).astype(x.dtype) if backward else None
    return forward_backward_case(
        "spatial_batchnorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params, dout,
        points=points, visible=visible, summary=summary, tolerance=tolerance, running=True,
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def build_cases() -> list[Case]:
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
        running_sequence_case("spatial_batchnorm", "running_stats_then_test", SEED, (2, 3, 2, 3), (2, 3, 2, 2),
                              points=3, visible=True, tolerance=TOLERANCE,
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


BASE = read_text("quizsvc.grading.solutions.spatial_batchnorm", "staged.py")
RESHAPED = read_text("quizsvc.grading.solutions.spatial_batchnorm", "reshape_trick.py")
_RUNNING = ("        running_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
            "        running_var = momentum * running_var + (1 - momentum) * batch_var\n")
_DX = ("    dxc += 2.0 * xc * dvar / M\n    dmu = -np.sum(dxc, axis=(0, 2, 3), keepdims=True)\n"
       "    dx = dxc + dmu / M\n")


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str], base: str = BASE) -> Mistake:
    return mistake(key, base, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("per_pixel_stats",
             [("sample_mean = np.mean(x, axis=(0, 2, 3), keepdims=True)",
               "sample_mean = np.mean(x, axis=0, keepdims=True)"),
              ("sample_var = np.mean(xc ** 2, axis=(0, 2, 3), keepdims=True)",
               "sample_var = np.mean(xc ** 2, axis=0, keepdims=True)"),
              ("sample_mean[0, :, 0, 0], sample_var[0, :, 0, 0]",
               "sample_mean[0], sample_var[0]"),
              ("    M = N * H * W\n", "    M = N\n"),
              ("dstd = -np.sum(dx_hat * xc / std ** 2, axis=(0, 2, 3), keepdims=True)",
               "dstd = -np.sum(dx_hat * xc / std ** 2, axis=0, keepdims=True)"),
              ("dmu = -np.sum(dxc, axis=(0, 2, 3), keepdims=True)",
               "dmu = -np.sum(dxc, axis=0, keepdims=True)")],
             ("Per-pixel statistics (mean and variance over the batch axis only)",
              "Spatial batch norm pools each channel over the batch AND the pixels: take mean "
              "and variance over the axes (0, 2, 3), one pair per channel, not over axis 0 "
              "alone (one pair per channel and pixel)."),
             ("픽셀마다 통계를 계산함 (배치 축으로만 평균·분산)",
              "공간 배치 정규화는 채널마다 배치와 모든 픽셀을 함께 모읍니다. 평균과 분산은 "
              "축 0 하나가 아니라 축 (0, 2, 3)에 대해 구해서 채널마다 한 쌍이 되어야 합니다 "
              "(축 0만 쓰면 채널·픽셀마다 한 쌍이 됩니다).")),
    _variant("reshape_without_transpose",
             [("    return a.transpose(0, 2, 3, 1).reshape(-1, c)\n",
               "    return a.reshape(-1, c)\n"),
              ("    return a2.reshape(n, h, w, c).transpose(0, 3, 1, 2)\n",
               "    return a2.reshape(n, c, h, w)\n")],
             ("Reshaped to (N*H*W, C) without moving the channel axis last",
              "x.reshape(-1, C) on an (N, C, H, W) array mixes channels and pixels in each "
              "column. Move the channels last first: x.transpose(0, 2, 3, 1).reshape(-1, C), "
              "and undo both steps in the same order on the way back."),
             ("채널 축을 뒤로 옮기지 않고 (N*H*W, C)로 reshape함",
              "(N, C, H, W) 배열에 바로 x.reshape(-1, C)를 하면 각 열에 여러 채널과 픽셀이 "
              "섞입니다. 먼저 채널을 마지막 축으로 옮기세요: "
              "x.transpose(0, 2, 3, 1).reshape(-1, C). 되돌릴 때도 같은 순서로 되돌립니다."),
             base=RESHAPED),
    _variant("sample_variance",
             [("sample_var = np.mean(xc ** 2, axis=(0, 2, 3), keepdims=True)",
               "sample_var = np.sum(xc ** 2, axis=(0, 2, 3), keepdims=True) / (N * H * W - 1)")],
             ("Sample variance (N*H*W - 1) in the normalisation",
              "Normalise with the population variance of each channel: divide by the "
              "N*H*W values it pools, not N*H*W - 1 (np.var's default ddof=0)."),
             ("정규화에 표본분산(N·H·W − 1)을 사용함",
              "채널마다 모분산으로 정규화하세요. N·H·W − 1이 아니라 채널이 모은 값의 개수 "
              "N·H·W로 나눕니다 (np.var 기본값 ddof=0).")),
    _variant("eps_outside_sqrt", [("std = np.sqrt(sample_var + eps)",
                                   "std = np.sqrt(sample_var) + eps")],
             ("eps outside the square root", "eps goes inside: sqrt(var + eps). It matters "
              "when a channel's variance is close to 0 or eps is large."),
             ("eps를 제곱근 밖에 더함", "eps는 제곱근 안에 넣습니다: sqrt(var + eps). 채널의 "
              "분산이 0에 가깝거나 eps가 클 때 차이가 납니다.")),
    _variant("running_not_updated", [(_RUNNING, "")],
             ("Running statistics never updated", "In train mode, update bn_param['running_mean']"
              " and bn_param['running_var'] (shape (C,)) with the batch statistics."),
             ("이동 통계를 갱신하지 않음", "학습 모드에서 bn_param['running_mean']과 "
              "bn_param['running_var'](모양 (C,))를 배치 통계로 갱신하세요.")),
    _variant("momentum_reversed",
             [(_RUNNING, _RUNNING.replace("momentum * running_mean + (1 - momentum) *",
                                          "(1 - momentum) * running_mean + momentum *")
                                 .replace("momentum * running_var + (1 - momentum) *",
                                          "(1 - momentum) * running_var + momentum *"))],
             ("Momentum applied the other way round", "running = momentum * running + "
              "(1 - momentum) * batch: momentum weights the OLD value."),
             ("모멘텀을 반대로 적용함", "running = momentum·running + (1−momentum)·batch 입니다. "
              "momentum은 이전 값에 곱합니다.")),
    _variant("dgamma_dbeta_wrong_axes",
             [("dbeta = np.sum(dout, axis=(0, 2, 3))", "dbeta = np.sum(dout, axis=0)"),
              ("dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))",
               "dgamma = np.sum(dout * x_hat, axis=0)")],
             ("dgamma and dbeta summed over the batch axis only",
              "gamma and beta have one entry per channel, shared by every example and pixel: "
              "sum over the axes (0, 2, 3), giving shape (C,)."),
             ("dgamma와 dbeta를 배치 축으로만 합함",
              "γ와 β는 채널마다 하나이고 모든 예제와 픽셀이 공유합니다. 축 (0, 2, 3)으로 "
              "더해서 모양 (C,)를 만드세요.")),
    _variant("dx_ignores_batch_stats", [(_DX, "    dx = dxc\n")],
             ("dx treats the batch mean and variance as constants", "Each channel's mean and "
              "variance depend on all its N*H*W values: backpropagate through them too."),
             ("dx에서 배치 평균·분산을 상수로 취급함", "채널의 평균과 분산은 그 채널의 "
              "N·H·W개 값 모두에 의존합니다. 그 경로로도 역전파하세요.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Stretch: spatial batch normalization",
               ko="심화: 공간 배치 정규화(spatial batch normalization)"),
    functions=[
        FunctionSpec("spatial_batchnorm_forward",
                     "spatial_batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)"),
        FunctionSpec("spatial_batchnorm_backward",
                     "spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)"),
    ],
    build_cases=build_cases,
    reference=namespace_of(spatial_batchnorm),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    mutable={"spatial_batchnorm_forward": ("bn_param",)},  # its running statistics, by contract
    order=8,
)
