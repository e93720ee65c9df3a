"""The one-machine dispatcher: a thread pool in the web process feeding the grading runner.

Threads only wait on the sandbox (the work happens in forked children), so a few threads keep
the pool busy. Started lazily on the first enqueue; at start it re-dispatches whatever the
database says is queued or stuck, and a sweep repeats that periodically.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

log = logging.getLogger("quizsvc.queue")


class InProcessDispatcher:
    def __init__(self, app: Flask, workers: int | None = None, sweep_seconds: float = 30.0) -> None:
        self.app = app
        self.workers = workers or int(app.config.get("POOL_SIZE") or os.cpu_count() or 2)
        self.sweep_seconds = sweep_seconds
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._inflight: set[int] = set()
        self._stop = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._executor is not None:
                return
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="grader")
        # The first sweep runs on the sweeper thread too: the caller may be inside a request
        # whose database session must not be touched.
        threading.Thread(target=self._sweeper, name="grader-sweep", daemon=True).start()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=not wait)

    # -- dispatch ----------------------------------------------------------------------------

    def enqueue(self, submission_id: int) -> None:
        if self._executor is None:
            self.start()
        with self._lock:
            if submission_id in self._inflight or self._executor is None:
                return
            self._inflight.add(submission_id)
            self._executor.submit(self._run, submission_id)

    def _run(self, submission_id: int) -> None:
        from quizsvc.db import get_grading_session
        from quizsvc.services.submissions import process

        try:
            with self.app.app_context():
                process(get_grading_session(), submission_id, self.runner())
        except Exception:  # logged; the row stays queued/leased and a sweep retries it
            log.exception("grading submission %s failed", submission_id)
        finally:
            with self._lock:
                self._inflight.discard(submission_id)

    def runner(self) -> Any:
        from quizsvc.grading.runner import default_runner

        return default_runner()

    def sweep(self) -> int:
        """Re-dispatch queued submissions and expired claims (after a crash or restart)."""
        from quizsvc.db import get_session
        from quizsvc.services.submissions import pending_ids

        with self.app.app_context():
            ids = pending_ids(get_session())
        for sid in ids:
            self.enqueue(sid)
        return len(ids)

    def _sweeper(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("sweep failed")
            if self._stop.wait(self.sweep_seconds):
                return
