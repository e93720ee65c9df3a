"""The per-call time limit: an alarm, and what happens when it rings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn


class CallTimeLimit(BaseException):
    """Raised at a time limit where nothing ends the process instead (the grader's own runs of
    trusted code, the rehearsal). In a submission's process the limit ends the process
    (``child.EndAtTimeLimit``): an exception could be caught, even ``except BaseException``
    or ``finally: return ...``, and the call would go on and score."""


# Set by child.main() in a submission's process: reports the time limit and ends the process.
end_at_time_limit: Callable[[], NoReturn] | None = None


def time_up() -> None:
    if end_at_time_limit is not None:
        end_at_time_limit()
    raise CallTimeLimit


def on_alarm(signum: int, frame: Any) -> None:
    time_up()
