"""Running a submission's calls: the interface the grader depends on, and its implementations.

The grader only needs ``runner.run(source, program, filename=...) -> RunOutcome``; a hardened
sandbox with a warm fork-server pool can replace :class:`SubprocessRunner` behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from quizsvc.grading.protocol import CallOutcome, Program


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


def default_runner() -> Runner:
    from quizsvc.grading.runner.subprocess_runner import SubprocessRunner

    return SubprocessRunner()
