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
from quizsvc.grading.protocol import Number
from quizsvc.grading.result import Text

SMALL = 1e-2  # a wrong output within 1% of the expected values is "close"
SAME = 1e-6  # ratios or differences equal to this relative precision are "constant"
F32_SAME = 1e-4  # the same for float32 outputs


@dataclass(frozen=True)
class Pattern:
    """How one wrong output differs from the expected one."""

    kind: str  # factor | offset | transpose | broadcast | size1 | shape | nonfinite_constant |
    #            nonfinite | proportional | small | other
    text: Text  # the phrase, with numbers (visible cases)
    quiet: Text  # the same phrase without numbers (hidden cases)
    key: tuple[Any, ...] = ()  # equal keys: the same pattern in several cases


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
        return Text(f"{name} is wrong ({ok}: right)", f"{name} 값이 틀림 ({ok}: 맞음)")
    return Text(f"{name} is wrong", f"{name} 값이 틀림")


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
        return Text("Only in test mode: the train-mode outputs are right.",
                    "테스트 모드에서만 틀립니다. 학습 모드 출력은 맞습니다.")
    if wrong == {"train"} and "test" in right:
        return Text("Only in train mode: the test-mode outputs are right.",
                    "학습 모드에서만 틀립니다. 테스트 모드 출력은 맞습니다.")
    return None


def _names(slots: list[Slot], cases: list[Case]) -> list[str]:
    wrong = {s[0] for s in slots}
    return [c.name for c in cases if c.name in wrong]


def _cases(count: int) -> Text:
    return Text(f"(Seen in {count} failing case{'s' if count > 1 else ''}.)",
                f"(실패한 테스트 {count}개에서 보임.)")


# ----- how one output differs ------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.4g}"


def _pattern(case: Case, slot: Slot, got: Any, assignment: Assignment) -> Pattern:
    want = case._wanted(assignment.expected)[slot[1]]
    if isinstance(got, Unreadable):
        text = Text("the returned value cannot be read as this output",
                    "반환값에서 이 출력을 읽을 수 없음")
        return Pattern("other", text, text, ("unreadable",))
    if isinstance(want, Number) or isinstance(got, Number):
        return _scalar(got, want)
    if isinstance(want, list | tuple):  # a list of arrays (one per layer)
        if not isinstance(got, list | tuple) or len(got) != len(want) or any(
                not isinstance(g, np.ndarray) or g.shape != w.shape
                for g, w in zip(got, want, strict=True)):
            text = Text("the list of arrays has the wrong length or shapes",
                        "배열 list의 길이나 모양이 다름")
            return Pattern("shape", text, text, ("list",))
        got = np.concatenate([np.ravel(g) for g in got])
        want = np.concatenate([np.ravel(w) for w in want])
    if not isinstance(got, np.ndarray) or not isinstance(want, np.ndarray):
        text = Text("not an array", "배열이 아님")
        return Pattern("other", text, text, ("type",))
    if got.shape != want.shape:
        return _shape(got, want)
    precision = F32_SAME if np.float32 in (got.dtype, want.dtype) else SAME
    return _values(got.astype(np.float64), want.astype(np.float64), case, slot, assignment,
                   precision)


def _scalar(got: Any, want: Any) -> Pattern:
    g = got.value if isinstance(got, Number) else None
    w = want.value if isinstance(want, Number) else np.asarray(want).item()
    if not isinstance(g, int | float) or isinstance(g, bool):
        text = Text("not a number", "숫자가 아님")
        return Pattern("other", text, text, ("type",))
    if isinstance(g, int) and isinstance(w, int):
        d = g - w
        text = Text(f"it is {abs(d)} {'more' if d > 0 else 'less'} than expected",
                    f"기대값보다 {abs(d)} {'큽니다' if d > 0 else '작습니다'}")
        quiet = Text("it is more than expected" if d > 0 else "it is less than expected",
                     "기대값보다 큽니다" if d > 0 else "기대값보다 작습니다")
        return Pattern("offset", text, quiet, (d,))
    if not np.isfinite(g):
        text = Text("NaN or infinite", "NaN 또는 무한대")
        return Pattern("nonfinite", text, text, ())
    if w != 0:
        k = g / w
        return _factor_pattern(k)
    text = Text(f"{_g(g)} where 0 is expected", f"0이어야 하는데 {_g(g)}")
    return Pattern("other", text, Text("not 0 where 0 is expected", "0이어야 하는데 0이 아님"),
                   ())


