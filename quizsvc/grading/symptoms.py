"""Say what is observed when no known mistake explains a submission: which outputs are wrong
(and which are right), in which mode, and how each differs from the expected value (a constant
factor, a sign, a transpose, a small difference the size of eps, NaN only where the input is
constant, a broadcast shape, an extra term proportional to an input...).

Never names a known mistake. Numbers are quoted from visible cases only (a hidden case's
values can echo its inputs). Runs only for failing submissions that the catalogue does not
explain, after the judging; a few NumPy operations per failing output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizsvc.grading.assignment import Assignment
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Label
from quizsvc.grading.diagnosis import VERDICT, Observation, Slot, Unreadable
from quizsvc.sandbox.records import Number
from quizsvc.text import Text

SMALL = 1e-2  # a wrong output within 1% of the expected values is "close"
SAME = 1e-6  # ratios or differences equal to this relative precision are "constant"
F32_SAME = 1e-4  # the same for float32 outputs


@dataclass(frozen=True)
class Pattern:
    """How one wrong output differs from the expected one."""

    kind: str  # factor | offset | transpose | broadcast | size1 | shape | nonfinite_constant |
    #            nonfinite | proportional | small | other
    quiet: Text  # the phrase, without numbers (what may be said of a hidden case)
    detail: Text | None = None  # its numbers (quoted from visible cases only)
    key: tuple[Any, ...] = ()  # equal keys: the same pattern, the same numbers


@dataclass(frozen=True)
class Symptom:
    key: str  # "symptom:<output>"
    title: Text
    text: Text
    cases: list[str]  # the failing cases where it is seen


def describe_symptoms(assignment: Assignment, cases: list[Case], seen: Observation
                      ) -> list[Symptom]:
    """What is wrong about each wrong output."""
    by_name = {c.name: c for c in cases}
    modes = _modes(cases)
    wrong: dict[str, list[Slot]] = {}
    right: set[str] = set()
    for slot in seen.passing:
        if slot[1] != VERDICT:
            right.add(_base(by_name[slot[0]].checks[slot[1]].label))
    for slot in seen.failing:
        if slot[1] == VERDICT and by_name[slot[0]].judge is None:
            continue  # wrong beyond its outputs (an input changed...): the case message says it
        name = "properties" if slot[1] == VERDICT else _base(by_name[slot[0]].checks[slot[1]].label)
        wrong.setdefault(name, []).append(slot)
    right -= set(wrong)
    found = []
    for name, slots in wrong.items():
        if name == "properties":
            found.append(_properties(slots, seen, cases))
            continue
        patterns = [(_pattern(by_name[s[0]], s, seen.failing[s], assignment), by_name[s[0]].visible)
                    for s in slots]
        text = _summarise(patterns)
        title = _title(name, sorted(right))
        mode = _mode_text(slots, seen, modes, by_name)
        cases_text = _cases(len({s[0] for s in slots}))
        parts = [text] + ([mode] if mode else []) + [cases_text]
        found.append(Symptom(f"symptom:{name}", title, Text.join(" ", parts),
                             _names(slots, cases)))
    return found


# ----- which output, which mode ----------------------------------------------------------------


def _base(label: Label) -> str:
    """The output's identifier: "out (test mode)" -> "out"."""
    return str(label).split(" (")[0]


def _title(name: str, right: list[str]) -> Text:
    if right:
        ok = ", ".join(right)
        return Text(en=f"{name} is wrong ({ok}: right)", ko=f"{name} 값이 틀림 ({ok}: 맞음)")
    return Text(en=f"{name} is wrong", ko=f"{name} 값이 틀림")


def _modes(cases: list[Case]) -> dict[str, str]:
    """call id -> "train" or "test", from the mode its parameter dict carries (followed
    through objects bound by earlier calls)."""
    modes: dict[str, str] = {}
    for case in cases:
        bound: dict[str, Any] = {}
        for call in case.program.calls:
            mode: Any = None
            for arg in call["args"]:
                if not isinstance(arg, dict):
                    continue
                if "dict" in arg and "mode" in arg["dict"]:
                    mode = arg["dict"]["mode"].get("value")
                    if "bind" in arg:
                        bound[arg["bind"]] = mode
                elif "object" in arg:
                    update = arg.get("set", {}).get("mode")
                    mode = update.get("value") if update else bound.get(arg["object"])
                    if update:
                        bound[arg["object"]] = mode
            if mode in ("train", "test"):
                modes[call["id"]] = mode
    return modes


