"""Test cases: which calls to run, and how to judge what they returned.

A case is all-or-nothing; partial credit comes from many weighted cases. Value cases compare
outputs with the reference (run in the grader's process); property cases (dropout) judge the
student's outputs on their own. Either can carry a finite-difference gradient check, reported
as feedback only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from quizsvc.grading.catalog import render
from quizsvc.grading.checks import (
    Comparison,
    Label,
    Tolerance,
    check_array,
    check_number,
    describe,
    indexed,
    named,
)
from quizsvc.grading.contract import NO_CONTRACT, Contract
from quizsvc.grading.runner import RunOutcome
from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import CallOutcome, Reason
from quizsvc.text import NO_TEXT, Text

PathItem = int | str
OutputKind = Literal["array", "number", "int", "arrays"]


@dataclass(frozen=True)
class OutputCheck:
    """One output to compare: the value of ``call`` (a call id) at ``path``.

    ``path`` indexes the returned value (``(0,)`` = first item of a returned tuple); a path
    starting with ``"state"`` reads an object sent back after the call (``("state", "bnp",
    "running_mean")``).
    ``label`` names the output in messages (an identifier, or an English/Korean pair) and,
    in English, keys its metrics.
    """

    label: Label
    call: str
    path: tuple[PathItem, ...] = ()
    kind: OutputKind = "array"
    tol: Tolerance | None = None


@dataclass
class Verdict:
    passed: bool
    text: Text = NO_TEXT  # what went wrong, for the student (visible cases only)
    problem: str | None = None  # category shown for hidden cases instead of the message
    metrics: dict[str, Any] = field(default_factory=dict)
    signature: tuple[str, ...] = ()  # property cases: the properties that failed
    features: dict[str, float] = field(default_factory=dict)  # property cases: observed rates
    note: Text = NO_TEXT  # a passing case's remark (a shape accepted up to size-1 axes)
    wrong: tuple[int, ...] = ()  # value cases: indices of the checks that failed (diagnosis)

    @property
    def message(self) -> str:
        """The English message (instructor-only fields)."""
        return self.text.en


class ExtractError(Exception):
    """An output that cannot be read. ``text`` may be given as a function that builds it:
    diagnosis raises many of these and reads none."""

    def __init__(self, text: Text | Callable[[], Text], problem: str) -> None:
        super().__init__(problem)
        self._text, self.problem = text, problem

    @property
    def text(self) -> Text:
        if not isinstance(self._text, Text):
            self._text = self._text()
        return self._text

    @property
    def message(self) -> str:
        return self.text.en

    def __str__(self) -> str:
        return self.text.en


def call_error(result: CallOutcome | None) -> Text:
    """Why a call has no value: its exception, a time limit, not run..."""
    return _error_text(result.error if result and result.error else NOT_RUN)


NOT_RUN = Reason.of(codes.NOT_RUN)


@functools.lru_cache(maxsize=256)  # a failing call is read by several checks and cases
def _error_text(error: Reason) -> Text:
    text = render(error)
    if error.code == codes.EXCEPTION:  # a Python exception's own text, said to be one
        return Text(en=text.en, ko=f"예외가 발생했습니다. {text.en}")
    return text


def _call_failed(what: Label, result: CallOutcome | None) -> Text:
    trace = f"\n{result.traceback.rstrip()}" if result and result.traceback else ""
    name, error = named(what), call_error(result)
    return Text(en=f"{name.en}: {error.en}{trace}", ko=f"{name.ko}: {error.ko}{trace}")


def extract(outcome: RunOutcome, call_id: str, path: tuple[PathItem, ...], what: Label) -> Any:
    result = outcome.outcomes.get(call_id)
    if result is None or not result.ok:
        kind = (result.kind if result else None) or "exception"
        raise ExtractError(lambda: _call_failed(what, result), kind)
    value: Any = result.value
    items = list(path)
    if items and items[0] == "state":
        value, items = result.state.get(str(items[1])), items[2:]
    for item in items:
        if isinstance(item, int):
            if not isinstance(value, tuple | list):
                name, got = named(what), describe(value)
                raise ExtractError(Text(en=f"{name.en}: expected a tuple, got {got.en}",
                                        ko=f"{name.ko}: tuple이어야 하는데 {got.ko}입니다"), "type")
            if item >= len(value):
                name = named(what)
                raise ExtractError(Text(
                    en=f"{name.en}: expected a tuple with at least {item + 1} items, "
                    f"got {len(value)}",
                    ko=f"{name.ko}: 항목이 {item + 1}개 이상인 tuple이어야 하는데 "
                    f"{len(value)}개입니다"), "type")
            value = value[item]
        else:
            if not isinstance(value, dict) or item not in value:
                name = named(what)
                raise ExtractError(Text(en=f"{name.en}: {item!r} is missing",
                                        ko=f"{name.ko}: {item!r} 키가 없습니다"), "type")
            value = value[item]
    return value


def compare_output(check: OutputCheck, actual: Any, expected: Any, default: Tolerance, *,
                   diagnosing: bool = False, quick: bool = False, strict_shape: bool = False
                   ) -> Comparison:
    tol = check.tol or default
    if check.kind == "array":
        return check_array(actual, expected, tol, check.label, diagnosing=diagnosing,
                           quick=quick, strict_shape=strict_shape)
    if check.kind in ("number", "int"):
        return check_number(actual, expected, tol, check.label, integer=check.kind == "int",
                            diagnosing=diagnosing, quick=quick)
    # "arrays": a list (or tuple) of arrays, one per layer
    if not isinstance(actual, list | tuple):
        name, got = named(check.label), describe(actual)
        return Comparison(False, "type", Text(
            en=f"{name.en}: expected a list of {len(expected)} arrays, got {got.en}",
            ko=f"{name.ko}: 배열 {len(expected)}개의 list여야 하는데 {got.ko}입니다"))
    if len(actual) != len(expected):
        name = named(check.label)
        return Comparison(False, "shape", Text(
            en=f"{name.en}: expected {len(expected)} arrays, got {len(actual)}",
            ko=f"{name.ko}: 배열이 {len(expected)}개여야 하는데 {len(actual)}개입니다"))
    metrics: dict[str, Any] = {}
    notes = []
    for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
        result = check_array(a, b, tol, indexed(check.label, i), diagnosing=diagnosing,
                             quick=quick, strict_shape=strict_shape)
        metrics[f"[{i}]"] = result.metrics
        if not result.ok:
            return result
        if result.note.en:
            notes.append(result.note)
    return Comparison(True, metrics=metrics, note=Text.join("; ", notes) if notes else NO_TEXT)


PropertyJudge = Callable[[RunOutcome], Verdict]


@dataclass
class Case:
    name: str
    points: float
    visible: bool
    summary: Text  # what the case exercises, in plain words (shown for visible cases)
    program: Program
    checks: list[OutputCheck] = field(default_factory=list)
    judge: PropertyJudge | None = None  # property cases (no comparison with the reference)
    feature_tol: dict[str, float] = field(default_factory=dict)
    gradcheck: Any = None  # a gradcheck.GradCheck, feedback only
    tolerance: Tolerance = field(default_factory=Tolerance)
    contract: Contract = NO_CONTRACT  # the assignment's (set when it builds its cases)
    _wanted_cache: tuple[RunOutcome, list[Any]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def evaluate(self, outcome: RunOutcome, expected: RunOutcome, *,
                 diagnosing: bool = False) -> Verdict:
        broken = self.contract.input_failures(self.program.calls, outcome.outcomes)
        if self.judge is not None:
            verdict = self.judge(outcome)
            if not broken:
                return verdict
            said = [b.text for b in broken[:3]] + ([] if verdict.passed else [verdict.text])
            return Verdict(False, Text.join("; ", said), broken[0].problem, verdict.metrics,
                           verdict.signature, verdict.features)
        metrics: dict[str, Any] = {}
        failures: list[Comparison] = list(broken)
        notes: list[Text] = []
        wrong: list[int] = []
        strict = self.contract.shapes == "strict"
        for index, (check, want) in enumerate(zip(self.checks, self._wanted(expected),
                                                  strict=True)):
            try:
                got = extract(outcome, check.call, check.path, check.label)
            except ExtractError as exc:
                failures.append(Comparison(False, exc.problem, exc.text))
                wrong.append(index)
                continue
            result = compare_output(check, got, want, self.tolerance, diagnosing=diagnosing,
                                    strict_shape=strict)
            metrics[str(check.label)] = result.metrics
            if not result.ok:
                failures.append(result)
                wrong.append(index)
            elif result.note.en:
                notes.append(result.note)
        note = Text.join("; ", notes) if notes else NO_TEXT
        if not failures:
            return Verdict(True, metrics=metrics, note=note)
        texts = {f.text.en: f.text for f in failures[:3]}  # the same message once
        text = Text.join("; ", list(texts.values()) + notes)
        return Verdict(False, text, failures[0].problem, metrics, wrong=tuple(wrong))

    def _wanted(self, expected: RunOutcome) -> list[Any]:
        """The checks' expected values, extracted once per ``expected`` outcome (the reference's
        is the same object for every grade)."""
        cached = self._wanted_cache
        if cached is None or cached[0] is not expected:
            cached = (expected, [extract(expected, c.call, c.path, c.label) for c in self.checks])
            self._wanted_cache = cached
        return cached[1]

    def matches(self, outcome: RunOutcome, variant: RunOutcome, expected: RunOutcome, *,
                mine: Verdict | None = None, theirs: Verdict | None = None) -> bool:
        """Does a failing student outcome look like this known-mistake variant's outcome?

        ``mine`` / ``theirs``: this case's verdicts on ``outcome`` / ``variant``, if known.
        """
        if theirs is None:
            theirs = self.evaluate(variant, expected)
        if self.judge is not None:
            if mine is None:
                mine = self.judge(outcome)
            if theirs.passed or mine.signature != theirs.signature:
                return False
            return all(abs(mine.features[k] - theirs.features[k]) <= tol
                       for k, tol in self.feature_tol.items()
                       if k in mine.features and k in theirs.features)
        if theirs.passed:
            return False  # the variant behaves correctly here: this case says nothing about it
        for check in self.checks:
            their_call = variant.outcomes.get(check.call)
            if their_call is None or not their_call.ok:  # the variant raises: so must they
                my_call = outcome.outcomes.get(check.call)
                if not (my_call and not my_call.ok and their_call
                        and my_call.error == their_call.error):
                    return False
                continue
            try:
                want = extract(variant, check.call, check.path, check.label)
                got = extract(outcome, check.call, check.path, check.label)
            except ExtractError:
                return False
            if not compare_output(check, got, want, self.tolerance, diagnosing=True,
                                  quick=True, strict_shape=self.contract.shapes == "strict").ok:
                return False
        return True
