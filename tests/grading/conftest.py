"""Grade every reference / correct solution / known mistake ONCE per test session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.selfcheck import SelfcheckRow, judge, submissions


@pytest.fixture(scope="session")
def graded() -> dict[str, SelfcheckRow]:
    """label -> judged row, e.g. "batchnorm/mistake:eps_outside_sqrt"."""
    jobs = [(a.slug, *item) for a in registry.all_assignments().values()
            for item in submissions(a)]
    for assignment in registry.all_assignments().values():
        assignment.expected  # noqa: B018 - warm the caches before threads share them
        for mistake in assignment.mistakes:
            assignment.variant_outcome(mistake.key)

    def run(job: tuple[str, str, str, str, str | None]) -> SelfcheckRow:
        slug, label, kind, source, key = job
        return judge(label, kind, grade_source(slug, source), key)

    with ThreadPoolExecutor(max_workers=2) as pool:  # the work happens in child processes
        rows = list(pool.map(run, jobs))
    return {row.label: row for row in rows}
