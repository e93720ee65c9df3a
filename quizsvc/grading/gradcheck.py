"""Centred finite-difference gradient checks, as feedback next to the comparison with the
reference: they tell "your backward disagrees with your own forward" apart from "your forward
is wrong but your backward is consistent with it".

Each parameter is checked along one random direction v, as JAX's ``check_grads`` and
PyTorch's ``gradcheck(fast_mode=True)`` do: the directional derivative
``(f(p + h v) - f(p - h v)) / 2h`` of the student's forward must match ``<grad, v>`` from the
student's backward. Two calls per parameter instead of two per entry: a 4x3 batch-norm case
needs 6 forward calls, not 36. A wrong gradient is caught along any direction it is not
orthogonal to (probability 0 for a Gaussian v), so a second direction only cost calls: on
every known mistake it flagged nothing the first had not.

The perturbed forward calls run on the untrusted side like any other call; the derivatives
are computed here, on the trusted side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from quizsvc.grading.cases import ExtractError, PathItem, extract
from quizsvc.grading.checks import size1_axes_only
from quizsvc.grading.runner import RunOutcome
from quizsvc.sandbox.records import Number
from quizsvc.text import Text


@dataclass
class GradCheck:
    probes: dict[str, list[tuple[np.ndarray, str, str]]]  # param -> (direction, +h, -h calls)
    shapes: dict[str, tuple[int, ...]]
    analytic: dict[str, tuple[str, tuple[PathItem, ...]]]  # param -> where the student's grad is
    out_path: tuple[PathItem, ...]
    dout: np.ndarray | None  # None: the forward returns a scalar
    h: float
    threshold: float  # relative error above which the backward is called inconsistent

    def directional(self, outcome: RunOutcome, plus: str, minus: str) -> float:
        """The numerical derivative of sum(dout * forward) along one probe's direction."""
        f_plus = _as_float_array(extract(outcome, plus, self.out_path, "forward"))
        f_minus = _as_float_array(extract(outcome, minus, self.out_path, "forward"))
        weight = 1.0 if self.dout is None else self.dout
        return float(np.sum(weight * (f_plus - f_minus)) / (2.0 * self.h))

    def relative_errors(self, outcome: RunOutcome) -> dict[str, float] | None:
        """Worst relative error, per parameter, of the student's gradient against finite
        differences of their own forward."""
        errors = {}
        try:
            # A student's NaN or inf makes the arithmetic warn; the error is then NaN: fine.
            with np.errstate(all="ignore"):
                for param, (call, path) in self.analytic.items():
                    analytic = extract(outcome, call, path, param)
                    if not isinstance(analytic, np.ndarray) or analytic.dtype.kind not in "iuf":
                        return None
                    if size1_axes_only(analytic.shape, self.shapes[param]):  # keepdims=True
                        analytic = analytic.reshape(self.shapes[param])
                    if analytic.shape != self.shapes[param]:
                        return None
                    grad = analytic.astype(np.float64)
                    errors[param] = max(
                        _relative(float(np.sum(grad * direction)),
                                  self.directional(outcome, plus, minus))
                        for direction, plus, minus in self.probes[param])
        except (ExtractError, TypeError, ValueError):
            return None
        if not all(np.isfinite(list(errors.values()))):
            return None  # NaN or inf outputs: the value checks already say so
        return errors

    def feedback(self, outcome: RunOutcome) -> tuple[Text | Literal[""], dict[str, float]]:
        """What the check says, in both languages ("" when it has nothing to say), and the
        relative errors."""
        errors = self.relative_errors(outcome)
        if errors is None:
            return "", {}
        worst = max(errors, key=lambda k: errors[k])
        error = f"{errors[worst]:.1e}"
        if errors[worst] <= self.threshold:
            text = Text(
                en="Gradient check: your gradients agree with a finite-difference gradient of your "
                f"own forward pass (worst relative error {error}), so if they differ from the "
                "expected ones, look at the forward pass first.",
                ko="기울기 검사: 제출한 기울기가 자신의 순전파로 구한 수치 미분(유한 차분) 기울기와 "
                f"일치합니다 (최대 상대 오차 {error}). 기대값과 다르다면 순전파부터 확인하세요.")
        else:
            text = Text(
                en=f"Gradient check: your {worst} disagrees with a finite-difference gradient of "
                f"your own forward pass (relative error {error}): the backward pass does not "
                "differentiate the forward pass.",
                ko=f"기울기 검사: {worst}에 대한 기울기가 자신의 순전파로 구한 수치 미분(유한 차분) "
                f"기울기와 다릅니다 (상대 오차 {error}). 역전파가 순전파를 제대로 미분하지 "
                "않습니다.")
        return text, errors


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1e-8, abs(a) + abs(b))


def _as_float_array(value: Any) -> np.ndarray:
    if isinstance(value, Number):
        return np.asarray(float(value.value))
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value.astype(np.float64)
    raise TypeError("not numeric")
