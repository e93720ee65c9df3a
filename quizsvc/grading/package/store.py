"""A version's build, kept as data (one .npz: a JSON document and arrays; never pickle) so a
process that starts, or another worker, loads it instead of running the package again."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

from quizsvc.grading.package.build import Built, mistakes_of
from quizsvc.grading.package.files import PackageError
from quizsvc.grading.package.loading import Package
from quizsvc.grading.package.specs import cases_from_wire
from quizsvc.sandbox.records import (
    CallOutcome,
    Number,
    Opaque,
    Reason,
    RunOutcome,
    Unsupported,
    decode_reason,
    decode_record,
)

FORMAT = 1


class _Arrays:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, value: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return key


def _reason(reason: Reason | None) -> Any:
    if reason is None:
        return None
    return {"code": reason.code, **{k: _reason(v) if isinstance(v, Reason) else v
                                    for k, v in reason.params}}


def _value(value: Any, sink: _Arrays) -> Any:
    if isinstance(value, np.ndarray):
        return {"array": sink.add(value)}
    if isinstance(value, Number):
        return {"number": value.value, "type": value.type_name}
    if value is None:
        return {"none": True}
    if isinstance(value, tuple):
        return {"tuple": [_value(v, sink) for v in value]}
    if isinstance(value, list):
        return {"list": [_value(v, sink) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: _value(v, sink) for k, v in value.items()}}
    if isinstance(value, Opaque):
        return {"opaque": value.type_name}
    if isinstance(value, Unsupported):
        return {"unsupported": _reason(value.reason)}
    raise TypeError(f"cannot store {type(value).__name__}")


def _call(call: CallOutcome, sink: _Arrays) -> dict[str, Any]:
    record: dict[str, Any] = {"id": call.call_id, "ok": call.ok, "stdout": call.stdout,
                              "stdout_chars": call.stdout_chars, "seconds": call.seconds}
    if call.ok:
        record.update(value=_value(call.value, sink),
                      state={k: _value(v, sink) for k, v in call.state.items()},
                      modified=[list(p) for p in call.modified],
                      shared=[list(p) for p in call.shared],
                      modified_via=[list(p) for p in call.modified_via])
    else:
        record.update(error=_reason(call.error), kind=call.kind, traceback=call.traceback)
    return record


def _outcome(outcome: RunOutcome, sink: _Arrays) -> dict[str, Any]:
    return {"calls": [_call(c, sink) for c in outcome.outcomes.values()],
            "load_error": _reason(outcome.load_error), "load_traceback": outcome.load_traceback,
            "aborted": _reason(outcome.aborted), "stdout": outcome.stdout}


def _read_outcome(doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> RunOutcome:
    outcome = RunOutcome(load_traceback=doc.get("load_traceback", ""), stdout=doc.get("stdout", ""))
    outcome.load_error = decode_reason(doc["load_error"]) if doc.get("load_error") else None
    outcome.aborted = decode_reason(doc["aborted"]) if doc.get("aborted") else None
    for record in doc["calls"]:
        call = decode_record(record, arrays)
        outcome.outcomes[call.call_id] = call
    return outcome


def dump(package: Package, built: Built) -> bytes:
    sink = _Arrays()
    case_arrays = [sink.add(a) for a in built.arrays]
    document = {
        "format": FORMAT, "version": package.version,
        "cases": built.document.decode(), "case_arrays": case_arrays,
        "expected": _outcome(built.expected, sink),
        "variants": {k: _outcome(v, sink) for k, v in built.variants.items()},
        "pairs": [[a, b, _outcome(v, sink)] for (a, b), v in built.pairs.items()],
    }
    buffer = io.BytesIO()
    saved: dict[str, Any] = {**sink.arrays, "__document__": np.frombuffer(
        json.dumps(document).encode(), dtype=np.uint8)}
    np.savez(buffer, **saved)
    return buffer.getvalue()


def load(package: Package, data: bytes) -> Built | None:
    """The stored build of ``package``, or None when ``data`` is of another version or format
    (then the package is built again)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        document = json.loads(arrays.pop("__document__").tobytes())
        if document.get("format") != FORMAT or document.get("version") != package.version:
            return None
        case_arrays = [arrays[k] for k in document["case_arrays"]]
        cases_doc = document["cases"].encode()
        return Built(
            cases=cases_from_wire(cases_doc, case_arrays, package.manifest), document=cases_doc,
            arrays=case_arrays, expected=_read_outcome(document["expected"], arrays),
            mistakes=mistakes_of(package),
            variants={k: _read_outcome(v, arrays) for k, v in document["variants"].items()},
            pairs={(a, b): _read_outcome(v, arrays) for a, b, v in document["pairs"]})
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, PackageError):
        return None  # damaged, or written by another format: built again
