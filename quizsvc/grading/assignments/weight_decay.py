"""Assignment 3: the weight-decay update (1 - lr*lambd/m) W - lr dW."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for, value_case
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import penalties

SLUG = "weight_decay"
SEED = 303
TOLERANCE = Tolerance(rtol=1e-6, atol=1e-9)


def _case(name: str, shape: tuple[int, int], lr: float, lambd: float, m: int, *, points: float,
          visible: bool, summary: Text, scale: float = 1.0, dtype: type = np.float64) -> Case:
    r = rng_for(SEED, name)
    w: np.ndarray = (r.normal(size=shape) * scale).astype(dtype)
    dw: np.ndarray = (r.normal(size=shape) * scale).astype(dtype)

    def build(b: ProgramBuilder) -> list[OutputCheck]:
        call = b.call("weight_decay_update", b.array(w), b.array(dw), b.value(lr),
                      b.value(lambd), b.value(m), name="update")
        return [OutputCheck("W_new", call)]

    tolerance = F32_TOLERANCE if dtype is np.float32 else TOLERANCE
    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def build_cases() -> list[Case]:
    return [
        _case("small", (3, 3), 0.1, 0.7, 5, points=1, visible=True,
              summary=Text(en="3x3, lr=0.1, lambd=0.7, m=5", ko="3x3 행렬, lr=0.1, lambd=0.7, m=5")),
        _case("non_square", (2, 6), 0.5, 2.0, 8, points=1, visible=True,
              summary=Text(en="2x6, lr=0.5, lambd=2, m=8", ko="2x6 행렬, lr=0.5, lambd=2, m=8")),
        _case("large_values", (5, 4), 0.01, 3.0, 10, points=2, visible=False, scale=1e4,
              summary=Text(en="large and negative values", ko="크고 음수인 값")),
        _case("one_example", (4, 1), 0.3, 0.9, 1, points=1, visible=False, summary=Text(en="m = 1",
                                                                                        ko="예제 하나 "
                                                                                        "(m = 1)")),
        _case("strong_decay", (3, 7), 0.9, 40.0, 64, points=1, visible=False,
              summary=Text(en="large lr*lambd", ko="큰 lr*lambd")),
        _case("float32", (6, 3), 0.2, 1.1, 9, points=1, visible=False, dtype=np.float32,
              summary=Text(en="float32 inputs", ko="float32 입력")),
    ]


BASE = read_text("quizsvc.grading.solutions.weight_decay", "factor.py")
_STEP = "(1 - lr * lambd / m) * W - lr * dW"


def _variant(key: str, new: str, en: tuple[str, str], ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, [(_STEP, new)], title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("half_lambda", "(1 - lr * lambd / (2 * m)) * W - lr * dW",
             ("Decay uses lambda/(2m)", "The gradient of (lambd/2m)||W||^2 is (lambd/m) W, so "
              "the factor is 1 - lr*lambd/m."),
             ("감쇠에 λ/(2m)을 사용함", "(λ/2m)‖W‖²의 기울기는 (λ/m)W 이므로 인자는 1 − α·λ/m 입니다.")),
    _variant("missing_m", "(1 - lr * lambd) * W - lr * dW",
             ("Decay not divided by m", "The decay factor is 1 - lr*lambd/m: divide by m."),
             ("감쇠를 m으로 나누지 않음", "감쇠 인자는 1 − α·λ/m 입니다. m으로 나누세요.")),
    _variant("missing_lr_in_decay", "(1 - lambd / m) * W - lr * dW",
             ("Learning rate missing from the decay", "The decay is also scaled by the "
              "learning rate: 1 - lr*lambd/m."),
             ("감쇠 항에 학습률이 빠짐", "감쇠에도 학습률이 곱해집니다: 1 − α·λ/m.")),
    _variant("sign_flipped", "(1 + lr * lambd / m) * W - lr * dW",
             ("Weights grow instead of decaying", "Weight decay shrinks W: the factor is "
              "1 - lr*lambd/m, smaller than 1."),
             ("가중치가 줄지 않고 커짐", "가중치 감쇠는 W를 줄입니다. 인자는 1보다 작은 "
              "1 − α·λ/m 입니다.")),
    _variant("decay_after_step", "(1 - lr * lambd / m) * (W - lr * dW)",
             ("Decay applied after the gradient step", "Only W is multiplied by the factor; "
              "the gradient step -lr*dW is not decayed."),
             ("경사 하강 뒤에 감쇠를 곱함", "인자는 W에만 곱합니다. −α·dW 항에는 곱하지 않습니다.")),
    _variant("no_gradient_step", "(1 - lr * lambd / m) * W",
             ("Gradient step missing", "The update also subtracts lr * dW."),
             ("경사 하강 항이 빠짐", "갱신식은 α·dW도 빼야 합니다.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="The weight-decay update", ko="가중치 감쇠(weight decay) 갱신"),
    functions=[FunctionSpec("weight_decay_update",
                            "weight_decay_update(W, dW, lr, lambd, m) -> ndarray")],
    build_cases=build_cases,
    reference=namespace_of(penalties),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    new_arrays=("weight_decay_update",),
    order=3,
)
