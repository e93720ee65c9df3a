"""Running a submission's calls: the interface the grader depends on, and its implementations.

The grader only needs ``runner.run(source, program, filename=...) -> RunOutcome``. The default
is the process-wide warm pool of sandboxed fork servers (``quizsvc.sandbox.pool``); the cold
:class:`SubprocessRunner` (a fresh sandboxed interpreter per submission) is the fallback and
the baseline. Set ``QUIZSVC_RUNNER=cold`` to make the cold runner the default.
"""

from __future__ import annotations

from typing import Protocol

from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome

__all__ = ["RunOutcome", "Runner", "default_runner"]


class Runner(Protocol):
    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        ...


def default_runner() -> Runner:
    import os

    if os.environ.get("QUIZSVC_RUNNER", "").lower() == "cold":
        from quizsvc.grading.runner.subprocess_runner import SubprocessRunner

        return SubprocessRunner()
    from quizsvc.sandbox.pool import shared_pool

    return shared_pool()