def _mode_text(slots: list[Slot], seen: Observation, modes: dict[str, str],
               cases: dict[str, Case]) -> Text | None:
    def mode(slot: Slot) -> str | None:
        return modes.get(cases[slot[0]].checks[slot[1]].call)

    wrong = {mode(s) for s in slots}
    right = {mode(s) for s in seen.passing if s[1] != VERDICT and s[0] in cases}
    if wrong == {"test"} and "train" in right:
        return Text(en="Only in test mode: the train-mode outputs are right.",
                    ko="테스트 모드에서만 틀립니다. 학습 모드 출력은 맞습니다.")
    if wrong == {"train"} and "test" in right:
        return Text(en="Only in train mode: the test-mode outputs are right.",
                    ko="학습 모드에서만 틀립니다. 테스트 모드 출력은 맞습니다.")
    return None


def _names(slots: list[Slot], cases: list[Case]) -> list[str]:
    wrong = {s[0] for s in slots}
    return [c.name for c in cases if c.name in wrong]


def _cases(count: int) -> Text:
    return Text(en=f"(Seen in {count} failing case{'s' if count > 1 else ''}.)",
                ko=f"(실패한 테스트 {count}개에서 보임.)")


# ----- how one output differs ------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.4g}"


def _pattern(case: Case, slot: Slot, got: Any, assignment: Assignment) -> Pattern:
    want = case._wanted(assignment.expected)[slot[1]]
    if isinstance(got, Unreadable):
        return Pattern("other", Text(en="the returned value cannot be read as this output",
                                     ko="반환값에서 이 출력을 읽을 수 없습니다"), key=("unreadable",))
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = Number(got.item(), str(got.dtype))
    if isinstance(want, Number) != isinstance(got, Number):
        return Pattern("other", Text(en="it is a number where an array is expected"
                                     if isinstance(got, Number) else
                                     "it is not a number where a number is expected",
                                     ko="배열이어야 하는데 숫자입니다" if isinstance(got, Number)
                                     else "숫자여야 하는데 숫자가 아닙니다"), key=("type",))
    if isinstance(want, Number):
        return _scalar(got, want)
    if isinstance(want, list | tuple):  # a list of arrays (one per layer)
        if not isinstance(got, list | tuple) or len(got) != len(want) or any(
                not isinstance(g, np.ndarray) or g.shape != w.shape
                for g, w in zip(got, want, strict=True)):
            return Pattern("shape", Text(en="the list of arrays has the wrong length or shapes",
                                         ko="배열 list의 길이나 모양이 다릅니다"), key=("list",))
        got = np.concatenate([np.ravel(g) for g in got])
        want = np.concatenate([np.ravel(w) for w in want])
    if not isinstance(got, np.ndarray) or not isinstance(want, np.ndarray):
        return Pattern("other", Text(en="it is not an array", ko="배열이 아닙니다"), key=("type",))
    if got.dtype.kind not in "iuf":
        return Pattern("other", Text(en="its dtype is not a real number type",
                                     ko="dtype이 실수형 숫자가 아닙니다"), key=("dtype",))
    if got.shape != want.shape:
        return _shape(got, want)
    precision = F32_SAME if np.float32 in (got.dtype, want.dtype) else SAME
    return _values(got.astype(np.float64), want.astype(np.float64), case, slot, assignment,
                   precision)


def _scalar(got: Number, want: Number) -> Pattern:
    g, w = got.value, want.value
    if not isinstance(g, int | float) or isinstance(g, bool) or isinstance(w, bool):
        return Pattern("other", Text(en="it is not a number", ko="숫자가 아닙니다"), key=("type",))
    if isinstance(g, int) and isinstance(w, int):
        d = g - w
        quiet = (Text(en="it is more than expected", ko="기대값보다 큽니다") if d > 0
                 else Text(en="it is less than expected", ko="기대값보다 작습니다"))
        return Pattern("offset", quiet, Text(en=f"by {abs(d)}", ko=f"{abs(d)}만큼"), (d,))
    if not np.isfinite(g):
        return Pattern("nonfinite", Text(en="it is NaN or infinite", ko="NaN 또는 무한대입니다"))
    if w != 0:
        return _factor_pattern(g / w)
    return Pattern("other", Text(en="it is not 0 where 0 is expected", ko="0이어야 하는데 0이 아닙니다"),
                   Text(en=_g(g), ko=_g(g)), (g,))


