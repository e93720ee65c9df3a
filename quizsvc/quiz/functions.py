"""The reference functions an item may name in ``compute``, described for the item editor: name,
parameters (from the signature), a one-line description in English (the docstring's first line)
and Korean, and example arguments that make a working settings template."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from quizsvc.quiz.params import compute_key
from quizsvc.text import Text
from reference.answers import ANSWER_FUNCTIONS

# Korean one-liners and example arguments; a test checks every function has both and that the
# examples compute.
_KO: dict[str, str] = {
    "l1_norm": "‖x‖₁: 절댓값의 합.",
    "l2_norm": "‖x‖₂: 유클리드 길이.",
    "frobenius_norm": "‖W‖_F: 행렬 원소 제곱합의 제곱근.",
    "l1_penalty_sum": "λ·Σ|w_i| (라쏘 항).",
    "l2_penalty_sum": "λ·Σw_i² (릿지 항).",
    "l2_cost_term": "(λ/2m)·Σ‖W_l‖_F²: 층마다 가중치 제곱합 (편향 제외).",
    "weight_decay_factor": "L2가 매 단계 W에 곱하는 인자 (1 − αλ/m).",
    "weight_decay_step": "W := (1 − αλ/m)W − α·grad (grad는 정규화 전 역전파 항).",
    "l2_single_weight_step": "J = (wx + b − y)² + λw²에서 경사 하강 한 단계.",
    "l1_single_weight_step": "J = (wx + b − y)² + λ|w|에서 한 단계 (w = 0에서 서브그래디언트 0).",
    "batch_normalize": "한 특성의 미니배치(축 0)에 대한 x̂ = (x − μ_B)/√(σ²_B + ε).",
    "batch_norm_affine": "y = γ·x̂ + β (x̂는 batch_normalize의 결과).",
    "layer_normalize": "각 예제의 특성(마지막 축)에 대한 x̂, 모집단 분산 사용.",
    "population_variance": "모집단 분산: 평균과의 차이 제곱의 평균 (개수로 나눔).",
    "unbiased_variance": "불편 분산: 모집단 분산의 m/(m−1)배.",
    "mean": "모든 원소의 산술 평균.",
    "std": "모집단 표준편차: 모집단 분산의 제곱근.",
    "running_average": "이동 평균: momentum·running + (1 − momentum)·batch (CS231n 방식).",
    "inverted_dropout_scale": "역 드롭아웃에서 남은 활성값에 곱하는 1/keep_prob.",
    "expected_dropped_units": "평균적으로 0이 되는 유닛 수 (1 − keep_prob)·n.",
    "early_stopping_epoch": "검증 손실이 가장 낮은 에포크 (0부터 셈): 멈추거나 되돌아갈 곳.",
}
_EXAMPLES: dict[str, dict[str, Any]] = {
    "l1_norm": {"x": [2, 3, 4]},
    "l2_norm": {"x": [2, 3, 4]},
    "frobenius_norm": {"w": [[1, 2], [3, 4]]},
    "l1_penalty_sum": {"w": [1, -2, 3], "lam": 0.1},
    "l2_penalty_sum": {"w": [1, -2, 3], "lam": 0.1},
    "l2_cost_term": {"weights": [[[1, 2], [3, 4]], [[0.5, -1]]], "lam": 0.1, "m": 10},
    "weight_decay_factor": {"lr": 0.1, "lam": 0.5, "m": 100},
    "weight_decay_step": {"w": [1, 2], "grad": [0.1, -0.2], "lr": 0.1, "lam": 0.5, "m": 100},
    "l2_single_weight_step": {"w": 1, "x": 2, "b": 0, "y": 1, "lam": 0.1, "lr": 0.01},
    "l1_single_weight_step": {"w": 1, "x": 2, "b": 0, "y": 1, "lam": 0.1, "lr": 0.01},
    "batch_normalize": {"x": [10, 20, 30, 40]},
    "batch_norm_affine": {"x": [1, 2, 3], "gamma": 2, "beta": 0.5},
    "layer_normalize": {"x": [[1, 2, 3], [4, 6, 8]]},
    "population_variance": {"x": [1, 2, 3, 4]},
    "unbiased_variance": {"x": [1, 2, 3, 4]},
    "mean": {"x": [1, 2, 3, 4]},
    "std": {"x": [1, 2, 3, 4]},
    "running_average": {"running": 0.5, "batch": 0.8, "momentum": 0.9},
    "inverted_dropout_scale": {"keep_prob": 0.8},
    "expected_dropped_units": {"n_units": 50, "keep_prob": 0.8},
    "early_stopping_epoch": {"val_losses": [0.9, 0.7, 0.65, 0.7]},
}


@dataclass(frozen=True)
class ReferenceFunction:
    name: str
    parameters: str  # "w, lam=1.0"
    description: Text
    type_name: str  # the item type its result fits: numeric or vector
    template: str  # settings (YAML) for a new item using it


def _flow_yaml(config: dict[str, Any]) -> str:
    # lists of numbers on one line, as an instructor writes them
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)


def _parameters(fn: Any) -> str:
    out = []
    for p in inspect.signature(fn).parameters.values():
        out.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return ", ".join(out)


@cache
def reference_functions() -> tuple[ReferenceFunction, ...]:
    out = []
    for name, fn in ANSWER_FUNCTIONS.items():
        doc = re.sub(r":func:`([^`]+)`", r"\1", (inspect.getdoc(fn) or name).splitlines()[0])
        args = _EXAMPLES.get(name, {})
        try:
            vector = isinstance(compute_key({"fn": name, "args": args}, {}), list)
        except Exception:  # a function without a working example: offered as numeric
            vector = False
        type_name = "vector" if vector else "numeric"
        config = {"compute": {"fn": name, "args": args},
                  "tolerance": {"atol": 0.001} if vector else {"rtol": 0.01}}
        out.append(ReferenceFunction(name, _parameters(fn), Text(en=doc, ko=_KO.get(name, doc)),
                                     type_name, _flow_yaml(config)))
    return tuple(out)
