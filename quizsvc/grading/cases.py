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
                   diagnosing: bool = False, quick: bool = False) -> Comparison:
    tol = check.tol or default
    if check.kind == "array":
        return check_array(actual, expected, tol, check.label, diagnosing=diagnosing,
                           quick=quick)
    if check.kind in ("number", "int"):
        return check_number(actual, expected, tol, check.label, integer=check.kind == "int",
                            diagnosing=diagnosing, quick=quick)
    # "arrays": a list (or tuple) of arrays, one per layer
    if not isinstance(actual, list | tuple):
        return Comparison(False, "type", f"{check.label}: expected a list of "
                          f"{len(expected)} arrays, got {describe(actual)}")
    if len(actual) != len(expected):
        return Comparison(False, "shape", f"{check.label}: expected {len(expected)} arrays, "
                          f"got {len(actual)}")
    metrics: dict[str, Any] = {}
    for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
        result = check_array(a, b, tol, f"{check.label}[{i}]", diagnosing=diagnosing,
                             quick=quick)
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
    _wanted_cache: tuple[RunOutcome, list[Any]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def evaluate(self, outcome: RunOutcome, expected: RunOutcome, *,
                 diagnosing: bool = False) -> Verdict:
        if self.judge is not None:
            return self.judge(outcome)
        metrics: dict[str, Any] = {}
        failures: list[Comparison] = []
        for check, want in zip(self.checks, self._wanted(expected), strict=True):
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
                                  quick=True).ok:
                return False
        return True