def _factor_pattern(k: float) -> Pattern:
    if abs(k + 1) <= SAME:
        text = Text("it has the opposite sign (-1 × the expected value)",
                    "부호가 반대입니다 (기대값의 −1배)")
        return Pattern("factor", text, text, (-1.0,))
    text = Text(f"it is {_g(k)} × the expected value", f"기대값의 {_g(k)}배입니다")
    quiet = Text("it is a constant multiple of the expected value", "기대값의 상수배입니다")
    return Pattern("factor", text, quiet, (round(k, 6),))


def _shape(got: np.ndarray, want: np.ndarray) -> Pattern:
    shapes = Text(f"shape {got.shape} where {want.shape} is expected",
                  f"모양이 {want.shape}이어야 하는데 {got.shape}")
    if got.ndim == 2 and got.shape == want.shape[::-1]:
        with np.errstate(all="ignore"):
            if np.allclose(got.T, want, rtol=1e-5, atol=1e-8):
                text = Text(f"it is the transpose of the expected value ({shapes.en})",
                            f"기대값의 전치(transpose)입니다 ({shapes.ko})")
                return Pattern("transpose", text, text, ())
    if got.size == want.size:
        same = np.allclose(got.ravel(), want.ravel(), rtol=1e-5, atol=1e-8, equal_nan=True)
        if [n for n in got.shape if n != 1] == [n for n in want.shape if n != 1]:
            text = Text(f"{shapes.en}: only size-1 axes differ"
                        + ("; the values are right" if same else ""),
                        f"{shapes.ko}: 크기 1인 축만 다릅니다" + ("; 값은 맞습니다" if same else ""))
            return Pattern("size1", text, text, (got.shape,))
        text = Text(f"{shapes.en}, the same number of entries", f"{shapes.ko}, 원소 수는 같음")
        return Pattern("shape", text, text, (got.shape,))
    try:
        broadcast = np.broadcast_shapes(got.shape, want.shape) == got.shape
    except ValueError:
        broadcast = False
    if broadcast:
        text = Text(f"a broadcast shape: {shapes.en} (two arrays of different shapes were "
                    "combined)",
                    f"브로드캐스트된 모양: {shapes.ko} (모양이 다른 두 배열이 결합됨)")
        return Pattern("broadcast", text, text, (got.shape,))
    return Pattern("shape", shapes, shapes, (got.shape,))


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
        text = Text(f"it is the expected value shifted by {_g(c)}",
                    f"기대값에서 {_g(c)}만큼 이동했습니다")
        quiet = Text("it is the expected value shifted by a constant",
                     "기대값에서 일정한 값만큼 이동했습니다")
        return Pattern("offset", text, quiet, (round(c, 6),))
    proportional = _proportional(diff, case, slot, assignment, 10 * precision)
    if proportional is not None:
        return proportional
    rel = float(np.max(np.abs(diff) / np.maximum(np.abs(want), 1e-12 * scale)))
    bad = int(np.count_nonzero(np.abs(diff) > case.tolerance.atol
                               + case.tolerance.rtol * np.abs(want)))
    if rel < SMALL:
        text = Text(f"it is close but not within tolerance (at most {_g(rel)} relative, in "
                    f"{bad} of {got.size} entries): a small term, about the size of eps, "
                    "differs",
                    f"가깝지만 허용 오차 밖입니다 (상대 오차 최대 {_g(rel)}, {got.size}개 중 "
                    f"{bad}개): eps 정도 크기의 작은 항이 다릅니다")
        quiet = Text("it is close but not within tolerance: a small term, about the size of "
                     "eps, differs",
                     "가깝지만 허용 오차 밖입니다: eps 정도 크기의 작은 항이 다릅니다")
        return Pattern("small", text, quiet, (bad, round(rel, 6)))
    text = Text(f"{bad} of {got.size} entries differ, by up to {_g(rel)} relative",
                f"{got.size}개 중 {bad}개 값이 다르고 상대 오차는 최대 {_g(rel)}입니다")
    quiet = Text("its values differ", "값이 다릅니다")
    return Pattern("other", text, quiet, (bad, round(rel, 6)))


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
            text = Text(f"NaN or inf only at index {where} of axis {axis}, where the input is "
                        "constant (zero variance); the rest is finite",
                        f"축 {axis}의 인덱스 {where}에서만 NaN 또는 무한대입니다. 그곳의 입력은 "
                        "상수입니다 (분산 0). 나머지는 유한합니다")
            quiet = Text("NaN or inf only where the input is constant (zero variance)",
                         "입력이 상수인 곳(분산 0)에서만 NaN 또는 무한대입니다")
            return Pattern("nonfinite_constant", text, quiet, (axis,))
    text = Text(f"{count} of {size} entries are NaN or infinite",
                f"{size}개 중 {count}개 값이 NaN 또는 무한대입니다")
    quiet = Text("some entries are NaN or infinite", "일부 값이 NaN 또는 무한대입니다")
    return Pattern("nonfinite", text, quiet, ())


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
            text = Text(f"it differs from the expected value by {_g(k)} × {name}: an extra (or "
                        f"missing) term proportional to {name}",
                        f"기대값과 {_g(k)} × {name}만큼 다릅니다: {name}에 비례하는 항이 더해졌거나 "
                        "빠졌습니다")
            quiet = Text(f"it differs from the expected value by a multiple of {name}: an extra "
                         f"(or missing) term proportional to {name}",
                         f"기대값과 {name}의 상수배만큼 다릅니다: {name}에 비례하는 항이 "
                         "더해졌거나 빠졌습니다")
            return Pattern("proportional", text, quiet, (name, round(k, 6)))
    return None


