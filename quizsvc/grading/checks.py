"""Trusted-side output checks: exact type, numeric dtype, exact shape, finite, then tolerance.

Shape and dtype are checked BEFORE values because ``np.allclose`` broadcasts (a scalar 0 would
"match" a zero matrix). Values pass when ``|a - b| <= atol + rtol * |b|`` with b the reference
(numpy.isclose semantics); the CS231n relative error ``max |a-b| / max(1e-8, |a|+|b|)`` is
reported alongside.

Every message is built in English and Korean at once (:class:`Text`), from the same formatted
numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quizsvc.grading.catalog import render
from quizsvc.sandbox.records import Number, Opaque, Unsupported
from quizsvc.text import NO_TEXT, Text

# What a message calls an output: an identifier ("dx"), or an English/Korean pair for a label
# with words in it ("out (train step 1)"). Korean messages say "출력 dx".
Label = str | Text


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-8


@dataclass
class Comparison:
    ok: bool
    problem: str | None = None  # type | dtype | shape | size1_axes | nonfinite | values
    text: Text = NO_TEXT
    metrics: dict[str, Any] = field(default_factory=dict)
    note: Text = NO_TEXT  # said even when it passes (a shape accepted up to size-1 axes)

    @property
    def message(self) -> str:
        """The English message (instructor-only fields, tests)."""
        return self.text.en


def named(label: Label) -> Text:
    """The label as messages start: ``dx`` / ``출력 dx``."""
    if isinstance(label, str):
        return Text(en=label, ko=f"출력 {label}")
    return Text(en=label.en, ko=f"출력 {label.ko}")


def indexed(label: Label, index: int) -> Label:
    if isinstance(label, str):
        return f"{label}[{index}]"
    return Text(en=f"{label.en}[{index}]", ko=f"{label.ko}[{index}]")


_ZERO_D = "0-d ndarray of "  # check_number's type name for a 0-d array


def describe(value: Any) -> Text:
    if isinstance(value, np.ndarray):
        return Text(en=f"ndarray of shape {value.shape} and dtype {value.dtype}",
                    ko=f"모양 {value.shape}, dtype {value.dtype}인 ndarray")
    if isinstance(value, Number):
        en = f"{value.type_name} {value.value!r}"
        if value.type_name.startswith(_ZERO_D):
            return Text(en=en, ko=f"0차원 ndarray({value.type_name[len(_ZERO_D):]}) {value.value!r}")
        return Text(en=en, ko=en)
    if isinstance(value, tuple | list):
        kind = type(value).__name__
        return Text(en=f"{kind} of length {len(value)}", ko=f"길이 {len(value)}인 {kind}")
    if isinstance(value, Unsupported):
        return render(value.reason)
    name = value.type_name if isinstance(value, Opaque) else type(value).__name__
    return Text(en=name, ko=name)


def wrong_type(label: Label, shape: tuple[int, ...], actual: Any) -> Text:
    """Not an ndarray where one of ``shape`` was expected."""
    name, got = named(label), describe(actual)
    return Text(en=f"{name.en}: expected an ndarray of shape {shape}, got {got.en}",
                ko=f"{name.ko}: 모양 {shape}인 ndarray여야 하는데 {got.ko}입니다")


def wrong_shape(label: Label, expected: tuple[int, ...], actual: tuple[int, ...]) -> Text:
    name = named(label)
    return Text(en=f"{name.en}: expected shape {expected}, got {actual}",
                ko=f"{name.ko}: 모양(shape)이 {expected}이어야 하는데 {actual}입니다")


def size1_axes_only(actual: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """The shapes differ, but only by axes of size 1: (1, 3) and (3,), (3, 1) and (1, 3)."""
    return actual != expected and ([n for n in actual if n != 1]
                                   == [n for n in expected if n != 1])


def _size1_axes(actual: np.ndarray, expected: np.ndarray, tol: Tolerance, label: Label,
                strict: bool, diagnosing: bool, quick: bool) -> Comparison:
    """An output of the right size whose shape differs only by size-1 axes (keepdims=True):
    its values are compared as reshaped, and the shape is named either way."""
    result = check_array(actual.reshape(expected.shape), expected, tol, label,
                         diagnosing=diagnosing, quick=quick)
    result.metrics["shape"] = list(actual.shape)
    if quick:
        return result if not strict else Comparison(False, "size1_axes")
    name, got, want = named(label), actual.shape, expected.shape
    if strict:
        values = (Text(en="values right", ko="값은 맞지만") if result.ok else
                  Text(en=f"values wrong too ({result.text.en})",
                       ko=f"값도 다릅니다 ({result.text.ko})"))
        return Comparison(False, "size1_axes", Text(
            en=f"{name.en}: {values.en}; shape {got} where {want} is expected. The shapes differ "
            f"only by axes of size 1, but this assignment requires exactly {want} (drop "
            "keepdims=True, or reshape)",
            ko=f"{name.ko}: {values.ko}, 모양(shape)이 {want}이어야 하는데 {got}입니다. 크기 1인 "
            f"축만 다르지만 이 과제는 정확히 {want}를 요구합니다 (keepdims=True를 빼거나 "
            "reshape하세요)"), result.metrics)
    note = Text(en=f"{name.en}: values right; shape {got} where {want} is expected (accepted: "
                "the shapes differ only by axes of size 1)",
                ko=f"{name.ko}: 값은 맞습니다. 모양(shape)이 {want}이어야 하는데 {got}입니다 (크기 "
                "1인 축만 다르므로 인정합니다)")
    if result.ok:
        result.note = note
    else:
        result.text = Text(en=f"{result.text.en} (shape {got} accepted as {want})",
                           ko=f"{result.text.ko} (모양 {got}는 {want}로 인정)")
    return result


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


SMALL_ARRAY = 64  # up to this many entries, plain Python floats beat a dozen NumPy calls


def _float64(array: np.ndarray) -> np.ndarray:
    return array if array.dtype == np.float64 else array.astype(np.float64)


def _compare_small(a: np.ndarray, b: np.ndarray, tol: Tolerance, label: Label, equal_nan: bool
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
    """Whether the arrays match (``_compare_numpy(...).ok``) without the metrics, stopping at the
    first mismatch."""
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


def _compare_numpy(a: np.ndarray, b: np.ndarray, tol: Tolerance, label: Label,
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


def _values_message(label: Label, a: np.ndarray, b: np.ndarray, metrics: dict[str, Any]
                    ) -> Text:
    idx = tuple(metrics["worst_index"])
    name, bad, size = named(label), metrics["mismatches"], metrics["size"]
    abs_err, rel_err = f"{metrics['max_abs_error']:.3g}", f"{metrics['max_rel_error']:.3g}"
    where, want, got = list(idx), f"{b[idx]:.8g}", f"{a[idx]:.8g}"
    return Text(en=f"{name.en}: {bad} of {size} entries differ (max abs error {abs_err}, max rel "
                f"error {rel_err}); worst at index {where}: expected {want}, got {got}",
                ko=f"{name.ko}: {size}개 중 {bad}개 값이 다릅니다 (최대 절대 오차 {abs_err}, 최대 "
                f"상대 오차 {rel_err}). 가장 큰 차이는 인덱스 {where}: 기대값 {want}, 제출값 {got}")


def check_array(actual: Any, expected: np.ndarray, tol: Tolerance, label: Label, *,
                diagnosing: bool = False, quick: bool = False, strict_shape: bool = False
                ) -> Comparison:
    """A student's array output against the reference (or a variant's, when diagnosing).

    ``quick``: only ``ok`` and ``problem`` count (diagnosis); values get no metrics or message.
    ``strict_shape``: a shape that differs only by size-1 axes fails (with that explanation)
    instead of passing with a note.
    """
    scalar = actual.ndim == 0 if isinstance(actual, np.ndarray) else (
        isinstance(actual, Number) and np.ndim(actual.value) == 0)
    if scalar and expected.size == 1 and expected.ndim != 0:  # (1, 1) squeezed: axes only
        actual = actual if isinstance(actual, np.ndarray) else np.asarray(actual.value)
    elif scalar and expected.ndim != 0:
        name, got = named(label), describe(actual)
        return Comparison(False, "type", Text(
            en=f"{name.en}: expected an ndarray of shape {expected.shape}, got a scalar ({got.en})",
            ko=f"{name.ko}: 모양 {expected.shape}인 ndarray여야 하는데 스칼라({got.ko})입니다"))
    if not isinstance(actual, np.ndarray):
        return Comparison(False, "type", wrong_type(label, expected.shape, actual))
    if actual.dtype.kind not in "iuf":
        name = named(label)
        return Comparison(False, "dtype", Text(
            en=f"{name.en}: expected a real numeric dtype, got {actual.dtype}",
            ko=f"{name.ko}: dtype이 실수형 숫자여야 하는데 {actual.dtype}입니다"))
    if size1_axes_only(actual.shape, expected.shape):
        return _size1_axes(actual, expected, tol, label, strict_shape, diagnosing, quick)
    if actual.shape != expected.shape:
        return Comparison(False, "shape", wrong_shape(label, expected.shape, actual.shape),
                          {"shape": list(actual.shape)})
    a, b = _float64(actual), _float64(expected)
    small = None if quick else _compare_small(a, b, tol, label, diagnosing)
    if small is not None:  # not diagnosing: every entry is finite
        return small
    if not diagnosing and not np.all(np.isfinite(actual)):
        bad = int(actual.size - np.count_nonzero(np.isfinite(actual)))
        name = named(label)
        return Comparison(False, "nonfinite", Text(
            en=f"{name.en}: {bad} entries are NaN or infinite",
            ko=f"{name.ko}: {bad}개 값이 NaN 또는 무한대입니다"), {"nonfinite": bad})
    if quick:
        ok = _all_close(a, b, tol, diagnosing)
        return Comparison(ok, None if ok else "values")
    return _compare_numpy(a, b, tol, label, diagnosing)


def check_number(actual: Any, expected: Any, tol: Tolerance, label: Label, *,
                 integer: bool = False, diagnosing: bool = False, quick: bool = False
                 ) -> Comparison:
    """A scalar output: a Python/NumPy number (a 0-d ndarray is accepted for floats)."""
    exp = expected.value if isinstance(expected, Number) else np.asarray(expected).item()
    if isinstance(actual, np.ndarray) and actual.ndim == 0 and not integer:
        actual = Number(actual.item(), f"0-d ndarray of {actual.dtype}")
    if not isinstance(actual, Number) or isinstance(actual.value, bool):
        name, got = named(label), describe(actual)
        array = isinstance(actual, np.ndarray)
        return Comparison(False, "type", Text(
            en=f"{name.en}: expected a number, got {got.en}"
            + (" (use float(...) or .item() to return a plain number)" if array else ""),
            ko=f"{name.ko}: 숫자여야 하는데 {got.ko}입니다"
            + (" (float(...)나 .item()으로 일반 숫자를 반환하세요)" if array else "")))
    if integer:
        name = named(label)
        if not isinstance(actual.value, int):
            got = describe(actual)
            return Comparison(False, "type", Text(en=f"{name.en}: expected an int, got {got.en}",
                                                  ko=f"{name.ko}: int여야 하는데 {got.ko}입니다"))
        if actual.value == exp:
            return Comparison(True)
        return Comparison(False, "values", Text(en=f"{name.en}: expected {exp}, got {actual.value}",
                                                ko=f"{name.ko}: 기대값 {exp}, 제출값 {actual.value}"))
    result = check_array(np.asarray(float(actual.value)), np.asarray(float(exp)), tol, label,
                         diagnosing=diagnosing, quick=quick)
    result.metrics.pop("worst_index", None)
    if result.problem == "values" and not quick:
        name = named(label)
        want, have = f"{float(exp):.10g}", f"{float(actual.value):.10g}"
        error = f"{abs(float(actual.value) - float(exp)):.3g}"
        result.text = Text(en=f"{name.en}: expected {want}, got {have} (abs error {error})",
                           ko=f"{name.ko}: 기대값 {want}, 제출값 {have} (절대 오차 {error})")
    return result
