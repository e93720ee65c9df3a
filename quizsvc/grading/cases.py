"""Test cases: which calls to run, and how to judge what they returned.

A case is all-or-nothing; partial credit comes from many weighted cases. Value cases compare
outputs with the reference (run in the grader's process); property cases (dropout) judge the
student's outputs on their own. Either can carry a finite-difference gradient check, reported
as feedback only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from quizsvc.grading.checks import Comparison, Tolerance, check_array, check_number, describe
from quizsvc.grading.protocol import Program
from quizsvc.grading.runner import RunOutcome

PathItem = int | str
OutputKind = Literal["array", "number", "int", "arrays"]


@dataclass(frozen=True)
class OutputCheck:
    """One output to compare: the value of ``call`` (a call id) at ``path``.

    ``path`` indexes the returned value (``(0,)`` = first item of a returned tuple); a path
    starting with ``"state"`` reads an object sent back after the call (``("state", "bnp",
    "running_mean")``).
    """

    label: str
    call: str
    path: tuple[PathItem, ...] = ()
    kind: OutputKind = "array"
    tol: Tolerance | None = None


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    problem: str | None = None  # category shown for hidden cases instead of the message
    metrics: dict[str, Any] = field(default_factory=dict)
    signature: tuple[str, ...] = ()  # property cases: the properties that failed
    features: dict[str, float] = field(default_factory=dict)  # property cases: observed rates


class ExtractError(Exception):
    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.message, self.problem = message, problem


def extract(outcome: RunOutcome, call_id: str, path: tuple[PathItem, ...], what: str) -> Any:
    result = outcome.outcomes.get(call_id)
    if result is None or not result.ok:
        error = result.error if result else "not run"
        kind = (result.kind if result else None) or "exception"
        trace = f"\n{result.traceback.rstrip()}" if result and result.traceback else ""
        raise ExtractError(f"{what}: {error}{trace}", kind)
    value: Any = result.value
    items = list(path)
    if items and items[0] == "state":
        value, items = result.state.get(str(items[1])), items[2:]
    for item in items:
        if isinstance(item, int):
            if not isinstance(value, tuple | list):
                raise ExtractError(f"{what}: expected a tuple, got {describe(value)}", "type")
            if item >= len(value):
                raise ExtractError(f"{what}: expected a tuple with at least {item + 1} items, "
                                   f"got {len(value)}", "type")
            value = value[item]
        else:
            if not isinstance(value, dict) or item not in value:
                raise ExtractError(f"{what}: {item!r} is missing", "type")
            value = value[item]
    return value


def compare_output(check: OutputCheck, actual: Any, expected: Any, default: Tolerance, *,
                   diagnosing: bool = False) -> Comparison:
    tol = check.tol or default
    if check.kind == "array":
        return check_array(actual, expected, tol, check.label, diagnosing=diagnosing)
    if check.kind in ("number", "int"):
        return check_number(actual, expected, tol, check.label, integer=check.kind == "int",
                            diagnosing=diagnosing)
    # "arrays": a list (or tuple) of arrays, one per layer
    if not isinstance(actual, list | tuple):
        return Comparison(False, "type", f"{check.label}: expected a list of "
                          f"{len(expected)} arrays, got {describe(actual)}")
    if len(actual) != len(expected):
        return Comparison(False, "shape", f"{check.label}: expected {len(expected)} arrays, "
                          f"got {len(actual)}")
    metrics: dict[str, Any] = {}
    for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
        result = check_array(a, b, tol, f"{check.label}[{i}]", diagnosing=diagnosing)
        metrics[f"[{i}]"] = result.metrics
        if not result.ok:
            return result
    return Comparison(True, metrics=metrics)


PropertyJudge = Callable[[RunOutcome], Verdict]


@dataclass
class Case:
    name: str
    points: float
    visible: bool
    summary: str  # what the case exercises, in plain words (shown for visible cases)
    program: Program
    checks: list[OutputCheck] = field(default_factory=list)
    judge: PropertyJudge | None = None  # property cases (no comparison with the reference)
    feature_tol: dict[str, float] = field(default_factory=dict)
    gradcheck: Any = None  # a gradcheck.GradCheck, feedback only
    tolerance: Tolerance = field(default_factory=Tolerance)

    def evaluate(self, outcome: RunOutcome, expected: RunOutcome, *,
                 diagnosing: bool = False) -> Verdict:
        if self.judge is not None:
            return self.judge(outcome)
        metrics: dict[str, Any] = {}
        failures: list[Comparison] = []
        for check in self.checks:
            want = extract(expected, check.call, check.path, check.label)
            try:
                got = extract(outcome, check.call, check.path, check.label)
            except ExtractError as exc:
                failures.append(Comparison(False, exc.problem, exc.message))
                continue
            result = compare_output(check, got, want, self.tolerance, diagnosing=diagnosing)
            metrics[check.label] = result.metrics
            if not result.ok:
                failures.append(result)
        if not failures:
            return Verdict(True, metrics=metrics)
        message = "; ".join(dict.fromkeys(f.message for f in failures[:3]))
        return Verdict(False, message, failures[0].problem, metrics)

    def matches(self, outcome: RunOutcome, variant: RunOutcome, expected: RunOutcome) -> bool:
        """Does a failing student outcome look like this known-mistake variant's outcome?"""
        if self.judge is not None:
            mine, theirs = self.judge(outcome), self.judge(variant)
            if theirs.passed or mine.signature != theirs.signature:
                return False
            return all(abs(mine.features[k] - theirs.features[k]) <= tol
                       for k, tol in self.feature_tol.items()
                       if k in mine.features and k in theirs.features)
        if self.evaluate(variant, expected).passed:
            return False  # the variant behaves correctly here: this case says nothing about it
        for check in self.checks:
            theirs = variant.outcomes.get(check.call)
            if theirs is None or not theirs.ok:  # the variant raises: so must the submission
                mine = outcome.outcomes.get(check.call)
                if not (mine and not mine.ok and theirs and mine.error == theirs.error):
                    return False
                continue
            try:
                want = extract(variant, check.call, check.path, check.label)
                got = extract(outcome, check.call, check.path, check.label)
            except ExtractError:
                return False
            if not compare_output(check, got, want, self.tolerance, diagnosing=True).ok:
                return False
        return True
