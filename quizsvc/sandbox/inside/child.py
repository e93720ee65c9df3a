"""A submission's process: load it, run the job's calls, stream the outputs back.

Forked (and confined) by the fork server (``server``) before any job exists: :func:`main` blocks
on ``job_fd`` for its one job and answers on ``results_fd`` with the result stream described in
``wire``: a JSON record per call (failures give a reason, see ``codes``), returned arrays as
``.npy`` bytes (never pickle), and a final ``{"done": true}`` record. It never sees expected
outputs: the job holds the source, the calls and their input arrays only.

The modules it uses are imported by the server before it forks (nothing is imported per job):
``calls`` (the interpreter, which the grader also runs on trusted code), ``values``
(arguments and returned values), ``capture``, ``import_block``, ``time_limit``, ``rehearsal``.

Wire format of a call::

    {"id": "c1", "fn": "batchnorm_forward", "args": [ARG...], "kwargs": {"k": ARG},
     "select": [0], "state": ["bnp"]}

ARG is one of ``{"array": name}`` (a fresh copy of an input array), ``{"value": json}``,
``{"rng": seed}`` (a new ``numpy.random.Generator``), ``{"dict": {k: ARG}}``,
``{"list": [ARG]}``, ``{"result": call_id, "index": i}`` (an object returned by an earlier
call, e.g. a cache: it never leaves this process) or ``{"object": name, "set": {k: ARG}}`` (a
bound object, with optional item assignments first, e.g. ``mode = "test"``); any ARG may carry
``"bind": name`` so a later call can pass the same object again (a bn_param dict, a Generator).
``select`` keeps only those items of a returned tuple (the rest, like caches, become opaque);
``state`` names bound objects to send back after the call (the mutated bn_param).
A record says which argument arrays (and lists or dicts) the call changed in place
(``"modified": [path...]``, a path like ``[0]`` or ``[2, "W1"]``), which arguments of an
earlier call it changed through that call's result (``"modified_via": [[call_id, *path]...]``)
and, for a call with ``"fresh": true``, which arguments its returned arrays share memory with
(``"shared"``).
"""

from __future__ import annotations

import contextlib
import json
import linecache
import os
import signal
import sys
import time
import types
from typing import Any, NoReturn

import numpy as np

from . import import_block, time_limit
from .arrays import decode_inputs
from .calls import execute_calls, reason_of, student_traceback
from .capture import CappedText, capture
from .codes import CALL_TIMEOUT, LOAD_TIMEOUT, NOT_RUN_STOPPED
from .rehearsal import rehearse
from .result_stream import ResultStream
from .wire import read_frame


class EndAtTimeLimit:
    """Ends a submission's process at a time limit, once the limit is on record: a load error,
    or a time-limit failure for the call that ran out and every call after it."""

    __slots__ = ("call_seconds", "calls", "done_fd", "load_seconds", "out", "reported")

    def __init__(self, out: ResultStream, done_fd: int | None, calls: list[dict[str, Any]],
                 call_seconds: float, load_seconds: float) -> None:
        self.out, self.done_fd, self.calls = out, done_fd, calls
        self.call_seconds, self.load_seconds = call_seconds, load_seconds
        self.reported: int | None = None  # None while loading, then the calls on record

    def __call__(self) -> NoReturn:
        signal.setitimer(signal.ITIMER_REAL, 0)
        printed = sys.stdout.finish() if isinstance(sys.stdout, CappedText) else {}
        if self.reported is None:
            self.out.record({"load_error": {"code": LOAD_TIMEOUT, "seconds": self.load_seconds},
                             **printed})
        else:
            error: dict[str, Any] = {"code": CALL_TIMEOUT, "seconds": self.call_seconds}
            for call in self.calls[self.reported:]:
                self.out.record({"id": call["id"], "ok": False, "kind": "timeout",
                                 "error": error, **printed})
                error, printed = {"code": NOT_RUN_STOPPED}, {}
        _finish(self.out, self.done_fd)
        os._exit(0)


