"""The one-machine dispatcher: grading threads in the web process feeding the grading runner.

Threads only wait on the sandbox (the work happens in forked children), so a few threads keep
the pool busy. Started lazily on the first enqueue; at start it re-dispatches whatever the
database says is queued or stuck, and a sweep repeats that periodically.

In a burst each thread takes a share of the backlog (at most ``max_batch``) and grades it as
one batch: one claim statement and one finishing transaction instead of two of each per
submission. With a short queue every submission is a batch of its own, so no thread idles
while another holds work.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from flask import Flask

from quizsvc.settings import Settings

log = logging.getLogger("quizsvc.queue")
MAX_BATCH = 8  # submissions per claim: bounds the wait for the last result of a batch


class InProcessDispatcher:
    def __init__(self, app: Flask, settings: Settings, max_batch: int = MAX_BATCH) -> None:
        self.app = app
        self.settings = settings
        self.workers = settings.grading_pool_size  # one thread per fork server keeps each busy
        self.sweep_seconds = settings.sweep_seconds
        self.max_batch = max_batch
        self._threads: list[threading.Thread] = []
        self._ready = threading.Condition()
        self._queue: deque[int] = deque()
        self._inflight: set[int] = set()  # queued here or being graded: enqueue ignores these
        self._busy = 0  # threads grading a batch
        self._stop = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._ready:
            if self._threads:
                return
            if self._stop.is_set():  # started again after a stop
                self._stop = threading.Event()
            stop = self._stop
            self._threads = [threading.Thread(target=self._grader, args=(stop,), name=f"grader-{i}",
                                              daemon=True) for i in range(self.workers)]
        for thread in self._threads:
            thread.start()
        # The first sweep runs on the sweeper thread too: the caller may be inside a request
        # whose database session must not be touched.
        threading.Thread(target=self._sweeper, args=(stop,), name="grader-sweep", daemon=True).start()

    def stop(self, wait: bool = True) -> None:
        """Stop taking work. Queued ids are dropped (their rows stay queued for a sweep);
        ``wait`` lets the batches being graded finish."""
        with self._ready:
            self._stop.set()
            self._queue.clear()
            self._inflight.clear()
            threads, self._threads = self._threads, []
            self._ready.notify_all()
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    # -- dispatch ----------------------------------------------------------------------------

    def enqueue(self, submission_id: int) -> None:
        if not self._threads:
            self.start()
        with self._ready:
            if submission_id in self._inflight:
                return
            self._inflight.add(submission_id)
            self._queue.append(submission_id)
            self._ready.notify()

    def _next_batch(self, stop: threading.Event) -> list[int]:
        """Wait for work; take an even share of the backlog among the idle threads."""
        with self._ready:
            while not self._queue and not stop.is_set():
                self._ready.wait()
            if stop.is_set():
                return []
            idle = max(1, self.workers - self._busy)
            size = min(self.max_batch, -(-len(self._queue) // idle))
            self._busy += 1
            return [self._queue.popleft() for _ in range(size)]

    def _grader(self, stop: threading.Event) -> None:
        while batch := self._next_batch(stop):
            try:
                self._run(batch)
            finally:
                with self._ready:
                    self._busy -= 1
                    self._inflight.difference_update(batch)

    def _run(self, batch: list[int]) -> None:
        from quizsvc.db import get_grading_session
        from quizsvc.services.submissions.claims import process_batch

        try:
            with self.app.app_context():
                process_batch(get_grading_session(), batch, self.runner(),
                              lease_seconds=self.settings.lease_seconds)
        except Exception:  # logged; the rows stay queued/leased and a sweep retries them
            log.exception("grading submissions %s failed", batch)

    def warm_up(self) -> None:
        """Before taking work: the grading caches and this process's sandbox pool."""
        from quizsvc.queue import warm_grading

        warm_grading(self.runner(), self.app)

    def runner(self) -> Any:
        from quizsvc.grading.runner import default_runner

        return default_runner(self.settings)

    def sweep(self) -> int:
        """Re-dispatch queued submissions and expired claims (after a crash or restart)."""
        from quizsvc.db import get_session
        from quizsvc.services.submissions.claims import pending_ids

        with self.app.app_context():
            ids = pending_ids(get_session())
        for sid in ids:
            self.enqueue(sid)
        return len(ids)

    def _sweeper(self, stop: threading.Event) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("sweep failed")
            if stop.wait(self.sweep_seconds):
                return
