"""Start sandbox processes from one long-lived thread.

Both tiers tie a fork server's life to its parent with ``PR_SET_PDEATHSIG`` (bubblewrap's
``--die-with-parent``, the fallback tier's ``preexec_fn``). Linux delivers that signal when the
*thread* that forked the server exits, not the process: a server started by a short-lived thread
(a ``ThreadPoolExecutor`` round, a request thread that is later retired) was killed with it, and
the next submission sent to it came back aborted. Every server is therefore started here, on a
daemon thread that lives as long as the process.
"""

from __future__ import annotations

import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(argv, **kwargs)``, forked from the spawner thread."""
    global _executor
    with _lock:
        if _executor is None:
            # One worker that never exits: ThreadPoolExecutor keeps idle workers until shutdown.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-spawner")
        executor = _executor
    return executor.submit(_start, argv, kwargs).result()


def _start(argv: list[str], kwargs: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, **kwargs)


def _forget_after_fork() -> None:
    # A forked process (Celery prefork) has no copy of the spawner thread: start its own.
    global _executor, _lock
    _executor, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
