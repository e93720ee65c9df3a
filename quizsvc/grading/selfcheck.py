"""Validate the graders both ways: correct code gets full marks and no diagnosis; every known
mistake, alone and in every pair the catalogue holds, loses points and is diagnosed as exactly
itself. Used by ``quizsvc selfcheck`` and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from quizsvc.grading import registry
from quizsvc.grading.assignment import Assignment, composed
from quizsvc.grading.diagnosis import catalogue
from quizsvc.grading.engine import grade_source
from quizsvc.grading.result import GradeResult
from quizsvc.grading.runner import Runner, default_runner


@dataclass
class SelfcheckRow:
    label: str
    kind: str  # reference | solution | mistake | pair
    ok: bool
    score: float
    max_score: float
    detail: str
    result: GradeResult


def reference_source(assignment: Assignment) -> str:
    """The reference functions as one self-contained submission (the package's reference.py)."""
    return assignment.reference_source


def submissions(assignment: Assignment) -> list[tuple[str, str, str, str | None]]:
    """(label, kind, source, expected mistake key) for every submission to validate."""
    items: list[tuple[str, str, str, str | None]] = [
        (f"{assignment.slug}/reference", "reference", assignment.reference_source, None)]
    items += [(f"{assignment.slug}/solution:{s.name}", "solution", s.source, None)
              for s in assignment.solutions]
    items += [(f"{assignment.slug}/mistake:{m.key}", "mistake", m.source, m.key)
              for m in assignment.mistakes]
    return items


def pair_submissions(assignment: Assignment) -> list[tuple[str, str, tuple[str, str]]]:
    """(label, source, the two mistake keys) for every pair of known mistakes that can be made
    together and that shows both (the diagnosis catalogue's pairs)."""
    items = []
    for pair in catalogue(assignment).pairs:
        first, second = pair.mistakes
        source = composed(first, second)
        assert source is not None
        items.append((f"{assignment.slug}/pair:{first.key}+{second.key}", source,
                      (first.key, second.key)))
    return items


def judge(label: str, kind: str, result: GradeResult, expected: str | tuple[str, ...] | None
          ) -> SelfcheckRow:
    """Correct code: full marks and no diagnosis. A mistake (or a pair): loses points and is
    named as exactly itself, nothing else."""
    if expected is None:
        ok = result.all_passed and result.score == result.max_score and not result.diagnoses
        detail = "full marks" if ok else "expected full marks: " + "; ".join(
            c.name for c in result.cases if not c.passed)
    else:
        keys = sorted([expected] if isinstance(expected, str) else expected)
        named = result.mistake_keys
        ok = result.score < result.max_score and sorted(named) == keys
        detail = f"diagnosed as {' + '.join(named) if named else 'nothing'}"
    return SelfcheckRow(label, kind, ok, result.score, result.max_score, detail, result)


def run_selfcheck(slugs: list[str] | None = None, runner: Runner | None = None, *,
                  pairs: bool = True) -> list[SelfcheckRow]:
    """The demo course's assignments (``slugs`` of them if given)."""
    runner = runner or default_runner()
    rows = []
    for slug, assignment in registry.all_assignments().items():
        if not slugs or slug in slugs:
            rows += check_assignment(assignment, runner, pairs=pairs)
    return rows


def check_assignment(assignment: Assignment, runner: Runner, *, pairs: bool = True
                     ) -> list[SelfcheckRow]:
    """Every submission of one assignment's version, judged both ways."""
    rows = [judge(label, kind, grade_source(assignment, source, runner=runner), key)
            for label, kind, source, key in submissions(assignment)]
    if pairs:
        rows += [judge(label, "pair", grade_source(assignment, source, runner=runner), keys)
                 for label, source, keys in pair_submissions(assignment)]
    return rows
