"""Grade every reference / correct solution / known mistake ONCE per test session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.result import GradeResult
from quizsvc.grading.runner import RunOutcome, default_runner
from quizsvc.grading.selfcheck import SelfcheckRow, judge, submissions
from quizsvc.sandbox.program import Program


class RunOnce:
    """The default (sandboxed) runner, run once: a second grade of the same submission, in
    the other language, reads the same outcome."""

    def __init__(self) -> None:
        self.outcome: RunOutcome | None = None

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        if self.outcome is None:
            self.outcome = default_runner().run(source, program, filename=filename)
        return self.outcome


@pytest.fixture(scope="session")
def graded_both() -> dict[str, tuple[SelfcheckRow, GradeResult]]:
    """label -> (judged row, graded in English; the same run graded in Korean)."""
    jobs = [(a.slug, *item) for a in registry.all_assignments().values()
            for item in submissions(a)]
    for assignment in registry.all_assignments().values():
        assignment.expected  # noqa: B018 - warm the caches before threads share them
        for mistake in assignment.mistakes:
            assignment.variant_outcome(mistake.key)

    def run(job: tuple[str, str, str, str, str | None]) -> tuple[SelfcheckRow, GradeResult]:
        slug, label, kind, source, key = job
        runner = RunOnce()
        row = judge(label, kind, grade_source(slug, source, runner=runner), key)
        return row, grade_source(slug, source, runner=runner, language="ko")

    with ThreadPoolExecutor(max_workers=2) as pool:  # the work happens in child processes
        pairs = list(pool.map(run, jobs))
    return {row.label: (row, korean) for row, korean in pairs}


@pytest.fixture(scope="session")
def graded(graded_both: dict[str, tuple[SelfcheckRow, GradeResult]]) -> dict[str, SelfcheckRow]:
    """label -> judged row, e.g. "batchnorm/mistake:eps_outside_sqrt"."""
    return {label: row for label, (row, _) in graded_both.items()}


@pytest.fixture(scope="session")
def graded_ko(graded_both: dict[str, tuple[SelfcheckRow, GradeResult]]
              ) -> dict[str, GradeResult]:
    """label -> the same submission's grade in Korean (from the same run)."""
    return {label: korean for label, (_, korean) in graded_both.items()}
