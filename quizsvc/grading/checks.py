"""Trusted-side output checks: exact type, numeric dtype, exact shape, finite, then tolerance.

Shape and dtype are checked BEFORE values because ``np.allclose`` broadcasts (a scalar 0 would
"match" a zero matrix). Values pass when ``|a - b| <= atol + rtol * |b|`` with b the reference
(numpy.isclose semantics); the CS231n relative error ``max |a-b| / max(1e-8, |a|+|b|)`` is
reported alongside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quizsvc.grading.protocol import Number, Opaque, Unsupported


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-8


@dataclass
class Comparison:
    ok: bool
    problem: str | None = None  # type | dtype | shape | nonfinite | values
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Number):
        return f"{value.type_name} {value.value!r}"
    if isinstance(value, Opaque | Unsupported):
        return getattr(value, "type_name", None) or getattr(value, "description", "?")
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def compare_arrays(actual: np.ndarray, expected: np.ndarray, tol: Tolerance, label: str, *,
                   equal_nan: bool = False) -> Comparison:
    a = actual.astype(np.float64)
    b = expected.astype(np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(a - b)
        close = diff <= tol.atol + tol.rtol * np.abs(b)
        if equal_nan:
            close |= np.isnan(a) & np.isnan(b)
            close |= np.isinf(a) & (a == b)
    mismatches = int(close.size - np.count_nonzero(close))
    metrics: dict[str, Any] = {"mismatches": mismatches, "size": int(close.size)}
    if close.size:
        finite_diff = np.where(np.isfinite(diff), diff, np.inf)
        worst = np.unravel_index(int(np.argmax(np.where(close, -1.0, finite_diff))
                                     if mismatches else np.argmax(finite_diff)), close.shape)
        metrics.update(max_abs_error=float(np.max(finite_diff)),
                       max_rel_error=relative_error(a, b),
                       worst_index=[int(i) for i in worst])
    if not mismatches:
        return Comparison(True, metrics=metrics)
    idx = tuple(metrics["worst_index"])
    message = (f"{label}: {mismatches} of {close.size} entries differ (max abs error "
               f"{metrics['max_abs_error']:.3g}, max rel error {metrics['max_rel_error']:.3g}); "
               f"worst at index {list(idx)}: expected {b[idx]:.8g}, got {a[idx]:.8g}")
    return Comparison(False, "values", message, metrics)


def check_array(actual: Any, expected: np.ndarray, tol: Tolerance, label: str, *,
                diagnosing: bool = False) -> Comparison:
    """A student's array output against the reference (or a variant's, when diagnosing)."""
    if isinstance(actual, Number | np.ndarray) and np.ndim(_as_array(actual)) == 0 \
            and expected.ndim != 0:
        return Comparison(False, "type", f"{label}: expected an ndarray of shape "
                          f"{expected.shape}, got a scalar ({describe(actual)})")
    if not isinstance(actual, np.ndarray):
        return Comparison(False, "type", f"{label}: expected an ndarray of shape "
                          f"{expected.shape}, got {describe(actual)}")
    if actual.dtype.kind not in "iuf":
        return Comparison(False, "dtype", f"{label}: expected a real numeric dtype, "
                          f"got {actual.dtype}")
    if actual.shape != expected.shape:
        return Comparison(False, "shape", f"{label}: expected shape {expected.shape}, "
                          f"got {actual.shape}", {"shape": list(actual.shape)})
    if not diagnosing and not np.all(np.isfinite(actual)):
        bad = int(actual.size - np.count_nonzero(np.isfinite(actual)))
        return Comparison(False, "nonfinite", f"{label}: {bad} entries are NaN or infinite",
                          {"nonfinite": bad})
    return compare_arrays(actual, expected, tol, label, equal_nan=diagnosing)


def _as_array(value: Any) -> Any:
    return value.value if isinstance(value, Number) else value


def check_number(actual: Any, expected: Any, tol: Tolerance, label: str, *,
                 integer: bool = False, diagnosing: bool = False) -> Comparison:
    """A scalar output: a Python/NumPy number (a 0-d ndarray is accepted for floats)."""
    exp = expected.value if isinstance(expected, Number) else np.asarray(expected).item()
    if isinstance(actual, np.ndarray) and actual.ndim == 0 and not integer:
        actual = Number(actual.item(), f"0-d ndarray of {actual.dtype}")
    if not isinstance(actual, Number) or isinstance(actual.value, bool):
        shape_hint = (" (use float(...) or .item() to return a plain number)"
                      if isinstance(actual, np.ndarray) else "")
        return Comparison(False, "type", f"{label}: expected a number, got "
                          f"{describe(actual)}{shape_hint}")
    if integer:
        if not isinstance(actual.value, int):
            return Comparison(False, "type", f"{label}: expected an int, got {describe(actual)}")
        ok = actual.value == exp
        message = "" if ok else f"{label}: expected {exp}, got {actual.value}"
        return Comparison(ok, None if ok else "values", message)
    result = check_array(np.asarray(float(actual.value)), np.asarray(float(exp)), tol, label,
                         diagnosing=diagnosing)
    result.metrics.pop("worst_index", None)
    if result.problem == "values":
        result.message = (f"{label}: expected {float(exp):.10g}, got {float(actual.value):.10g} "
                          f"(abs error {abs(float(actual.value) - float(exp)):.3g})")
    return result
