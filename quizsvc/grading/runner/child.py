"""The untrusted side of grading: load a submission, run a list of calls, write the outputs.

Run as ``python -I child.py WORKDIR`` in a fresh process. It imports only the standard library
and NumPy, and never sees expected outputs: WORKDIR holds ``calls.json`` and ``inputs.npz``
(inputs only), plus ``solution.py``. For every call it appends one JSON line to
``results.jsonl`` and writes returned arrays as ``.npy`` files (never pickle).

The trusted grader imports :func:`execute_calls` from this file too, to run the reference and
the known-mistake variants through exactly the same protocol in its own process.

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
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import struct
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 64  # items encoded per container: a student's return value cannot flood us
MAX_DEPTH = 4
STDOUT_KEEP = 2000  # characters of printed output kept per call
ERROR_KEEP = 1500
BLOCKED_PACKAGES = ("reference", "quizsvc")


# ----- .npy / .npz, fast and strict -------------------------------------------------------
# np.save/np.load cost ~60 us per small array (zipfile, ast.literal_eval on each header): a
# batch-norm job moves ~250 arrays. These write and read the same formats (version 1.0,
# C order, numeric dtypes, uncompressed zip), parse headers with a strict pattern instead of
# an evaluator, and never touch pickle.

NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][biufc]\d{1,2})', 'fortran_order': False, 'shape': "
    rb"\(((?:\d+, )*\d*|\d+,)\), \} *\n")
_ZIP_LOCAL = struct.Struct("<4s5H3L2H")
_ZIP_CENTRAL = struct.Struct("<4s6H3L5H2L")
_ZIP_END = struct.Struct("<4s4H2LH")


def npy_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array) if array.ndim else array
    shape = "".join(f"{n}, " for n in array.shape)
    shape = shape[:-1] if len(array.shape) == 1 else shape[:-2]
    header = f"{{'descr': '{array.dtype.str}', 'fortran_order': False, 'shape': ({shape}), }}"
    pad = 64 - (len(NPY_MAGIC) + 2 + len(header) + 1) % 64
    header_bytes = (header + " " * (pad % 64) + "\n").encode("latin1")
    return NPY_MAGIC + struct.pack("<H", len(header_bytes)) + header_bytes + array.tobytes()


def parse_npy(data: bytes | memoryview) -> np.ndarray:
    """A numeric array from .npy bytes, or ValueError. Falls back to np.load for other
    versions/layouts, always with allow_pickle=False."""
    data = memoryview(data)
    if bytes(data[:8]) == NPY_MAGIC:
        (length,) = struct.unpack("<H", data[8:10])
        match = _NPY_HEADER.fullmatch(bytes(data[10: 10 + length]))
        if match:
            dtype = np.dtype(match.group(1).decode())
            shape = tuple(int(n) for n in match.group(2).decode().split(",") if n.strip())
            count = int(np.prod(shape)) if shape else 1
            body = data[10 + length:]
            if len(body) != count * dtype.itemsize:
                raise ValueError("truncated .npy data")
            return np.frombuffer(body, dtype=dtype, count=count).reshape(shape).copy()
    array = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise ValueError("not a single array")
    return array


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed .npz (a zip of .npy members) that np.load reads too."""
    parts, central, offset = [], [], 0
    for key, array in arrays.items():
        name, data = f"{key}.npy".encode(), npy_bytes(array)
        crc = zlib.crc32(data)
        local = _ZIP_LOCAL.pack(b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, len(data), len(data),
                                len(name), 0)
        parts += [local, name, data]
        central.append(_ZIP_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, crc, len(data),
                                         len(data), len(name), 0, 0, 0, 0, 0o644 << 16, offset)
                       + name)
        offset += len(local) + len(name) + len(data)
    directory = b"".join(central)
    end = _ZIP_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory),
                        offset, 0)
    return b"".join(parts) + directory + end


