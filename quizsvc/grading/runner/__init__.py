"""Running a submission's calls: the interface the grader depends on, and its implementations.

The grader only needs ``runner.run(source, program, filename=...) -> RunOutcome``. The default
is the process-wide warm pool of sandboxed fork servers (``quizsvc.sandbox.pool``); the cold
:class:`SubprocessRunner` (a fresh sandboxed interpreter per submission) is the fallback and
the baseline. ``QUIZSVC_RUNNER=cold`` (``Settings.runner``) makes the cold runner the default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome

if TYPE_CHECKING:
    from quizsvc.settings import Settings

__all__ = ["RunOutcome", "Runner", "default_runner"]


class Runner(Protocol):
    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        ...


def default_runner(settings: Settings | None = None) -> Runner:
    """The runner ``settings`` ask for (without them: this process's ``QUIZSVC_*`` variables);
    the warm pool is shared by every caller in the process that asks for the same one."""
    if settings is None:
        from quizsvc.settings import from_environment

        settings = from_environment()
    isolation, floor, debug = settings.sandbox_isolation, settings.sandbox_floor, settings.sandbox_debug
    if settings.runner == "cold":
        from quizsvc.grading.runner.subprocess_runner import SubprocessRunner

        return SubprocessRunner(isolation=isolation, min_level=floor, debug=debug)
    from quizsvc.sandbox.pool import shared_pool

    return shared_pool(settings.grading_pool_size, isolation=isolation, min_level=floor, debug=debug)
