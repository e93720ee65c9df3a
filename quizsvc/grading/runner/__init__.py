"""Running a submission's calls: the interface the grader depends on, and its implementations.

The grader only needs ``runner.run(source, program, filename=...) -> RunOutcome``. The default
is the process-wide warm pool of sandboxed fork servers (``quizsvc.sandbox.pool``); the cold
:class:`SubprocessRunner` (a fresh sandboxed interpreter per submission) is the fallback and
the baseline. ``QUIZSVC_RUNNER=cold`` (``Settings.runner``) makes the cold runner the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from quizsvc.grading.protocol import CallOutcome, Program

if TYPE_CHECKING:
    from quizsvc.settings import Settings


@dataclass
class RunOutcome:
    outcomes: dict[str, CallOutcome] = field(default_factory=dict)
    load_error: str | None = None  # the submission could not even be loaded (syntax error, ...)
    load_traceback: str = ""
    stdout: str = ""  # capped output printed while loading, or straight to the file descriptors
    stdout_chars: int = 0
    aborted: str | None = None  # why the process ended early (time limit, crash), if it did
    seconds: float = 0.0


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