def read_npz(path: str) -> dict[str, np.ndarray]:
    """Read an uncompressed .npz from the trusted side (zipfile for anything else)."""
    with open(path, "rb") as fh:
        data = memoryview(fh.read())
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                return dict(np.load(path, allow_pickle=False))
            start = info.header_offset
            fields = _ZIP_LOCAL.unpack(data[start: start + _ZIP_LOCAL.size])
            begin = start + _ZIP_LOCAL.size + fields[9] + fields[10]
            arrays[info.filename[:-4]] = parse_npy(data[begin: begin + info.file_size])
    return arrays


class CallTimeLimit(BaseException):
    """Raised by SIGALRM inside a call; BaseException so `except Exception` cannot swallow it."""


ArraySink = Callable[[str, np.ndarray], None]


def _decode(arg: Any, arrays: Any, results: dict[str, Any], objects: dict[str, Any]) -> Any:
    if "array" in arg:
        value: Any = np.array(arrays[arg["array"]], copy=True)
    elif "value" in arg:
        value = arg["value"]
    elif "rng" in arg:
        value = np.random.default_rng(int(arg["rng"]))
    elif "dict" in arg:
        value = {k: _decode(v, arrays, results, objects) for k, v in arg["dict"].items()}
    elif "list" in arg:
        value = [_decode(v, arrays, results, objects) for v in arg["list"]]
    elif "result" in arg:
        if arg["result"] not in results:
            raise LookupError(f"this call needs the result of {arg['result']!r}, which failed")
        value = results[arg["result"]]
        if arg.get("index") is not None:
            value = value[arg["index"]]
    elif "object" in arg:
        value = objects[arg["object"]]
        for k, v in arg.get("set", {}).items():  # e.g. bn_param["mode"] = "test"
            value[k] = _decode(v, arrays, results, objects)
    else:
        raise ValueError(f"bad argument spec {arg!r}")
    if "bind" in arg:
        objects[arg["bind"]] = value
    return value


def _encode(value: Any, key: str, sink: ArraySink, depth: int = 0) -> dict[str, Any]:
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:
            return {"unsupported": f"{type(value).__name__} (an ndarray subclass)"}
        if value.dtype.kind not in "biufc":
            return {"unsupported": f"ndarray of dtype {value.dtype}"}
        if value.nbytes > MAX_ARRAY_BYTES:
            return {"unsupported": f"ndarray of {value.nbytes} bytes (too large)"}
        sink(key, np.array(value, order="C", copy=True))  # (ascontiguousarray makes 0-d 1-d)
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
        items = [_encode(v, f"{key}.{i}", sink, depth + 1) for i, v in enumerate(value[:MAX_ITEMS])]
        return {"tuple" if isinstance(value, tuple) else "list": items, "length": len(value)}
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                break
            if isinstance(k, str):
                out[k] = _encode(v, f"{key}.{k}", sink, depth + 1)
        return {"dict": out}
    return {"unsupported": type(value).__name__}


def _encode_result(value: Any, select: list[int] | None, key: str, sink: ArraySink) -> Any:
    if select is None or not isinstance(value, tuple | list):
        return _encode(value, key, sink)
    items = [
        _encode(v, f"{key}.{i}", sink, 1) if i in select else {"opaque": type(v).__name__}
        for i, v in enumerate(value[:MAX_ITEMS])
    ]
    return {"tuple" if isinstance(value, tuple) else "list": items, "length": len(value)}


