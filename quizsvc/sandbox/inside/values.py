"""A call's arguments going in and its return value coming out (the formats are described in
``child``'s docstring), and what the call did to its arguments.

Arguments are built from the job's read-only input arrays (each call gets fresh copies);
returned values are encoded as plain records, their arrays handed to a sink.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .codes import (
    ARRAY_DTYPE,
    ARRAY_SUBCLASS,
    ARRAY_TOO_LARGE,
    NEEDS_FAILED_RESULT,
    UNSUPPORTED_TYPE,
)

MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 64  # items encoded per container: a student's return value cannot flood us
MAX_DEPTH = 4


class CallRefused(Exception):
    """A call the job asks for cannot be made (a function the submission lacks, the result of
    an earlier call that failed): reported by its code, not as the student's exception."""

    def __init__(self, reason: dict[str, Any]) -> None:
        super().__init__(reason["code"])
        self.reason = reason


ArraySink = Callable[[str, np.ndarray], None]


# (path of an argument, the object the call got, what it must still be or hold afterwards)
Watched = list[tuple[tuple[Any, ...], Any, Any]]


def decode_arg(arg: Any, arrays: Any, results: dict[str, Any], objects: dict[str, Any],
               watch: Watched | None = None, path: tuple[Any, ...] = ()) -> Any:
    if "array" in arg:
        original = arrays[arg["array"]]
        value: Any = np.array(original, copy=True)
        if watch is not None:
            watch.append((path, value, original))
    elif "value" in arg:
        value = arg["value"]
    elif "rng" in arg:
        value = np.random.default_rng(int(arg["rng"]))
    elif "dict" in arg:
        value = {k: decode_arg(v, arrays, results, objects, watch, (*path, k))
                 for k, v in arg["dict"].items()}
        if watch is not None:
            watch.append((path, value, dict(value)))
    elif "list" in arg:
        value = [decode_arg(v, arrays, results, objects, watch, (*path, i))
                 for i, v in enumerate(arg["list"])]
        if watch is not None:
            watch.append((path, value, list(value)))
    elif "result" in arg:
        if arg["result"] not in results:
            raise CallRefused({"code": NEEDS_FAILED_RESULT, "call": arg["result"]})
        value = results[arg["result"]]
        if arg.get("index") is not None:
            value = value[arg["index"]]
    elif "object" in arg:
        value = objects[arg["object"]]
        for k, v in arg.get("set", {}).items():  # e.g. bn_param["mode"] = "test"
            value[k] = decode_arg(v, arrays, results, objects)
    else:
        raise ValueError(f"bad argument spec {arg!r}")
    if "bind" in arg:
        objects[arg["bind"]] = value
    return value


def encode_value(value: Any, key: str, sink: ArraySink, depth: int = 0) -> dict[str, Any]:
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:
            return {"unsupported": {"code": ARRAY_SUBCLASS, "type": type(value).__name__}}
        if value.dtype.kind not in "biufc":
            return {"unsupported": {"code": ARRAY_DTYPE, "dtype": str(value.dtype)}}
        if value.nbytes > MAX_ARRAY_BYTES:
            return {"unsupported": {"code": ARRAY_TOO_LARGE, "bytes": value.nbytes}}
        sink(key, value)  # each sink copies (or serialises) it before the student can mutate it
        return {"array": key}
    if isinstance(value, bool | np.bool_):
        return {"number": bool(value), "type": type(value).__name__}
    if isinstance(value, int | float | np.integer | np.floating):
        number = int(value) if isinstance(value, int | np.integer) else float(value)
        return {"number": number, "type": type(value).__name__}
    if value is None:
        return {"none": True}
    if depth >= MAX_DEPTH:
        return {"opaque": type(value).__name__}
    if isinstance(value, tuple | list):
        items = [encode_value(v, f"{key}.{i}", sink, depth + 1) for i, v in enumerate(value[:MAX_ITEMS])]
        return {"tuple" if isinstance(value, tuple) else "list": items, "length": len(value)}
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                break
            if isinstance(k, str):
                out[k] = encode_value(v, f"{key}.{k}", sink, depth + 1)
        return {"dict": out}
    return {"unsupported": {"code": UNSUPPORTED_TYPE, "type": type(value).__name__}}


def encode_result(value: Any, select: list[int] | None, key: str, sink: ArraySink) -> Any:
    if select is None or not isinstance(value, tuple | list):
        return encode_value(value, key, sink)
    items = [
        encode_value(v, f"{key}.{i}", sink, 1) if i in select else {"opaque": type(v).__name__}
        for i, v in enumerate(value[:MAX_ITEMS])
    ]
    return {"tuple" if isinstance(value, tuple) else "list": items, "length": len(value)}


def unchanged(value: Any, before: Any) -> bool:
    if isinstance(before, np.ndarray):  # the job's read-only input, which the call got a copy of
        if value.shape != before.shape or value.dtype != before.dtype:
            return False
        if value.nbytes <= 1 << 16 or value.itemsize not in (1, 2, 4, 8):
            return value.tobytes() == before.tobytes()  # ~0.2 us for a batch-norm input
        bits = np.dtype(f"u{value.itemsize}")  # bit patterns (NaN is NaN), no big copies
        return bool(np.array_equal(value.view(bits), before.view(bits)))
    if isinstance(before, dict):  # a container: the same keys, holding the same objects
        return value.keys() == before.keys() and all(value[k] is before[k] for k in before)
    return len(value) == len(before) and all(a is b for a, b in zip(value, before, strict=False))


def input_report(value: Any, select: list[int] | None, fresh: bool, watched: Watched,
                  record: dict[str, Any]) -> None:
    """Which arguments the call changed in place and, for a call marked ``fresh``, which of
    them its result shares memory with; the grader decides which of these break the
    assignment's contract (a bn_param dict is there to be updated). A submission could hide
    its own mutation by overwriting these fields, which gains it nothing but escaping a
    penalty for a rule its values would not show: acceptable, since the comparison proper
    happens on the grader's side."""
    modified = [list(path) for path, arg, before in watched if not unchanged(arg, before)]
    if modified:
        record["modified"] = modified
    if not fresh:
        return
    returned = list(value[:MAX_ITEMS]) if isinstance(value, tuple | list) else [value]
    if select is not None and isinstance(value, tuple | list):
        returned = [v for i, v in enumerate(returned) if i in select]  # not the caches
    outputs = [v for v in returned if type(v) is np.ndarray]
    shared = [list(path) for path, arg, before in watched
              if isinstance(before, np.ndarray)
              and any(np.may_share_memory(out, arg) for out in outputs)]
    if shared:
        record["shared"] = shared
