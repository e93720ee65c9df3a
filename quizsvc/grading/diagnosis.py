"""Recognise known mistakes, alone or in pairs, by comparing a failing submission's outputs with
the outputs of executable mistake variants, all computed on the trusted side from the same inputs.

The rule: a mistake (or a pair) is named only when its variant explains the submission
*consistently*: on every output both computed, the variant's output agrees with the
submission's (within the case's tolerance), the passing outputs included, and at least one
failing output is explained. A variant that would get wrong an output the submission gets right
cannot be the explanation. Pairs are tried only when no single mistake fits; two candidates
that fit equally well (the outputs cannot tell them apart) name nothing, since naming either
could be wrong. When nothing in the catalogue fits, :mod:`symptoms` says what is observed.

Cost: the catalogue (every variant's outputs, and every composable pair's) is computed once per
process at warm start; a submission's matching is set arithmetic over output "slots" plus one
quick comparison per failing output and surviving candidate.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from quizsvc.grading.assignment import Assignment, Mistake
from quizsvc.grading.cases import (
    NOT_RUN,
    Case,
    ExtractError,
    OutputCheck,
    Verdict,
    compare_output,
    extract,
)
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.runner import RunOutcome
from quizsvc.sandbox.records import Reason

# A slot is one judged thing of one case: (case name, check index), or (case name, VERDICT) for
# what a case judges beyond its outputs (a property case's properties, say).
Slot = tuple[str, int]
VERDICT = -1


@dataclass(frozen=True)
class Failed:
    """A call that raised (or timed out): nothing was computed for this slot."""

    error: Reason


@dataclass(frozen=True)
class Unreadable:
    """A value was returned but the output cannot be read from it (a tuple too short...)."""

    problem: str


@dataclass(frozen=True)
class Judged:
    """A case's verdict beyond its outputs: failed properties and their observed rates."""

    problem: str | None
    signature: tuple[str, ...]
    features: tuple[tuple[str, float], ...] = ()


@dataclass
class Candidate:
    """A known mistake, or a pair made together, with its outputs on every case."""

    mistakes: tuple[Mistake, ...]
    observed: dict[Slot, Any]  # only where it differs from the reference
    touched: frozenset[Slot]
    # Touched only by the shape (the values are right): a submission may get these right too.
    strict: frozenset[Slot] = frozenset()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.mistakes)


@dataclass
class Slots:
    """How each slot of an assignment is compared: its case, the reference's value, and the
    check that compares a submission's output with a variant's (the case's tolerance, its atol
    scaled to the reference's magnitude: two wrong outputs that cancel to ~0, like a gradient
    through two-value statistics, agree up to their rounding, not to the last bit)."""

    cases: dict[str, Case]
    wanted: dict[Slot, Any]
    agree: dict[Slot, OutputCheck]


def _slots(assignment: Assignment) -> Slots:
    wanted: dict[Slot, Any] = {}
    agree: dict[Slot, OutputCheck] = {}
    for case in assignment.cases:
        for index, (check, want) in enumerate(zip(case.checks, case._wanted(
                assignment.expected), strict=True)):
            tol = check.tol or case.tolerance
            if check.kind in ("array", "arrays"):
                arrays = want if isinstance(want, list | tuple) else [want]
                scale = max((float(np.max(np.abs(a))) for a in arrays
                             if isinstance(a, np.ndarray) and a.size), default=0.0)
                tol = Tolerance(tol.rtol, tol.atol + tol.rtol * scale)
            wanted[(case.name, index)] = want
            agree[(case.name, index)] = replace(check, tol=tol)
    return Slots({c.name: c for c in assignment.cases}, wanted, agree)


@dataclass
class Catalogue:
    slots: Slots
    singles: list[Candidate]
    pairs: list[Candidate]
    by_key: dict[str, Candidate] = field(default_factory=dict)


@dataclass
class Explanation:
    mistake: Mistake
    explained: list[str]  # failing cases this mistake explains


@dataclass
class Observation:
    """What the submission did, slot by slot (only the slots that can be compared)."""

    passing: set[Slot] = field(default_factory=set)
    failing: dict[Slot, Any] = field(default_factory=dict)  # slot -> the submission's value
    errors: dict[Slot, Reason] = field(default_factory=dict)  # slot -> the call's error


# ----- the catalogue, built once per assignment ----------------------------------------------


def observe_slots(case: Case, outcome: RunOutcome, expected: RunOutcome, verdict: Verdict
                  ) -> dict[Slot, tuple[bool, Any]]:
    """slot -> (agrees with the reference, what was observed) for one case."""
    slots: dict[Slot, tuple[bool, Any]] = {}
    if case.judge is not None:
        slots[(case.name, VERDICT)] = (verdict.passed, _judged(verdict))
        return slots
    any_wrong = False
    for index in range(len(case.checks)):
        # The verdict knows which checks failed; a right output's value is not needed.
        ok = index not in verdict.wrong
        value = None if ok else read(outcome, case, index)
        any_wrong |= not ok
        slots[(case.name, index)] = (ok, value)
    if not verdict.passed and not any_wrong:  # wrong beyond its outputs (e.g. an input changed)
        slots[(case.name, VERDICT)] = (False, _judged(verdict))
    return slots


