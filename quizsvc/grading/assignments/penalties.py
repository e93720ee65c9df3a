"""Assignment 1: L1 and L2 penalties over a list of layer matrices, and their gradients."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, read_text
from quizsvc.grading.assignments._common import (
    F32_TOLERANCE,
    arrays_arg,
    mistake,
    rng_for,
    value_case,
)
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.gradcheck import GradCheck, add_gradcheck
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import penalties

SLUG = "penalties"
SEED = 101
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
GRADCHECK_THRESHOLD = 1e-6  # correct code measures <= 1e-9 (the penalties are at most quadratic)


def _case(name: str, weights: list[np.ndarray], lam: float, m: int, *, points: float,
          visible: bool, summary: Text, gradcheck: bool = False,
          tolerance: Tolerance = TOLERANCE) -> Case:
    def build(b: ProgramBuilder) -> list[OutputCheck] | tuple[list[OutputCheck], GradCheck]:
        l1 = b.call("l1_penalty", arrays_arg(b, weights), b.value(lam), name="l1")
        g1 = b.call("l1_penalty_grad", arrays_arg(b, weights), b.value(lam), name="l1_grad")
        l2 = b.call("l2_penalty", arrays_arg(b, weights), b.value(lam), b.value(m), name="l2")
        g2 = b.call("l2_penalty_grad", arrays_arg(b, weights), b.value(lam), b.value(m),
                    name="l2_grad")
        checks = [OutputCheck("l1_penalty", l1, kind="number"),
                  OutputCheck("l1_penalty_grad", g1, kind="arrays"),
                  OutputCheck("l2_penalty", l2, kind="number"),
                  OutputCheck("l2_penalty_grad", g2, kind="arrays")]
        if not gradcheck:
            return checks
        params = {f"W{i + 1}": w for i, w in enumerate(weights)}
        check = add_gradcheck(
            b, "l2_penalty",
            lambda v: [b.list([b.array(v[k]) for k in params]), b.value(lam), b.value(m)],
            params, analytic={k: (g2, (i,)) for i, k in enumerate(params)}, out_path=(),
            dout=None, select=None, threshold=GRADCHECK_THRESHOLD)
        return checks, check

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def build_cases() -> list[Case]:
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
        _case("two_layers", two, 0.7, 5, points=2, visible=True, gradcheck=True,
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


BASE = read_text("quizsvc.grading.solutions.penalties", "loops.py")

MISTAKES = [
    mistake("l1_squares", BASE, [("total += np.sum(np.abs(W))", "total += np.sum(np.square(W))")],
            title_en="L1 penalty computed with squares", title_ko="L1 벌점을 제곱으로 계산함",
            hint_en="The L1 penalty sums absolute values |w|, not squares (that is L2).",
            hint_ko="L1 벌점은 절댓값 |w|의 합입니다. 제곱의 합은 L2입니다."),
    mistake("l1_no_abs", BASE, [("np.sum(np.abs(W))", "np.sum(W)")],
            title_en="L1 penalty without the absolute value",
            title_ko="L1 벌점에서 절댓값을 빠뜨림",
            hint_en="Sum |w|, not w: negative weights must add to the penalty, not cancel it.",
            hint_ko="w가 아니라 |w|를 더하세요. 음수 가중치도 벌점을 키워야 합니다."),
    mistake("l1_grad_at_zero", BASE,
            [("lam * np.sign(W)", "lam * np.where(W >= 0, 1.0, -1.0)")],
            title_en="L1 subgradient is not 0 at w = 0",
            title_ko="w = 0에서 L1 부분기울기가 0이 아님",
            hint_en="At w = 0 the stated subgradient is 0 (np.sign gives exactly that).",
            hint_ko="w = 0에서의 부분기울기는 0으로 정했습니다 (np.sign이 그렇게 동작합니다)."),
    mistake("l2_lambda_over_m", BASE, [("lam / (2 * m) * total", "lam / m * total")],
            title_en="L2 penalty uses lambda/m instead of lambda/(2m)",
            title_ko="L2 벌점에 λ/(2m) 대신 λ/m을 사용함",
            hint_en="The penalty is (lambda / 2m) * sum ||W||_F^2; the 1/2 cancels in the "
                    "gradient, not in the penalty.",
            hint_ko="벌점은 (λ/2m)·Σ‖W‖_F² 입니다. 1/2은 기울기에서 사라지지, 벌점에서 "
                    "사라지지 않습니다."),
    mistake("l2_not_squared", BASE,
            [("total += np.sum(np.square(W))", "total += np.sqrt(np.sum(np.square(W)))")],
            title_en="Frobenius norm not squared", title_ko="프로베니우스 놈을 제곱하지 않음",
            hint_en="Use the squared Frobenius norm ||W||_F^2 = sum of squared entries, "
                    "without the square root.",
            hint_ko="제곱한 프로베니우스 놈 ‖W‖_F² (원소 제곱의 합, 제곱근 없이)을 쓰세요."),
    mistake("l2_grad_half", BASE, [("lam / m * W for", "lam / (2 * m) * W for")],
            title_en="L2 gradient keeps the 1/2", title_ko="L2 기울기에 1/2이 남아 있음",
            hint_en="d/dW of (lambda/2m)||W||^2 is (lambda/m) W: the 2 of the square cancels the 1/2.",
            hint_ko="(λ/2m)‖W‖²를 W로 미분하면 (λ/m)W 입니다. 제곱의 2가 1/2을 지웁니다."),
    mistake("l2_grad_no_m", BASE, [("lam / m * W for", "lam * W for")],
            title_en="L2 gradient not divided by m", title_ko="L2 기울기를 m으로 나누지 않음",
            hint_en="The gradient of the L2 term is (lambda/m) W: divide by m.",
            hint_ko="L2 항의 기울기는 (λ/m)W 입니다. m으로 나누세요."),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="L1 and L2 penalties and their gradients",
               ko="L1·L2 벌점(penalty)과 그 기울기"),
    functions=[
        FunctionSpec("l1_penalty", "l1_penalty(weights, lam) -> float"),
        FunctionSpec("l1_penalty_grad", "l1_penalty_grad(weights, lam) -> list[ndarray]"),
        FunctionSpec("l2_penalty", "l2_penalty(weights, lam, m) -> float"),
        FunctionSpec("l2_penalty_grad", "l2_penalty_grad(weights, lam, m) -> list[ndarray]"),
    ],
    build_cases=build_cases,
    reference=namespace_of(penalties),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    order=1,
)
