"""Turn what a fork server sent back into a :class:`~quizsvc.sandbox.records.RunOutcome`,
trusting none of it.

Every byte came out of the sandbox: the result stream is parsed frame by frame within the
frame caps the reader enforced, JSON records must be objects, arrays are ``.npy`` data read
with ``allow_pickle=False`` (object arrays cannot even be represented), a truncated or
malformed frame ends the parse.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.inside.arrays import parse_npy
from quizsvc.sandbox.inside.wire import KEY_LENGTH, RESULT_FRAME
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import (
    CallOutcome,
    Reason,
    RunOutcome,
    decode_reason,
    decode_record,
)


def parse_stream(data: bytes) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The child's result frames: JSON records, and arrays by key."""
    texts: list[bytes] = []
    arrays: dict[str, np.ndarray] = {}
    view, pos, end = memoryview(data), 0, len(data)
    while pos + RESULT_FRAME.size <= end:
        kind, size = RESULT_FRAME.unpack_from(view, pos)
        pos += RESULT_FRAME.size
        if pos + size > end:
            break  # cut off by the cap, or by the process's end
        payload, pos = view[pos: pos + size], pos + size
        if kind == b"R":
            texts.append(bytes(payload))
        elif kind == b"A":
            parsed = parse_array(payload)
            if parsed:
                arrays[parsed[0]] = parsed[1]
        else:
            break  # not our framing: trust nothing after it
    return _records(texts), arrays


def _records(texts: list[bytes]) -> list[dict[str, Any]]:
    """JSON objects, one per text; those that are not are dropped. Parsed as one array when
    every text is well-formed (one call into the C parser instead of one per record)."""
    try:
        parsed = json.loads(b"[" + b",".join(texts) + b"]")
        if not isinstance(parsed, list) or len(parsed) != len(texts):
            raise ValueError("records ran into each other")
    except ValueError:
        parsed = []
        for text in texts:
            try:
                parsed.append(json.loads(text))
            except ValueError:
                continue
    return [record for record in parsed if isinstance(record, dict)]


def parse_array(payload: memoryview) -> tuple[str, np.ndarray] | None:
    try:
        (length,) = KEY_LENGTH.unpack_from(payload, 0)
        key = bytes(payload[2: 2 + length]).decode()
        array = parse_npy(payload[2 + length:])
    except (ValueError, OSError, EOFError, UnicodeDecodeError, struct.error):
        return None
    if type(array) is not np.ndarray or array.dtype.kind not in "biufc":
        return None
    return key, array


def from_response(header: dict[str, Any], printed: bytes, results: bytes, program: Program,
                  seconds: float) -> RunOutcome:
    stdout = printed.decode("utf-8", errors="replace")
    records, arrays = parse_stream(results)
    aborted = header.get("aborted")
    outcome = RunOutcome(aborted=decode_reason(aborted) if aborted else None, seconds=seconds,
                         stdout=stdout, stdout_chars=int(header.get("stdout_total", 0)))
    fill_outcome(outcome, records, arrays, program)
    return outcome


def fill_outcome(outcome: RunOutcome, records: list[dict[str, Any]],
                 arrays: dict[str, np.ndarray], program: Program) -> None:
    wanted = {c["id"] for c in program.calls}
    finished = False
    for record in records:
        if "load_error" in record:
            outcome.load_error = decode_reason(record["load_error"])
            outcome.load_traceback = str(record.get("traceback", ""))[:2000]
        if "load_error" in record or "loaded" in record:
            outcome.stdout = str(record.get("stdout", ""))[:4000] + outcome.stdout
            outcome.stdout_chars += int(record.get("stdout_chars", 0) or 0)
        elif record.get("done"):
            finished = True
        elif record.get("id") in wanted and record["id"] not in outcome.outcomes:
            outcome.outcomes[record["id"]] = decode_record(record, arrays)
    if not finished and not outcome.load_error and not outcome.aborted:
        # Exit status 0 without the final record: os._exit(0), SystemExit from a destructor...
        outcome.aborted = Reason.of(codes.ENDED_EARLY)
    aborted = outcome.aborted
    first_missing = True
    for call in program.calls:
        if call["id"] in outcome.outcomes:
            continue
        kind = "not_run"
        if outcome.load_error:
            error = Reason.of(codes.NOT_RUN_UNLOADED, reason=outcome.load_error)
        elif first_missing and aborted:
            error = Reason.of(codes.DURING_CALL, reason=aborted)
            if aborted.code in codes.TIME_LIMITS:
                kind = "timeout"
        else:
            error = Reason.of(codes.NOT_RUN_STOPPED)
        first_missing = False
        outcome.outcomes[call["id"]] = CallOutcome(call["id"], ok=False, error=error, kind=kind)
