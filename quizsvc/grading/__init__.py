"""The programming-assignment grading engine.

Public API (stable, used by the web/API layer and the CLI)::

    from quizsvc.grading import registry, grade_source
    registry.all_assignments() -> dict[str, Assignment]
    grade_source(slug, source, *, filename="solution.py", runner=None, include_hidden=True,
                 language="en") -> GradeResult

Nothing here imports Flask or the database.
"""

from __future__ import annotations

from quizsvc.grading import registry
from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, Solution
from quizsvc.grading.engine import grade_source
from quizsvc.grading.result import CaseResult, Diagnosis, GradeResult
from quizsvc.grading.runner import Runner, RunOutcome

__all__ = [
    "Assignment",
    "CaseResult",
    "Diagnosis",
    "FunctionSpec",
    "GradeResult",
    "Mistake",
    "RunOutcome",
    "Runner",
    "Solution",
    "grade_source",
    "registry",
]
