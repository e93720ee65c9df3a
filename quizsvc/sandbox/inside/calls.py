"""The interpreter of a job: run its calls against the submission's functions, one record each.

The same code runs a submission's calls in its child and, in the grader's own process, the
trusted reference and known-mistake variants, so both are judged from identical records.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from .codes import CALL_TIMEOUT, EXCEPTION, MEMORY_LIMIT, MISSING_FUNCTION
from .import_block import BlockedImport
from .time_limit import CallTimeLimit, time_up
from .values import (
    ArraySink,
    CallRefused,
    Watched,
    decode_arg,
    encode_result,
    encode_value,
    input_report,
    unchanged,
)

ERROR_KEEP = 1500

def reason_of(exc: BaseException, memory_mib: int = 0) -> dict[str, Any]:
    """Why a call (or the loading) failed: a code for what the sandbox did (its memory limit,
    a blocked import, a call it could not make), else the exception's own text."""
    if memory_mib and isinstance(exc, MemoryError):
        return {"code": MEMORY_LIMIT, "mib": memory_mib}
    if isinstance(exc, CallRefused | BlockedImport):
        return exc.reason
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"code": EXCEPTION, "text": text[:ERROR_KEEP]}


def student_traceback(exc: BaseException, filename: str) -> str:
    """Only the frames of the student's own file: our machinery is none of their business."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = traceback.format_list(frames[-5:])
    return "".join(lines)[:ERROR_KEEP]


def execute_calls(
    namespace: dict[str, Any],
    calls: list[dict[str, Any]],
    arrays: Any,
    sink: ArraySink,
    *,
    filename: str = "",
    call_seconds: float = 0.0,
    capture: Callable[[], Any] | None = None,
    memory_mib: int = 0,
) -> Iterator[dict[str, Any]]:
    """Run ``calls`` against the functions in ``namespace``; yield one result record per call.

    ``memory_mib``: the sandbox's memory limit, reported as the cause of a MemoryError.
    """
    results: dict[str, Any] = {}
    objects: dict[str, Any] = {}
    # The arguments of calls whose result (a cache) a later call gets: that later call can
    # reach them through it (a backward that does x -= mu on the cached x).
    reused = {a["result"] for c in calls for a in c.get("args", ()) if "result" in a}
    kept: dict[str, Watched] = {}
    for call in calls:
        record: dict[str, Any] = {"id": call["id"]}
        captured = capture() if capture else None
        started = time.perf_counter()
        try:
            func = namespace.get(call["fn"])
            if not callable(func):
                raise CallRefused({"code": MISSING_FUNCTION, "name": call["fn"]})
            watched: Watched = []
            args = [decode_arg(a, arrays, results, objects, watched, (i,))
                    for i, a in enumerate(call.get("args", []))]
            kwargs = {k: decode_arg(a, arrays, results, objects, watched, (k,))
                      for k, a in call.get("kwargs", {}).items()}
            if call_seconds:
                signal.setitimer(signal.ITIMER_REAL, call_seconds)
            called = time.perf_counter()
            try:
                value = func(*args, **kwargs)
            finally:
                if call_seconds:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            if call_seconds and time.perf_counter() - called > call_seconds:
                time_up()  # the alarm never came: blocked, ignored or disarmed by the call
            results[call["id"]] = value
            record["ok"] = True
            input_report(value, call.get("select"), bool(call.get("fresh")), watched, record)
            via = [[a["result"], *path] for a in call.get("args", ()) if "result" in a
                   for path, arg, before in kept.get(a["result"], ())
                   if not unchanged(arg, before)]
            if via:
                record["modified_via"] = via  # [earlier call id, *path in its arguments]
            if call["id"] in reused:
                kept[call["id"]] = watched
            record["value"] = encode_result(value, call.get("select"), call["id"], sink)
            record["state"] = {
                name: encode_value(objects.get(name), f"{call['id']}.state.{name}", sink)
                for name in call.get("state", [])
            }
        except CallTimeLimit:
            record.update(ok=False, error={"code": CALL_TIMEOUT, "seconds": call_seconds},
                          kind="timeout")
        except MemoryError as exc:
            record.update(ok=False, error=reason_of(exc, memory_mib), kind="exception")
        except (Exception, SystemExit) as exc:  # any student error becomes a per-call message
            record.update(ok=False, error=reason_of(exc), kind="exception",
                          traceback=student_traceback(exc, filename))
        record["seconds"] = round(time.perf_counter() - started, 6)
        if captured is not None:
            record.update(captured.finish())
        yield record
