"""The warm pool: N fork servers, each in its own sandbox, shared by any number of threads.

``run`` takes a free server (blocking while all are busy), hands it the job and puts it back.
A server that broke (crashed, killed, stopped answering) is replaced by a fresh one, started
lazily on the next job; the job that found it broken is reported as aborted, never retried
(the submission may be what broke it).
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import weakref

from quizsvc.sandbox.forkserver import ForkServer, ServerBroken, make_grader_nondumpable
from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.limits import Limits
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import Reason, RunOutcome
from quizsvc.sandbox.status import SandboxStatus, choose_tier, enforce, expected_status

_live_pools: weakref.WeakSet[WarmPool] = weakref.WeakSet()


class WarmPool:
    def __init__(self, size: int | None = None, limits: Limits | None = None, *,
                 isolation: str = "auto", min_level: str | None = None,
                 debug: bool = False) -> None:
        make_grader_nondumpable()
        self.limits = limits or Limits()
        self.size = size or max(1, os.cpu_count() or 1)  # default: one server per core
        self.tier = choose_tier(isolation)
        self.min_level = min_level
        self.debug = debug  # the servers' stderr goes through
        self._free: queue.SimpleQueue[ForkServer] = queue.SimpleQueue()
        self._servers: list[ForkServer] = []
        self._lock = threading.Lock()
        self._closed = False
        self.respawns = 0
        for _ in range(self.size):
            self._add_server()
        _live_pools.add(self)

    def _add_server(self) -> ForkServer:
        server = ForkServer(self.tier, self.limits, debug=self.debug)
        with self._lock:
            self._servers.append(server)
        self._free.put(server)
        return server

    def status(self) -> SandboxStatus:
        """The probed status of a running server if any, else what detection expects."""
        for server in list(self._servers):
            if server.status is not None:
                return server.status
        return expected_status(self.tier)

    def start(self) -> WarmPool:
        """Start every server now (otherwise each starts on its first job)."""
        taken = [self._free.get() for _ in range(self.size)]
        try:
            for server in taken:
                if not server.alive:
                    server.start(self.min_level)
        finally:
            for server in taken:
                self._free.put(server)
        return self

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        if self._closed:
            raise RuntimeError("the grading pool is closed")
        enforce(self.status(), self.min_level)
        server = self._free.get()
        try:
            if not server.alive:
                if server.proc is not None:
                    self.respawns += 1
                server.kill()
                server.start(self.min_level)
            return server.run_job(source, program, filename)
        except ServerBroken as exc:
            return RunOutcome(aborted=Reason.of(codes.SANDBOX_STOPPED, detail=str(exc)))
        finally:
            self._free.put(server)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            servers = list(self._servers)
        for server in servers:
            server.close()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: dict[tuple[int, str, str | None, bool], WarmPool] = {}
_shared_lock = threading.Lock()


def shared_pool(size: int | None = None, *, isolation: str = "auto", min_level: str | None = None,
                debug: bool = False) -> WarmPool:
    """The process-wide pool behind ``default_runner()`` for these parameters: created once,
    closed at exit."""
    key = (size or 0, isolation, min_level, debug)
    with _shared_lock:
        pool = _shared.get(key)
        if pool is None or pool._closed:
            pool = _shared[key] = WarmPool(size, isolation=isolation, min_level=min_level,
                                           debug=debug)
        return pool


def close_shared() -> None:
    """Close every process-wide pool (a server's master after its warm-up: the workers it
    forks start their own)."""
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()


def _forget_after_fork() -> None:
    # A forked worker (Celery prefork) must not share its parent's fork servers or close them.
    _shared.clear()
    _live_pools.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def _close_all() -> None:  # no orphaned sandboxes when the interpreter exits
    for pool in list(_live_pools):
        pool.close()
