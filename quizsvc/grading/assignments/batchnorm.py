"""Assignment 5: batch normalization forward (train/test, running statistics) and backward."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for
from quizsvc.grading.assignments._norm import forward_backward_case, running_sequence_case
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import batchnorm

SLUG = "batchnorm"
SEED = 505
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
# Correct solutions measure ~1e-10..1e-8 against finite differences of their own forward.
GRADCHECK_THRESHOLD = 1e-6


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False, tolerance: Tolerance = TOLERANCE) -> Case:
    r = rng_for(SEED, name + "/affine")
    d: int = x.shape[1]  # ndarray.shape is tuple[Any, ...]; Any picks the scalar overloads
    gamma = r.uniform(0.5, 2.0, size=d).astype(x.dtype)
    beta = r.normal(size=d).astype(x.dtype)
    dout = r.normal(size=x.shape).astype(x.dtype) if backward else None
    return forward_backward_case("batchnorm", name, x, gamma, beta, params, dout, points=points,
                                 visible=visible, summary=summary, tolerance=tolerance,
                                 running=True,
                                 gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def build_cases() -> list[Case]:
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


BASE = read_text("quizsvc.grading.solutions.batchnorm", "staged.py")
_RUNNING = ("        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n"
            "        running_var = momentum * running_var + (1 - momentum) * sample_var\n")


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("sample_variance", [("sample_var = np.mean(xc ** 2, axis=0)",
                                  "sample_var = np.sum(xc ** 2, axis=0) / (N - 1)")],
             ("Sample variance (N-1) in the normalisation", "Normalise with the population "
              "variance of the batch: divide by N, not N - 1 (np.var's default ddof=0)."),
             ("정규화에 표본분산(N−1)을 사용함", "배치의 모분산으로 정규화하세요. N−1이 아니라 "
              "N으로 나눕니다 (np.var 기본값 ddof=0).")),
    _variant("eps_outside_sqrt", [("std = np.sqrt(sample_var + eps)",
                                   "std = np.sqrt(sample_var) + eps")],
             ("eps outside the square root", "eps goes inside: sqrt(var + eps). It matters "
              "when a feature's variance is close to 0."),
             ("eps를 제곱근 밖에 더함", "eps는 제곱근 안에 넣습니다: sqrt(var + eps). 분산이 "
              "0에 가까운 특성에서 차이가 납니다.")),
    _variant("running_var_unbiased",
             [("(1 - momentum) * sample_var\n", "(1 - momentum) * sample_var * N / (N - 1)\n")],
             ("Unbiased variance fed to the running estimate", "This assignment's convention "
              "feeds the same biased (divide by N) batch variance to running_var."),
             ("이동 분산에 불편분산을 사용함", "이 과제의 규약은 running_var에도 N으로 나눈 "
              "배치 분산을 씁니다.")),
    _variant("momentum_reversed",
             [(_RUNNING, _RUNNING.replace("momentum * running_mean + (1 - momentum) *",
                                          "(1 - momentum) * running_mean + momentum *")
                                 .replace("momentum * running_var + (1 - momentum) *",
                                          "(1 - momentum) * running_var + momentum *"))],
             ("Momentum applied the other way round", "running = momentum * running + "
              "(1 - momentum) * batch: momentum weights the OLD value."),
             ("모멘텀을 반대로 적용함", "running = momentum·running + (1−momentum)·batch 입니다. "
              "momentum은 이전 값에 곱합니다.")),
    _variant("running_not_updated", [(_RUNNING, "")],
             ("Running statistics never updated", "In train mode, update bn_param['running_mean']"
              " and bn_param['running_var'] with the batch statistics."),
             ("이동 통계를 갱신하지 않음", "학습 모드에서 bn_param['running_mean']과 "
              "bn_param['running_var']를 배치 통계로 갱신하세요.")),
    _variant("running_std_not_var", [("(1 - momentum) * sample_var\n", "(1 - momentum) * std\n")],
             ("Standard deviation stored instead of variance", "running_var averages the "
              "variance, not the standard deviation."),
             ("분산 대신 표준편차를 저장함", "running_var에는 표준편차가 아니라 분산의 "
              "이동 평균을 저장합니다.")),
    _variant("test_uses_batch_stats",
             [("x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
               "x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)")],
             ("Test mode uses the batch statistics", "In test mode normalise with "
              "running_mean and running_var, not with the test batch's own statistics."),
             ("테스트 모드에서 배치 통계를 사용함", "테스트 모드에서는 테스트 배치의 통계가 "
              "아니라 running_mean과 running_var로 정규화하세요.")),
    _variant("test_drops_gamma_beta",
             [("        out = gamma * x_hat + beta\n        cache = None",
               "        out = x_hat\n        cache = None")],
             ("Test mode drops gamma and beta", "Test mode also scales and shifts: "
              "out = gamma * x_hat + beta."),
             ("테스트 모드에서 γ와 β를 빠뜨림", "테스트 모드에서도 out = γ·x̂ + β 입니다.")),
    _variant("test_eps_outside_sqrt", [("/ np.sqrt(running_var + eps)",
                                        "/ (np.sqrt(running_var) + eps)")],
             ("Test mode: eps outside the square root", "Use sqrt(running_var + eps) in test "
              "mode too."),
             ("테스트 모드에서 eps를 제곱근 밖에 더함", "테스트 모드에서도 "
              "sqrt(running_var + eps)를 쓰세요.")),
    _variant("test_no_eps", [("/ np.sqrt(running_var + eps)", "/ np.sqrt(running_var)")],
             ("Test mode: eps left out", "Test mode divides by sqrt(running_var + eps) as "
              "training does; without eps a small running variance blows the output up."),
             ("테스트 모드에서 eps를 빠뜨림", "테스트 모드에서도 학습 때처럼 "
              "sqrt(running_var + eps)로 나눕니다. eps가 없으면 이동 분산이 작을 때 출력이 "
              "크게 튑니다.")),
    _variant("one_pass_variance", [("sample_var = np.mean(xc ** 2, axis=0)",
                                    "sample_var = np.mean(x ** 2, axis=0) - sample_mean ** 2")],
             ("One-pass variance E[x^2] - E[x]^2", "E[x^2] - E[x]^2 cancels catastrophically "
              "for large values: compute the mean of (x - mean)^2 instead."),
             ("한 번에 계산한 분산 E[x²]−E[x]²", "값이 크면 E[x²]−E[x]²는 정밀도를 잃습니다. "
              "(x − 평균)²의 평균으로 계산하세요.")),
    _variant("dgamma_wrong_axis", [("dgamma = np.sum(dout * x_hat, axis=0)",
                                    "dgamma = np.sum(dout * x_hat, axis=1)")],
             ("dgamma summed over the wrong axis", "gamma has one entry per feature: sum "
              "dout * x_hat over the batch axis 0."),
             ("dgamma를 잘못된 축으로 합함", "γ는 특성마다 하나입니다. dout·x̂를 배치 축 0으로 "
              "더하세요.")),
    _variant("dx_ignores_batch_stats",
             [("    dxc += 2.0 * xc * dvar / N\n    dmu = -np.sum(dxc, axis=0)\n"
               "    dx = dxc + dmu / N\n", "    dx = dxc\n")],
             ("dx treats the batch mean and variance as constants", "The batch mean and "
              "variance depend on every x: backpropagate through them too."),
             ("dx에서 배치 평균·분산을 상수로 취급함", "배치 평균과 분산도 x에 의존합니다. "
              "그 경로로도 역전파하세요.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Batch normalization", ko="배치 정규화(batch normalization)"),
    functions=[
        FunctionSpec("batchnorm_forward",
                     "batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)"),
        FunctionSpec("batchnorm_backward",
                     "batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)"),
    ],
    build_cases=build_cases,
    reference=namespace_of(batchnorm),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    mutable={"batchnorm_forward": ("bn_param",)},  # its running statistics, by contract
    order=5,
)