def _factor_pattern(k: float) -> Pattern:
    if abs(k + 1) <= SAME:
        return Pattern("factor", Text(en="it has the opposite sign (-1 × the expected value)",
                                      ko="부호가 반대입니다 (기대값의 −1배)"), key=(-1.0,))
    return Pattern("factor", Text(en="it is a constant multiple of the expected value",
                                  ko="기대값의 상수배입니다"),
                   Text(en=f"{_g(k)} × the expected value", ko=f"기대값의 {_g(k)}배"), (round(k, 6),))


def _shape(got: np.ndarray, want: np.ndarray) -> Pattern:
    """Shapes are details: a hidden case's shapes are its inputs'."""
    shapes = Text(en=f"shape {got.shape} where {want.shape} is expected",
                  ko=f"모양이 {want.shape}이어야 하는데 {got.shape}")
    key = (got.shape, want.shape)
    if got.ndim == 2 and got.shape == want.shape[::-1]:
        with np.errstate(all="ignore"):
            if np.allclose(got.T, want, rtol=1e-5, atol=1e-8):
                return Pattern("transpose", Text(en="it is the transpose of the expected value",
                                                 ko="기대값의 전치(transpose)입니다"), shapes, key)
    if got.size == want.size:
        if [n for n in got.shape if n != 1] == [n for n in want.shape if n != 1]:
            same = np.allclose(got.ravel(), want.ravel(), rtol=1e-5, atol=1e-8)
            quiet = (Text(en="only size-1 axes of its shape differ; the values are right",
                          ko="모양에서 크기 1인 축만 다르고 값은 맞습니다") if same else
                     Text(en="only size-1 axes of its shape differ, and the values are wrong",
                          ko="모양에서 크기 1인 축만 다르고 값도 틀립니다"))
            return Pattern("size1", quiet, shapes, (*key, same))
        return Pattern("shape", Text(en="its shape is wrong, with the right number of entries",
                                     ko="모양이 다르고 원소 수는 같습니다"), shapes, key)
    try:
        broadcast = np.broadcast_shapes(got.shape, want.shape) == got.shape
    except ValueError:
        broadcast = False
    if broadcast:
        return Pattern("broadcast", Text(en="it has a broadcast shape (arrays of different shapes "
                                         "were combined)",
                                         ko="브로드캐스트된 모양입니다 (모양이 다른 배열이 결합됨)"),
                       shapes, key)
    return Pattern("shape", Text(en="its shape is wrong", ko="모양이 다릅니다"), shapes, key)


def _values(got: np.ndarray, want: np.ndarray, case: Case, slot: Slot,
            assignment: Assignment, precision: float) -> Pattern:
    finite = np.isfinite(got)
    if not finite.all():
        return _nonfinite(~finite, got.size, want)
    diff = got - want
    scale = float(np.max(np.abs(want))) or 1.0
    big = np.abs(want) > 1e-8 * scale
    if big.any() and np.all(np.abs(got[~big]) <= 1e-8 * scale):
        ratio = got[big] / want[big]
        k = float(np.median(ratio))
        if np.all(np.abs(ratio - k) <= precision * max(1.0, abs(k))):
            return _factor_pattern(k)
    c = float(np.median(diff))
    if np.all(np.abs(diff - c) <= precision * scale):
        return Pattern("offset", Text(en="it is the expected value shifted by a constant",
                                      ko="기대값에서 일정한 값만큼 이동했습니다"),
                       Text(en=f"by {_g(c)}", ko=f"{_g(c)}만큼"), (round(c, 6),))
    proportional = _proportional(diff, case, slot, assignment, 10 * precision)
    if proportional is not None:
        return proportional
    rel = float(np.max(np.abs(diff) / np.maximum(np.abs(want), 1e-12 * scale)))
    bad = int(np.count_nonzero(np.abs(diff) > case.tolerance.atol
                               + case.tolerance.rtol * np.abs(want)))
    size = Text(en=f"{bad} of {got.size} entries, at most {_g(rel)} relative",
                ko=f"{got.size}개 중 {bad}개, 상대 오차 최대 {_g(rel)}")
    if rel < SMALL:
        return Pattern("small", Text(en="it is close but not within tolerance: a small term, about "
                                     "the size of eps, differs",
                                     ko="가깝지만 허용 오차 밖입니다: eps 정도 크기의 작은 항이 "
                                     "다릅니다"), size, (bad, round(rel, 6)))
    return Pattern("other", Text(en="its values differ", ko="값이 다릅니다"), size, (bad, round(rel, 6)))