def read(outcome: RunOutcome, case: Case, index: int) -> Any:
    check = case.checks[index]
    result = outcome.outcomes.get(check.call)
    if result is None or not result.ok:
        return Failed(result.error if result and result.error else NOT_RUN)
    try:
        return extract(outcome, check.call, check.path, check.label)
    except ExtractError as exc:
        return Unreadable(exc.problem)


def _judged(verdict: Verdict) -> Judged:
    return Judged(verdict.problem, verdict.signature, tuple(sorted(verdict.features.items())))


def _candidate(assignment: Assignment, mistakes: tuple[Mistake, ...], outcome: RunOutcome,
               verdicts: dict[str, Verdict]) -> Candidate:
    observed: dict[Slot, Any] = {}
    loose = set()
    for case in assignment.cases:
        wanted = case._wanted(assignment.expected)
        for slot, (ok, value) in observe_slots(case, outcome, assignment.expected,
                                               verdicts[case.name]).items():
            if not ok:
                observed[slot] = value
                if slot[1] != VERDICT and _only_shape(value, wanted[slot[1]]):
                    loose.add(slot)
    return Candidate(mistakes, observed, frozenset(observed), frozenset(observed.keys() - loose))


def _only_shape(value: Any, want: Any) -> bool:
    return (isinstance(value, np.ndarray) and isinstance(want, np.ndarray)
            and value.shape != want.shape and value.size == want.size
            and value.dtype.kind in "iuf"
            and bool(np.allclose(value.ravel(), want.ravel(), rtol=1e-5, atol=1e-8)))


def _same(slots: Slots, a: Candidate, b: Candidate) -> bool:
    """Do two candidates give the same outputs on every case (nothing could tell them apart)?"""
    if a.touched != b.touched:
        return False
    return all(agrees(slots, slot, a.observed[slot], b.observed[slot]) for slot in a.touched)


def _quick_verdict(case: Case, outcome: RunOutcome, expected: RunOutcome) -> Verdict:
    """The verdict as far as diagnosis reads it (which outputs are wrong), without the
    messages and metrics a student would read."""
    if case.judge is not None:
        return case.judge(outcome)
    wrong = []
    strict = case.contract.shapes == "strict"  # as the submission's own verdict is judged
    for index, (check, want) in enumerate(zip(case.checks, case._wanted(expected),
                                              strict=True)):
        value = read(outcome, case, index)
        if isinstance(value, Failed | Unreadable) or not compare_output(
                check, value, want, case.tolerance, quick=True, strict_shape=strict).ok:
            wrong.append(index)
    if wrong:
        return Verdict(False, wrong=tuple(wrong))
    return case.evaluate(outcome, expected)  # right outputs: what else the case judges


@functools.cache
def catalogue(assignment: Assignment) -> Catalogue:
    """Every known mistake's outputs, and those of every pair of mistakes that can be made
    together (same base solution, patches on different code) and that shows both mistakes.
    Computed once per process; :func:`quizsvc.grading.registry.warm_up` calls it."""
    slots = _slots(assignment)
    singles = [_candidate(assignment, (m,), assignment.variant_outcome(m.key),
                          assignment.variant_verdicts(m.key)) for m in assignment.mistakes]
    by_key = {c.mistakes[0].key: c for c in singles}
    pairs = []
    for first, second in itertools.combinations(assignment.mistakes, 2):
        outcome = assignment.pair_outcome(first.key, second.key)
        if outcome is None:  # not composable (built with the package, in the sandbox)
            continue
        verdicts = {c.name: _quick_verdict(c, outcome, assignment.expected)
                    for c in assignment.cases}
        pair = _candidate(assignment, (first, second), outcome, verdicts)
        # A pair that looks like one of its mistakes alone (one masks the other) adds nothing.
        if not any(_same(slots, pair, by_key[m.key]) for m in (first, second)):
            pairs.append(pair)
    return Catalogue(slots, singles, pairs, by_key)


# ----- matching one submission ---------------------------------------------------------------


def agrees(slots: Slots, slot: Slot, mine: Any, theirs: Any) -> bool:
    """Is the submission's value at ``slot`` the variant's (within the case's tolerance)?"""
    case = slots.cases[slot[0]]
    special = (Failed, Unreadable, Judged)
    if isinstance(theirs, special) or isinstance(mine, special):
        if type(mine) is not type(theirs):
            return False
        if isinstance(theirs, Judged):
            return _judged_agree(case, mine, theirs)
        return bool(mine == theirs)
    mine, theirs = _reshape_alike(mine, theirs, slots.wanted[slot])
    return compare_output(slots.agree[slot], mine, theirs, case.tolerance, diagnosing=True,
                          quick=True).ok