def _finish(out: ResultStream, done_fd: int | None) -> None:
    out.record({"done": True})
    out.close()
    if done_fd is not None:
        with contextlib.suppress(OSError):
            os.write(done_fd, b"d")


def prepare_process() -> None:
    """What every job's process needs set once, done by the fork server before it forks any
    child (it never runs submitted code itself, nor draws from NumPy's global generator), so
    each child inherits it: the alarm that ends a call, the import block on the trusted
    packages, and the global RNG seeded as the in-process runner seeds it. Done in every child
    instead, this cost ~0.8 ms and ~250 copy-on-write faults per job (the scan of sys.modules
    alone touches every module name's page)."""
    signal.signal(signal.SIGALRM, time_limit.on_alarm)
    # The submission's module, registered as one: dataclasses (and typing) look a class's
    # module up in sys.modules to resolve its string annotations. Made here, not per child.
    sys.modules["solution"] = types.ModuleType("solution")
    import_block.install()
    np.random.seed(0)  # code that (wrongly) uses np.random still gets reproducible grades


def main(job_fd: int, results_fd: int, done_fd: int | None = None,
         programs: dict[int, tuple[list[Any], Any]] | None = None,
         rehearse_after: float = 1.0) -> int:
    """Serve one job: read it from ``job_fd``, stream the results to ``results_fd``, then
    write one byte to ``done_fd``: the server cannot see the stream's content, only this.

    The job is the frames meta and source, then calls and inputs unless the meta names a
    program the fork server had decoded before forking this process (``programs``); waiting
    for it, the process rehearses after ``rehearse_after`` seconds. The process-wide set-up
    (:func:`prepare_process`) was done by the server before the fork.
    """
    if programs:
        rehearse(job_fd, programs, rehearse_after)
    meta_raw, source_raw = read_frame(job_fd, None), read_frame(job_fd, None)
    meta = json.loads(meta_raw)
    known = (programs or {}).get(meta.get("program", -1))
    if known is not None:
        calls, arrays = known
    else:
        spec_raw, blob = read_frame(job_fd, None), read_frame(job_fd, None)
        spec = json.loads(spec_raw)
        calls, arrays = spec["calls"], decode_inputs(spec["arrays"], blob)
        del spec_raw
    os.close(job_fd)
    source = source_raw.decode("utf-8", errors="replace")
    del meta_raw, source_raw
    call_seconds = float(meta.get("call_seconds", 0))
    memory_mib = int(meta.get("memory_mib", 0) or 0)
    out = ResultStream(results_fd)
    filename = str(meta.get("filename", "solution.py"))
    # Tracebacks show the student's lines without a copy of the source on disk.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = sys.modules["solution"].__dict__  # see prepare_process()
    namespace["__file__"] = filename
    load_seconds = float(meta.get("load_seconds", 0))
    end = time_limit.end_at_time_limit = EndAtTimeLimit(out, done_fd, calls, call_seconds,
                                                         load_seconds)
    captured = capture()
    load_error: dict[str, Any] | None = None
    try:
        # dont_inherit: not this file's `from __future__ import annotations`, which would turn
        # the submission's annotations into strings (a @dataclass then failed to load).
        code = compile(source, filename, "exec", dont_inherit=True)
        signal.setitimer(signal.ITIMER_REAL, load_seconds)
        started = time.perf_counter()
        try:
            exec(code, namespace)  # noqa: S102 - this process exists to run untrusted code
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if load_seconds and time.perf_counter() - started > load_seconds:
            end()  # the alarm never came: blocked, ignored or disarmed
    except MemoryError as exc:
        load_error = {"load_error": reason_of(exc, memory_mib)}
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything
        load_error = {"load_error": reason_of(exc),
                      "traceback": student_traceback(exc, filename)}
    if load_error is not None:
        out.record({**load_error, **captured.finish()})
    else:
        out.record({"loaded": True, **captured.finish()})
        end.reported = 0
        for record in execute_calls(namespace, calls, arrays, out.array,
                                    filename=filename, call_seconds=call_seconds,
                                    capture=capture, memory_mib=memory_mib):
            out.record(record)
            end.reported += 1
    _finish(out, done_fd)
    return 0