def _parameters(assignment: Assignment, fn: str) -> list[str]:
    spec = next((f for f in assignment.functions if f.name == fn), None)
    match = re.match(r"\w+\((.*?)\)", spec.signature) if spec else None
    return [p.strip() for p in match.group(1).split(",")] if match else []


def _summarise(patterns: list[tuple[Pattern, bool]]) -> Text:
    """One sentence per kind of difference, with the numbers of a visible case."""
    groups: dict[str, list[tuple[Pattern, bool]]] = {}
    for item in patterns:
        groups.setdefault(item[0].kind, []).append(item)
    phrases = []
    for items in groups.values():
        shown = [p for p, visible in items if visible]
        quiet = items[0][0].quiet
        if shown and len({p.key for p, _ in items}) == 1:
            phrase = shown[0].text
        elif shown:
            phrase = Text(f"{quiet.en} (in a visible case: {shown[0].text.en})",
                          f"{quiet.ko} (공개 테스트의 예: {shown[0].text.ko})")
        else:
            phrase = quiet
        phrases.append((phrase, len(items)))
    if len(phrases) == 1:
        phrase, count = phrases[0]
        if count == 1:
            return Text(f"{phrase.en[0].upper()}{phrase.en[1:]}.", f"{phrase.ko}.")
        return Text(f"In every failing case {phrase.en}.", f"실패한 모든 테스트에서 {phrase.ko}.")
    return Text(f"It differs in {len(phrases)} ways: "
                + "; ".join(f"{p.en} ({_count_en(n)})" for p, n in phrases) + ".",
                f"{len(phrases)}가지로 다릅니다: "
                + "; ".join(f"{p.ko} (테스트 {n}개)" for p, n in phrases) + ".")


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
    text = Text("; ".join(w[0] for w in words) + ".", "; ".join(w[1] for w in words) + ".")
    title = Text("Required properties fail", "요구되는 성질을 만족하지 않음")
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
            return Text(en.format(value), ko.format(value))
    return None