def _judged_agree(case: Case, mine: Judged, theirs: Judged) -> bool:
    if mine.signature != theirs.signature or mine.problem != theirs.problem:
        return False
    a, b = dict(mine.features), dict(theirs.features)
    return all(abs(a[k] - b[k]) <= tol for k, tol in case.feature_tol.items()
               if k in a and k in b)


def _reshape_alike(mine: Any, theirs: Any, want: Any) -> tuple[Any, Any]:
    """A variant whose output has the wrong shape stands for every wrong shape with the same
    values in the same order: (C*H*W,) running statistics match (C, H, W) ones."""
    if (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray)
            and isinstance(want, np.ndarray) and theirs.shape != want.shape
            and mine.shape != want.shape and mine.size == theirs.size
            and mine.shape != theirs.shape):
        return mine.reshape(theirs.shape), theirs
    return mine, theirs


def observe(cases: list[Case], verdicts: dict[str, Verdict], outcome: RunOutcome,
            expected: RunOutcome) -> Observation:
    seen = Observation()
    for case in cases:
        verdict = verdicts[case.name]
        if verdict.passed:
            seen.passing.update((case.name, i) for i in range(len(case.checks)))
            seen.passing.add((case.name, VERDICT))
            continue
        for slot, (ok, value) in observe_slots(case, outcome, expected, verdict).items():
            if isinstance(value, Failed):
                seen.errors[slot] = value.error
            elif ok:
                seen.passing.add(slot)
            else:
                seen.failing[slot] = value
    return seen


def consistent(candidate: Candidate, seen: Observation, slots: Slots) -> tuple[int, int] | None:
    """(failures explained, minus the outputs excused) when the candidate explains the
    submission consistently, else None: it contradicts an output (gets wrong one the submission
    gets right, or gets it wrong differently) or explains nothing. Excused: outputs the
    candidate gets wrong only by their shape while the submission gets them right."""
    if not seen.failing.keys() <= candidate.touched or not candidate.strict.isdisjoint(
            seen.passing):
        return None
    for slot, mine in seen.failing.items():
        if not agrees(slots, slot, mine, candidate.observed[slot]):
            return None
    # Calls that raised: the same error as the variant's is evidence, another one says nothing.
    explained = len(seen.failing)
    for slot, error in seen.errors.items():
        theirs = candidate.observed.get(slot)
        explained += isinstance(theirs, Failed) and theirs.error == error
    if not explained:
        return None
    excused = len(seen.passing & (candidate.touched - candidate.strict)) if len(
        candidate.touched) != len(candidate.strict) else 0
    return explained, -excused


def best(candidates: Iterable[Candidate], seen: Observation, slots: Slots) -> Candidate | None:
    """The one candidate that explains the most; None if none does or two tie (the outputs
    cannot tell them apart, and naming either could be wrong)."""
    scored = [(score, c) for c in candidates
              if (score := consistent(c, seen, slots)) is not None]
    if not scored:
        return None
    top = max(s for s, _ in scored)
    winners = [c for s, c in scored if s == top]
    return winners[0] if len(winners) == 1 else None


def explain(assignment: Assignment, cases: list[Case], verdicts: dict[str, Verdict],
            outcome: RunOutcome) -> tuple[list[Explanation], Observation | None]:
    """The known mistake, or pair of mistakes, that explains every failing output ([] if none
    does), and what was observed (None when nothing failed or the submission did not load)."""
    if outcome.load_error or all(verdicts[c.name].passed for c in cases):
        return [], None
    seen = observe(cases, verdicts, outcome, assignment.expected)
    if not seen.failing and not seen.errors:
        return [], seen
    known = catalogue(assignment)
    found = best(known.singles, seen, known.slots)
    if found is None and not _any_consistent(known.singles, seen, known.slots):
        found = best(known.pairs, seen, known.slots)
    if found is None:
        return [], seen
    failing = [c.name for c in cases if not verdicts[c.name].passed]
    return [Explanation(m, _explained(known.by_key[m.key], found, failing, seen))
            for m in found.mistakes], seen


def _any_consistent(candidates: list[Candidate], seen: Observation, slots: Slots) -> bool:
    """Ties among single mistakes are not broken by guessing a pair instead."""
    return any(consistent(c, seen, slots) is not None for c in candidates)


def _explained(single: Candidate, found: Candidate, failing: list[str], seen: Observation
               ) -> list[str]:
    """The failing cases that this mistake (of the found candidate) accounts for."""
    wrong = set(seen.failing) | {s for s in seen.errors if s in found.touched}
    mine = {s[0] for s in wrong if s in single.touched}
    if len(found.mistakes) > 1 and not mine:
        mine = {s[0] for s in wrong}
    return [name for name in failing if name in mine]