def _short_error(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text[:ERROR_KEEP]


def _student_traceback(exc: BaseException, filename: str) -> str:
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
    memory_note: str = "",
) -> Iterator[dict[str, Any]]:
    """Run ``calls`` against the functions in ``namespace``; yield one result record per call.

    ``memory_note`` replaces a MemoryError's text when the sandbox's memory limit is the cause.
    """
    results: dict[str, Any] = {}
    objects: dict[str, Any] = {}
    for call in calls:
        record: dict[str, Any] = {"id": call["id"]}
        captured = capture() if capture else None
        started = time.perf_counter()
        try:
            func = namespace.get(call["fn"])
            if not callable(func):
                raise LookupError(f"function {call['fn']!r} is not defined in the submission")
            args = [_decode(a, arrays, results, objects) for a in call.get("args", [])]
            kwargs = {k: _decode(a, arrays, results, objects) for k, a in call.get("kwargs", {}).items()}
            if call_seconds:
                signal.setitimer(signal.ITIMER_REAL, call_seconds)
            try:
                value = func(*args, **kwargs)
            finally:
                if call_seconds:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            results[call["id"]] = value
            record["ok"] = True
            record["value"] = _encode_result(value, call.get("select"), call["id"], sink)
            record["state"] = {
                name: _encode(objects.get(name), f"{call['id']}.state.{name}", sink)
                for name in call.get("state", [])
            }
        except CallTimeLimit:
            record.update(ok=False, error=f"time limit: the call ran longer than {call_seconds:g} s",
                          kind="timeout")
        except MemoryError as exc:
            record.update(ok=False, error=memory_note or _short_error(exc), kind="exception")
        except (Exception, SystemExit) as exc:  # any student error becomes a per-call message
            record.update(ok=False, error=_short_error(exc), kind="exception",
                          traceback=_student_traceback(exc, filename))
        record["seconds"] = round(time.perf_counter() - started, 6)
        if captured is not None:
            record.update(captured.finish())
        yield record


class _CappedText(io.TextIOBase):
    """Stands in for sys.stdout/stderr during a call: keeps the first characters, counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < STDOUT_KEEP:
            self.kept.append(text[: STDOUT_KEEP - self.size])
        self.size += len(text)
        return len(text)

    def finish(self) -> dict[str, Any]:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        return {"stdout": "".join(self.kept), "stdout_chars": self.size} if self.size else {}


def _capture() -> _CappedText:
    text = _CappedText()
    sys.stdout = sys.stderr = text
    return text


class _BlockTrustedPackages:
    """Meta-path hook: the submission may not import the grader or the reference solutions."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"importing {name!r} is not allowed in a submission")
        return None


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeLimit


def main(workdir: str) -> int:
    os.chdir(workdir)
    sys.meta_path.insert(0, _BlockTrustedPackages())
    for mod in [m for m in sys.modules if m.split(".")[0] in BLOCKED_PACKAGES]:
        del sys.modules[mod]
    with open("calls.json", encoding="utf-8") as fh:
        job = json.load(fh)
    arrays = read_npz("inputs.npz")
    call_seconds = float(job.get("call_seconds", 0))
    memory_mib = int(job.get("memory_mib", 0) or 0)
    memory_note = f"memory limit exceeded ({memory_mib} MiB)" if memory_mib else ""
    signal.signal(signal.SIGALRM, _on_alarm)
    np.random.seed(0)  # code that (wrongly) uses np.random still gets reproducible grades
    os.makedirs("out", exist_ok=True)

    def sink(key: str, array: np.ndarray) -> None:
        # Keys carry case names ("case/call.0"): hex keeps every file name flat and unique.
        with open(os.path.join("out", key.encode().hex() + ".npy"), "wb") as fh:
            fh.write(npy_bytes(array))

    with open("results.jsonl", "w", encoding="utf-8") as out:
        def emit(record: dict[str, Any]) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        filename = job.get("filename", "solution.py")
        namespace: dict[str, Any] = {"__name__": "solution", "__file__": filename}
        captured = _capture()
        try:
            with open("solution.py", encoding="utf-8") as fh:
                code = compile(fh.read(), filename, "exec")
            signal.setitimer(signal.ITIMER_REAL, float(job.get("load_seconds", 0)))
            try:
                exec(code, namespace)  # noqa: S102 - this process exists to run untrusted code
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except CallTimeLimit:
            emit({"load_error": "time limit while loading the submission", **captured.finish()})
            return 0
        except MemoryError as exc:
            emit({"load_error": memory_note or _short_error(exc), **captured.finish()})
            return 0
        except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything
            emit({"load_error": _short_error(exc),
                  "traceback": _student_traceback(exc, filename), **captured.finish()})
            return 0
        emit({"loaded": True, **captured.finish()})
        for record in execute_calls(namespace, job["calls"], arrays, sink, filename=filename,
                                    call_seconds=call_seconds, capture=_capture,
                                    memory_note=memory_note):
            emit(record)
        emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