def _nonfinite(bad: np.ndarray, size: int, want: np.ndarray) -> Pattern:
    """NaN/inf confined to whole slices along an axis where the expected output is constant
    (a constant input column or channel: zero variance)."""
    count = int(bad.sum())
    for axis in range(1, bad.ndim) if bad.ndim > 1 else ():
        others = tuple(a for a in range(bad.ndim) if a != axis)
        hit = bad.any(axis=others)
        if not np.array_equal(hit, bad.all(axis=others)):
            continue
        constant = np.ptp(want, axis=others) <= 1e-12 * max(1.0, float(np.max(np.abs(want))))
        if hit.any() and np.array_equal(hit, hit & constant):
            where = [int(i) for i in np.flatnonzero(hit)]
            return Pattern("nonfinite_constant",
                           Text(en="NaN or inf only where the input is constant (zero variance); "
                                "the rest is finite",
                                ko="입력이 상수인 곳(분산 0)에서만 NaN 또는 무한대이고 나머지는 "
                                "유한합니다"),
                           Text(en=f"index {where} of axis {axis}", ko=f"축 {axis}의 인덱스 {where}"),
                           (axis, tuple(where)))
    return Pattern("nonfinite", Text(en="some entries are NaN or infinite",
                                     ko="일부 값이 NaN 또는 무한대입니다"),
                   Text(en=f"{count} of {size} entries", ko=f"{size}개 중 {count}개"), (count, size))


def _proportional(diff: np.ndarray, case: Case, slot: Slot, assignment: Assignment,
                  precision: float) -> Pattern | None:
    """got - expected = k * (one of the call's input arrays): an extra or a missing term."""
    call = next(c for c in case.program.calls if c["id"] == case.checks[slot[1]].call)
    names = _parameters(assignment, call["fn"])
    norm = float(np.linalg.norm(diff))
    for position, arg in enumerate(call["args"]):
        if not isinstance(arg, dict) or "array" not in arg:
            continue
        a = case.program.arrays[arg["array"]].astype(np.float64)
        if a.shape != diff.shape or not np.any(a):
            continue
        k = float(np.vdot(diff, a) / np.vdot(a, a))
        if k and np.linalg.norm(diff - k * a) <= precision * norm:
            name = names[position] if position < len(names) else f"argument {position + 1}"
            return Pattern("proportional",
                           Text(en=f"it differs from the expected value by a multiple of {name}: an "
                                f"extra (or missing) term proportional to {name}",
                                ko=f"기대값과 {name}의 상수배만큼 다릅니다: {name}에 비례하는 항이 "
                                "더해졌거나 빠졌습니다"),
                           Text(en=f"{_g(k)} × {name}", ko=f"{_g(k)} × {name}"), (name, round(k, 6)))
    return None


def _parameters(assignment: Assignment, fn: str) -> list[str]:
    spec = next((f for f in assignment.functions if f.name == fn), None)
    match = re.match(r"\w+\((.*?)\)", spec.signature) if spec else None
    return [p.strip() for p in match.group(1).split(",")] if match else []


def _summarise(patterns: list[tuple[Pattern, bool]]) -> Text:
    """One phrase per kind of difference; its numbers only from a visible case."""
    groups: dict[str, list[tuple[Pattern, bool]]] = {}
    for item in patterns:
        groups.setdefault(item[0].kind, []).append(item)
    phrases = [(_phrase(items), len(items)) for items in groups.values()]
    if len(phrases) == 1:
        phrase, count = phrases[0]
        if count == 1:
            return Text(en=f"{phrase.en[0].upper()}{phrase.en[1:]}.", ko=f"{phrase.ko}.")
        return Text(en=f"In every failing case {phrase.en}.", ko=f"실패한 모든 테스트에서 {phrase.ko}.")
    return Text(en=f"It differs in {len(phrases)} ways: "
                + "; ".join(f"{p.en} ({_count_en(n)})" for p, n in phrases) + ".",
                ko=f"{len(phrases)}가지로 다릅니다: "
                + "; ".join(f"{p.ko} (테스트 {n}개)" for p, n in phrases) + ".")


