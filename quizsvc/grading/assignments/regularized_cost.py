"""Assignment 2: cross-entropy cost plus the L2 term over the weights (not the biases)."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for, value_case
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import penalties

SLUG = "regularized_cost"
SEED = 202
TOLERANCE = Tolerance(rtol=1e-6, atol=1e-9)


def _data(name: str, sizes: list[int], m: int, dtype: type = np.float64
          ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r = rng_for(SEED, name)
    a_l = r.uniform(0.05, 0.95, size=(1, m))
    y = (r.random((1, m)) < 0.5).astype(np.float64)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = r.normal(size=(sizes[layer], sizes[layer - 1]))
        params[f"b{layer}"] = r.normal(size=(sizes[layer], 1))  # non-zero: penalising them shows
    return a_l.astype(dtype), y.astype(dtype), {k: v.astype(dtype) for k, v in params.items()}


def _case(name: str, sizes: list[int], m: int, lambd: float, *, points: float, visible: bool,
          summary: Text, dtype: type = np.float64,
          probabilities: tuple[list[float], list[float]] | None = None) -> Case:
    """``probabilities``: (A_L, Y) given instead of drawn (m is then their length)."""
    a_l, y, params = _data(name, sizes, m, dtype)
    if probabilities is not None:
        a_l, y = (np.array([values], dtype=dtype) for values in probabilities)

    def build(b: ProgramBuilder) -> list[OutputCheck]:
        call = b.call("compute_cost_with_regularization", b.array(a_l), b.array(y),
                      b.dict({k: b.array(v) for k, v in params.items()}), b.value(lambd),
                      name="cost")
        return [OutputCheck("cost", call, kind="number")]

    tolerance = F32_TOLERANCE if dtype is np.float32 else TOLERANCE
    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def build_cases() -> list[Case]:
    return [
        _case("two_layers", [3, 4, 1], 5, 0.7, points=2, visible=True,
              summary=Text(en="2 layers (3-4-1), m=5, lambd=0.7",
                           ko="2층 신경망 (3-4-1), m=5, lambd=0.7")),
        _case("three_layers", [4, 5, 3, 1], 8, 0.1, points=2, visible=True,
              summary=Text(en="3 layers (4-5-3-1), m=8, lambd=0.1",
                           ko="3층 신경망 (4-5-3-1), m=8, lambd=0.1")),
        _case("four_layers", [6, 5, 4, 3, 1], 12, 1.5, points=2, visible=False,
              summary=Text(en="4 layers", ko="4층 신경망")),
        _case("one_example", [2, 3, 1], 1, 0.4, points=1, visible=False, summary=Text(en="m = 1",
                                                                                      ko="예제 하나 "
                                                                                      "(m = 1)")),
        _case("strong_lambda", [5, 2, 1], 30, 25.0, points=1, visible=False,
              summary=Text(en="large lambd", ko="큰 lambd")),
        _case("float32", [3, 3, 1], 6, 0.5, points=1, visible=False, dtype=np.float32,
              summary=Text(en="float32 inputs", ko="float32 입력")),
        # The legal edges 0 < A < 1: a log(A + 1e-8) or a clip to [1e-8, 1 - 1e-8] is off
        # here (by log(1.1) at A = 1e-7), while draws from (0.05, 0.95) never show it.
        _case("extreme_probabilities", [3, 2, 1], 6, 0.3, points=1, visible=True,
              probabilities=([1e-10, 1e-7, 1 - 1e-7, 1 - 1e-10, 1e-12, 0.5],
                             [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]),
              summary=Text(en="probabilities near 0 and 1 (A_L from 1e-12 to 1 - 1e-10), "
                           "confidently right and wrong",
                           ko="0과 1에 가까운 확률 (A_L이 1e-12부터 1 - 1e-10까지), 확신하며 맞히고 "
                           "틀린 예측")),
    ]


BASE = read_text("quizsvc.grading.solutions.regularized_cost", "loops.py")
_W_LINE = '        l2 += np.sum(np.square(parameters["W" + str(layer)]))'
_CE = "-np.sum(Y * np.log(A_L) + (1 - Y) * np.log(1 - A_L)) / m"

MISTAKES = [
    mistake("biases_penalised", BASE,
            [(_W_LINE, _W_LINE + '\n        l2 += np.sum(np.square(parameters["b" + str(layer)]))')],
            title_en="Biases penalised", title_ko="편향(b)까지 벌점에 넣음",
            hint_en="Only the weights W1..WL go into the L2 term; the biases b are not penalised.",
            hint_ko="L2 항에는 가중치 W1..WL만 들어갑니다. 편향 b는 벌점을 주지 않습니다."),
    mistake("lambda_over_m", BASE, [("lambd / (2 * m) * l2", "lambd / m * l2")],
            title_en="lambda/m instead of lambda/(2m)", title_ko="λ/(2m) 대신 λ/m 사용",
            hint_en="The L2 term is (lambd / (2m)) * sum ||Wl||_F^2.",
            hint_ko="L2 항은 (λ/(2m))·Σ‖Wl‖_F² 입니다."),
    mistake("cross_entropy_not_averaged", BASE, [(_CE, _CE[: -len(" / m")])],
            title_en="Cross-entropy not divided by m", title_ko="교차 엔트로피를 m으로 나누지 않음",
            hint_en="The data term is the mean over the m examples: divide the sum by m.",
            hint_ko="데이터 항은 m개 예제의 평균입니다. 합을 m으로 나누세요."),
    mistake("missing_negative_class_term", BASE,
            [(_CE, "-np.sum(Y * np.log(A_L)) / m")],
            title_en="(1 - Y) log(1 - A) term missing", title_ko="(1−Y)·log(1−A) 항이 빠짐",
            hint_en="Binary cross-entropy has two terms: Y log A + (1 - Y) log(1 - A).",
            hint_ko="이진 교차 엔트로피는 Y·log A + (1−Y)·log(1−A) 두 항입니다."),
    mistake("m_from_wrong_axis", BASE, [("m = Y.shape[1]", "m = Y.shape[0]")],
            title_en="m read from the wrong axis", title_ko="m을 잘못된 축에서 읽음",
            hint_en="Y has shape (1, m): the number of examples is Y.shape[1].",
            hint_ko="Y의 모양은 (1, m)입니다. 예제 수는 Y.shape[1] 입니다."),
    mistake("three_layers_hardcoded", BASE, [("L = len(parameters) // 2", "L = 3")],
            title_en="Number of layers hard-coded", title_ko="층 수를 고정된 값으로 씀",
            hint_en="Count the layers from parameters (len(parameters) // 2): networks of any "
                    "depth are tested.",
            hint_ko="층 수는 parameters에서 세세요 (len(parameters) // 2). 여러 깊이의 "
                    "신경망으로 시험합니다."),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Cost with L2 regularization", ko="L2 정규화(regularization)를 더한 비용"),
    functions=[FunctionSpec("compute_cost_with_regularization",
                            "compute_cost_with_regularization(A_L, Y, parameters, lambd) -> float")],
    build_cases=build_cases,
    reference=namespace_of(penalties),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    order=2,
)
