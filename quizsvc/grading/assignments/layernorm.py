"""Assignment 6: layer normalization forward and backward (statistics per example)."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import F32_TOLERANCE, mistake, rng_for
from quizsvc.grading.assignments._norm import forward_backward_case
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import layernorm

SLUG = "layernorm"
SEED = 606
TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)
GRADCHECK_THRESHOLD = 1e-6  # correct code: ~1e-10..1e-8


def _fb(name: str, x: np.ndarray, params: dict, *, points: float, visible: bool, summary: Text,
        backward: bool = True, gradcheck: bool = False, tolerance: Tolerance = TOLERANCE,
        unit_affine: bool = False) -> Case:
    r = rng_for(SEED, name + "/affine")
    d: int = x.shape[1]  # ndarray.shape is tuple[Any, ...]; Any picks the scalar overloads
    gamma = np.ones(d) if unit_affine else r.uniform(0.5, 2.0, size=d)
    beta = np.zeros(d) if unit_affine else r.normal(size=d)
    dout = r.normal(size=x.shape) if backward else None
    return forward_backward_case(
        "layernorm", name, x, gamma.astype(x.dtype), beta.astype(x.dtype), params,
        None if dout is None else dout.astype(x.dtype), points=points, visible=visible,
        summary=summary, tolerance=tolerance, running=False,
        gradcheck_threshold=GRADCHECK_THRESHOLD if gradcheck else None)


def build_cases() -> list[Case]:
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


BASE = read_text("quizsvc.grading.solutions.layernorm", "staged.py")


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("batch_axis", [("mu = np.mean(x, axis=1, keepdims=True)",
                             "mu = np.mean(x, axis=0, keepdims=True)"),
                            ("var = np.mean(xc ** 2, axis=1, keepdims=True)",
                             "var = np.mean(xc ** 2, axis=0, keepdims=True)")],
             ("Statistics over the batch axis", "Layer norm takes mean and variance over the "
              "features of each example (axis 1), not over the batch (that is batch norm)."),
             ("배치 축으로 통계를 계산함", "레이어 정규화는 각 예제의 특성들(축 1)에 대해 "
              "평균·분산을 구합니다. 배치 축은 배치 정규화입니다.")),
    _variant("sample_variance", [("var = np.mean(xc ** 2, axis=1, keepdims=True)",
                                  "var = np.sum(xc ** 2, axis=1, keepdims=True) / (x.shape[1] - 1)")],
             ("Sample variance (D-1)", "Divide by the number of features D, not D - 1: "
              "[5, 7, 9] normalises to about [-1.2247, 0, 1.2247], not [-1, 0, 1]."),
             ("표본분산(D−1)을 사용함", "특성 수 D로 나누세요. [5, 7, 9]는 [−1, 0, 1]이 아니라 "
              "약 [−1.2247, 0, 1.2247]이 됩니다.")),
    _variant("eps_outside_sqrt", [("std = np.sqrt(var + eps)", "std = np.sqrt(var) + eps")],
             ("eps outside the square root", "eps goes inside: sqrt(var + eps)."),
             ("eps를 제곱근 밖에 더함", "eps는 제곱근 안에 넣습니다: sqrt(var + eps).")),
    _variant("dgamma_wrong_axis", [("dgamma = np.sum(dout * x_hat, axis=0)",
                                    "dgamma = np.sum(dout * x_hat, axis=1)")],
             ("dgamma summed over the wrong axis", "gamma has one entry per feature, shared by "
              "all examples: sum dout * x_hat over the batch axis 0."),
             ("dgamma를 잘못된 축으로 합함", "γ는 특성마다 하나이고 모든 예제가 공유합니다. "
              "배치 축 0으로 더하세요.")),
    _variant("dbeta_wrong_axis", [("dbeta = np.sum(dout, axis=0)", "dbeta = np.sum(dout, axis=1)")],
             ("dbeta summed over the wrong axis", "beta has one entry per feature: sum dout "
              "over the batch axis 0."),
             ("dbeta를 잘못된 축으로 합함", "β는 특성마다 하나입니다. dout을 배치 축 0으로 "
              "더하세요.")),
    _variant("requires_mode", [('    eps = ln_param.get("eps", 1e-5)\n',
                                '    eps = ln_param.get("eps", 1e-5)\n'
                                '    if ln_param["mode"] != "train":\n'
                                '        raise ValueError("only train mode")\n')],
             ("Demands a 'mode' key", "Layer norm behaves the same in training and testing: "
              "ln_param has no 'mode' key, do not require one."),
             ("'mode' 키를 요구함", "레이어 정규화는 학습과 테스트에서 같게 동작합니다. "
              "ln_param에는 'mode' 키가 없습니다.")),
    _variant("dx_ignores_stats",
             [("    dxc += 2.0 * xc * dvar / D\n    dmu = -np.sum(dxc, axis=1, keepdims=True)\n"
               "    dx = dxc + dmu / D\n", "    dx = dxc\n")],
             ("dx treats the mean and variance as constants", "Each example's mean and "
              "variance depend on all its features: backpropagate through them too."),
             ("dx에서 평균·분산을 상수로 취급함", "각 예제의 평균과 분산은 모든 특성에 "
              "의존합니다. 그 경로로도 역전파하세요.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Layer normalization", ko="레이어 정규화(layer normalization)"),
    functions=[
        FunctionSpec("layernorm_forward",
                     "layernorm_forward(x, gamma, beta, ln_param) -> (out, cache)"),
        FunctionSpec("layernorm_backward",
                     "layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)"),
    ],
    build_cases=build_cases,
    reference=namespace_of(layernorm),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    order=6,
)