def _phrase(items: list[tuple[Pattern, bool]]) -> Text:
    quiet = items[0][0].quiet
    shown = [p.detail for p, visible in items if visible and p.detail is not None]
    if not shown:
        return quiet
    if len(items) == 1 or len({p.key for p, _ in items}) == 1:  # the same numbers everywhere
        return Text(en=f"{quiet.en} ({shown[0].en})", ko=f"{quiet.ko} ({shown[0].ko})")
    return Text(en=f"{quiet.en} (in a visible case: {shown[0].en})",
                ko=f"{quiet.ko} (공개 테스트의 예: {shown[0].ko})")


def _count_en(n: int) -> str:
    return f"{n} case{'s' if n > 1 else ''}"


# ----- property cases (dropout) ------------------------------------------------------------------

_PROPERTIES = {
    "kept_values": ("kept entries are not x / keep_prob", "남긴 원소가 x / keep_prob가 아님"),
    "kept_fraction": ("the fraction of kept entries is off", "남긴 원소의 비율이 맞지 않음"),
    "shared_mask": ("every example gets the same mask", "모든 예제가 같은 마스크를 받음"),
    "backward_mask": ("dx does not reuse the forward mask and scale",
                      "dx가 순전파의 마스크와 스케일을 쓰지 않음"),
    "test_not_identity": ("test mode is not the identity", "테스트 모드가 항등 함수가 아님"),
    "test_backward": ("test-mode dx is not dout", "테스트 모드의 dx가 dout이 아님"),
    "same_mask_each_call": ("two calls draw the same mask", "두 호출이 같은 마스크를 뽑음"),
    "ignores_rng": ("the mask does not come from rng", "마스크를 rng로 뽑지 않음"),
}


# The observed rate (a property case's feature) that says how a failed property is off, and
# how to say it: the rate is relative to the right value (1 = right).
_RATES = {
    "kept_values": ("scale", "kept entries are {} × x / keep_prob",
                    "남긴 원소가 x / keep_prob의 {}배임"),
    "kept_fraction": ("kept_fraction", "the kept fraction is {}", "남긴 비율이 {}임"),
    "backward_mask": ("backward_scale", "on kept units dx is {} × dout / keep_prob",
                      "남긴 유닛에서 dx가 dout / keep_prob의 {}배임"),
}


def _properties(slots: list[Slot], seen: Observation, cases: list[Case]) -> Symptom:
    failed: dict[str, None] = {}
    for slot in slots:
        for name in seen.failing[slot].signature:
            failed.setdefault(name)
    visible = {c.name for c in cases if c.visible}
    words = []
    for name in failed:
        en, ko = _PROPERTIES.get(name) or (
            f"an output cannot be judged ({name.removeprefix('error:')})",
            f"판정할 수 없는 출력이 있음 ({name.removeprefix('error:')})")
        rate = _rate(name, [seen.failing[s] for s in slots if s[0] in visible])
        if rate:
            en, ko = f"{en} ({rate.en})", f"{ko} ({rate.ko})"
        words.append((en, ko))
    text = Text(en="; ".join(w[0] for w in words) + ".", ko="; ".join(w[1] for w in words) + ".")
    title = Text(en="Required properties fail", ko="요구되는 성질을 만족하지 않음")
    return Symptom("symptom:properties", title, Text.join(" ", [text, _cases(len(slots))]),
                   _names(slots, cases))


def _rate(name: str, judged: list[Any]) -> Text | None:
    """How a failed property is off, from the first visible case that measured it."""
    if name not in _RATES:
        return None
    feature, en, ko = _RATES[name]
    for verdict in judged:
        features = dict(verdict.features)
        if name in verdict.signature and feature in features:
            value = _g(features[feature])
            return Text(en=en.format(value), ko=ko.format(value))
    return None
