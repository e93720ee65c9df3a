"""Trusted-side output checks: exact type, numeric dtype, exact shape, finite, then tolerance.

Shape and dtype are checked BEFORE values because ``np.allclose`` broadcasts (a scalar 0 would
"match" a zero matrix). Values pass when ``|a - b| <= atol + rtol * |b|`` with b the reference
(numpy.isclose semantics); the CS231n relative error ``max |a-b| / max(1e-8, |a|+|b|)`` is
reported alongside.
"""

from __future__ import annotations

import math
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
        return getattr(value, "type_name", "") or getattr(value, "description", "?")
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


SMALL_ARRAY = 64  # up to this many entries, plain Python floats beat a dozen NumPy calls


def compare_arrays(actual: np.ndarray, expected: np.ndarray, tol: Tolerance, label: str, *,
                   equal_nan: bool = False) -> Comparison:
    a, b = _float64(actual), _float64(expected)
    return (_compare_small(a, b, tol, label, equal_nan)
            or _compare_numpy(a, b, tol, label, equal_nan))


def _float64(array: np.ndarray) -> np.ndarray:
    return array if array.dtype == np.float64 else array.astype(np.float64)


def _compare_small(a: np.ndarray, b: np.ndarray, tol: Tolerance, label: str, equal_nan: bool
                   ) -> Comparison | None:
    """The NumPy path's result, computed with the same IEEE operations on Python floats for a
    small array; None when it does not apply (large or broadcasting arrays, or, unless
    ``equal_nan``, an entry that is not finite)."""
    if not 0 < a.size <= SMALL_ARRAY or a.shape != b.shape:
        return None
    xs, ys = a.ravel().tolist(), b.ravel().tolist()
    diffs = [abs(x - y) for x, y in zip(xs, ys, strict=True)]
    finite = math.isfinite(sum(diffs))  # False: NaN or inf somewhere, or an overflowing sum
    if not finite and not equal_nan:
        return None
    atol, rtol = tol.atol, tol.rtol
    bad = [i for i, (d, y) in enumerate(zip(diffs, ys, strict=True))
           if not d <= atol + rtol * abs(y)]
    if equal_nan and bad:  # NaN matches NaN, inf matches the same inf
        bad = [i for i in bad if not ((xs[i] != xs[i] and ys[i] != ys[i])
                                      or (abs(xs[i]) == math.inf and xs[i] == ys[i]))]
    if not finite:  # np.where(np.isfinite(diff), diff, np.inf)
        diffs = [d if d < math.inf else math.inf for d in diffs]
    max_abs = max(diffs)
    # Like np.argmax: the first worst entry, among the mismatching ones if there are any.
    worst = max(bad, key=diffs.__getitem__) if bad else diffs.index(max_abs)
    if max_abs == math.inf:  # an inf or NaN difference makes relative_error NaN
        max_rel = math.nan
    else:  # relative_error(a, b); for finite s, np.maximum(1e-8, s) is the conditional
        max_rel = max([d / (s if (s := abs(x) + abs(y)) > 1e-8 else 1e-8)
                       for d, x, y in zip(diffs, xs, ys, strict=True)])
    metrics = {"mismatches": len(bad), "size": len(xs), "max_abs_error": max_abs,
               "max_rel_error": max_rel, "worst_index": _unravel(worst, a.shape)}
    if not bad:
        return Comparison(True, metrics=metrics)
    return Comparison(False, "values", _values_message(label, a, b, metrics), metrics)


def _all_close(a: np.ndarray, b: np.ndarray, tol: Tolerance, equal_nan: bool) -> bool:
    """``compare_arrays(...).ok`` without the metrics, stopping at the first mismatch."""
    if a.size > SMALL_ARRAY or a.shape != b.shape:
        return _compare_numpy(a, b, tol, "", equal_nan).ok
    atol, rtol = tol.atol, tol.rtol
    for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True):
        if not abs(x - y) <= atol + rtol * abs(y) and not (
                equal_nan and ((x != x and y != y) or (abs(x) == math.inf and x == y))):
            return False
    return True


def _unravel(flat: int, shape: tuple[int, ...]) -> list[int]:
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return index[::-1]


def _compare_numpy(a: np.ndarray, b: np.ndarray, tol: Tolerance, label: str,
                   equal_nan: bool) -> Comparison:
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
    return Comparison(False, "values", _values_message(label, a, b, metrics), metrics)


def _values_message(label: str, a: np.ndarray, b: np.ndarray, metrics: dict[str, Any]) -> str:
    idx = tuple(metrics["worst_index"])
    return (f"{label}: {metrics['mismatches']} of {metrics['size']} entries differ (max abs "
            f"error {metrics['max_abs_error']:.3g}, max rel error "
            f"{metrics['max_rel_error']:.3g}); worst at index {list(idx)}: expected "
            f"{b[idx]:.8g}, got {a[idx]:.8g}")


def check_array(actual: Any, expected: np.ndarray, tol: Tolerance, label: str, *,
                diagnosing: bool = False, quick: bool = False) -> Comparison:
    """A student's array output against the reference (or a variant's, when diagnosing).

    ``quick``: only ``ok`` and ``problem`` count (diagnosis); values get no metrics or message.
    """
    scalar = actual.ndim == 0 if isinstance(actual, np.ndarray) else (
        isinstance(actual, Number) and np.ndim(actual.value) == 0)
    if scalar and expected.ndim != 0:
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
    a, b = _float64(actual), _float64(expected)
    small = None if quick else _compare_small(a, b, tol, label, diagnosing)
    if small is not None:  # not diagnosing: every entry is finite
        return small
    if not diagnosing and not np.all(np.isfinite(actual)):
        bad = int(actual.size - np.count_nonzero(np.isfinite(actual)))
        return Comparison(False, "nonfinite", f"{label}: {bad} entries are NaN or infinite",
                          {"nonfinite": bad})
    if quick:
        ok = _all_close(a, b, tol, diagnosing)
        return Comparison(ok, None if ok else "values")
    return _compare_numpy(a, b, tol, label, diagnosing)


def check_number(actual: Any, expected: Any, tol: Tolerance, label: str, *,
                 integer: bool = False, diagnosing: bool = False, quick: bool = False
                 ) -> Comparison:
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
                         diagnosing=diagnosing, quick=quick)
    result.metrics.pop("worst_index", None)
    if result.problem == "values":
        result.message = (f"{label}: expected {float(exp):.10g}, got {float(actual.value):.10g} "
                          f"(abs error {abs(float(actual.value) - float(exp)):.3g})")
    return result
