"""The untrusted side of grading: load a submission, run a list of calls, stream the outputs.

Runs in a process forked (and confined) by the sandbox's fork server, before any job exists:
:func:`main` blocks on ``job_fd`` for its one job and answers on ``results_fd``. It imports
only the standard library and NumPy, and never sees expected outputs: the job holds the
source, the calls and their input arrays only. Outputs go back as
one stream of frames (``kind``, 4-byte length, payload): ``R`` a JSON record per call, ``A``
a returned array as ``.npy`` bytes (never pickle), and a final ``{"done": true}`` record.

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
A record says which argument arrays (and lists or dicts) the call changed in place
(``"modified": [path...]``, a path like ``[0]`` or ``[2, "W1"]``), which arguments of an
earlier call it changed through that call's result (``"modified_via": [[call_id, *path]...]``)
and, for a call with ``"fresh": true``, which arguments its returned arrays share memory with
(``"shared"``).
"""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import re
import signal
import struct
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import numpy as np

MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 64  # items encoded per container: a student's return value cannot flood us
MAX_DEPTH = 4
STDOUT_KEEP = 2000  # characters of printed output kept per call
ERROR_KEEP = 1500
BLOCKED_PACKAGES = ("reference", "quizsvc")


# ----- .npy, fast and strict --------------------------------------------------------------
# np.save/np.load cost ~60 us per small array (ast.literal_eval on each header): a batch-norm
# job moves ~250 arrays. These write and read the same format (version 1.0, C order, numeric
# dtypes), parse headers with a strict pattern instead of an evaluator, and never touch pickle.

NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][biufc]\d{1,2})', 'fortran_order': False, 'shape': "
    rb"\(((?:\d+, )*\d*|\d+,)\), \} *\n")


_npy_headers: dict[tuple[str, tuple[int, ...]], bytes] = {}


def npy_prefix(array: np.ndarray) -> bytes:
    """The .npy magic and header of a C-contiguous array (what precedes its raw data)."""
    key = (array.dtype.str, array.shape)
    prefix = _npy_headers.get(key)
    if prefix is None:  # a job returns the same few shapes over and over
        shape = "".join(f"{n}, " for n in array.shape)
        shape = shape[:-1] if len(array.shape) == 1 else shape[:-2]
        header = (f"{{'descr': '{array.dtype.str}', 'fortran_order': False, "
                  f"'shape': ({shape}), }}")
        pad = 64 - (len(NPY_MAGIC) + 2 + len(header) + 1) % 64
        header_bytes = (header + " " * (pad % 64) + "\n").encode("latin1")
        prefix = NPY_MAGIC + struct.pack("<H", len(header_bytes)) + header_bytes
        if len(_npy_headers) < 1024:
            _npy_headers[key] = prefix
    return prefix


_npy_layouts: dict[bytes, tuple[np.dtype, tuple[int, ...], int]] = {}


def parse_npy(data: bytes | memoryview) -> np.ndarray:
    """A numeric array from .npy bytes, or ValueError. Falls back to np.load for other
    versions/layouts, always with allow_pickle=False."""
    data = memoryview(data)
    if bytes(data[:8]) == NPY_MAGIC:
        (length,) = struct.unpack("<H", data[8:10])
        header = bytes(data[10: 10 + length])
        layout = _npy_layouts.get(header)
        if layout is None:
            match = _NPY_HEADER.fullmatch(header)
            if match:
                shape = tuple(int(n) for n in match.group(2).decode().split(",") if n.strip())
                count = 1
                for n in shape:
                    count *= n
                layout = (np.dtype(match.group(1).decode()), shape, count)
                if len(_npy_layouts) < 1024:  # a job's outputs share a few layouts
                    _npy_layouts[header] = layout
        if layout is not None:
            dtype, shape, count = layout
            body = data[10 + length:]
            if len(body) != count * dtype.itemsize:
                raise ValueError("truncated .npy data")
            return np.frombuffer(body, dtype=dtype, count=count).reshape(shape).copy()
    array = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise ValueError("not a single array")
    return array


# ----- the job going in: frames of JSON, the source and one block of raw array data ---------

FRAME = struct.Struct(">Q")  # length prefix of each job frame (as on the grader channel)
ALIGN = 64


def encode_inputs(arrays: dict[str, np.ndarray]) -> tuple[dict[str, list[Any]], bytes]:
    """Input arrays as a manifest ``{name: [dtype, shape, offset]}`` and one aligned blob."""
    manifest: dict[str, list[Any]] = {}
    parts, offset = [], 0
    for name, array in arrays.items():
        if array.dtype.kind not in "biufc":
            raise ValueError(f"input {name!r} is not numeric")
        data = np.ascontiguousarray(array).tobytes()
        manifest[name] = [array.dtype.str, list(array.shape), offset]
        pad = -len(data) % ALIGN
        parts += [data, bytes(pad)]
        offset += len(data) + pad
    return manifest, b"".join(parts)


def decode_inputs(manifest: dict[str, list[Any]], blob: bytes) -> dict[str, np.ndarray]:
    """Read-only views into ``blob``: every call gets a fresh copy (see ``_decode``)."""
    arrays: dict[str, np.ndarray] = {}
    dtypes: dict[str, np.dtype] = {}
    for name, (dtype, shape, offset) in manifest.items():
        dt = dtypes.get(dtype)
        if dt is None:  # np.dtype(str) and np.prod cost more than the view itself
            dt = dtypes[dtype] = np.dtype(dtype)
        count = 1
        for n in shape:
            count *= int(n)
        arrays[name] = np.frombuffer(blob, dt, count, int(offset)).reshape(shape)
    return arrays


def read_frames(fd: int, count: int) -> list[bytes]:
    """``count`` length-prefixed frames from ``fd`` (the job pipe, filled by the trusted
    server with the grader's bytes, so no caps or deadlines here). Not ``wire.read_frame``: this file is also imported
    by the grader as ``quizsvc.grading.runner.child``, where the sandbox's flat ``wire`` module
    is not importable."""
    frames = []
    for _ in range(count):
        (size,) = FRAME.unpack(_read_exact(fd, FRAME.size))
        frames.append(_read_exact(fd, size))
    return frames


def _read_exact(fd: int, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the job channel was closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


# ----- the results coming out: one stream of (kind, length, payload) frames -----------------

RESULT_FRAME = struct.Struct(">cI")
KEY_LENGTH = struct.Struct(">H")


def _record_encoder() -> Callable[[Any], str]:
    """json.dumps for result records, with the C encoder built once (json.dumps builds one per
    call): records are plain, acyclic data, so no circular-reference check either."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    iterencode = make(None, encoder.JSONEncoder().default, encoder.encode_basestring_ascii, None,
                      ": ", ", ", False, False, True)
    return lambda obj: "".join(iterencode(obj, 0))


_json_encode = _record_encoder()


class ResultStream:
    """Writes one call's record together with its arrays in a single ``write``: whatever the
    process manages to send before it dies arrives whole, call by call."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()  # one buffer, appended to in place: few allocations
        self.broken = False

    def array(self, key: str, array: np.ndarray) -> None:
        name = key.encode()
        array = np.ascontiguousarray(array) if array.ndim else array
        prefix = npy_prefix(array)
        pending = self.pending
        pending += RESULT_FRAME.pack(b"A", KEY_LENGTH.size + len(name) + len(prefix) + array.nbytes)
        pending += KEY_LENGTH.pack(len(name))
        pending += name
        pending += prefix
        pending += array.data  # the raw bytes, copied straight into the buffer

    def record(self, record: dict[str, Any]) -> None:
        payload = _json_encode(record).encode()
        self.pending += RESULT_FRAME.pack(b"R", len(payload))
        self.pending += payload
        data = memoryview(self.pending)
        while data and not self.broken:
            try:
                data = data[os.write(self.fd, data):]
            except OSError:  # the submission closed or replaced our descriptor: its loss
                self.broken = True
        data.release()
        self.pending.clear()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class CallTimeLimit(BaseException):
    """Raised at a time limit where nothing ends the process instead (the grader's own runs of
    trusted code, the rehearsal). In a submission's process the limit ends the process
    (:class:`_EndAtTimeLimit`): an exception could be caught, even ``except BaseException`` or
    ``finally: return ...``, and the call would go on and score."""


# Set by main() in a submission's process: reports the time limit and ends the process.
_end_at_time_limit: Callable[[], NoReturn] | None = None


def _time_up() -> None:
    if _end_at_time_limit is not None:
        _end_at_time_limit()
    raise CallTimeLimit


ArraySink = Callable[[str, np.ndarray], None]


# (path of an argument, the object the call got, what it must still be or hold afterwards)
Watched = list[tuple[tuple[Any, ...], Any, Any]]


def _decode(arg: Any, arrays: Any, results: dict[str, Any], objects: dict[str, Any],
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
        value = {k: _decode(v, arrays, results, objects, watch, (*path, k))
                 for k, v in arg["dict"].items()}
        if watch is not None:
            watch.append((path, value, dict(value)))
    elif "list" in arg:
        value = [_decode(v, arrays, results, objects, watch, (*path, i))
                 for i, v in enumerate(arg["list"])]
        if watch is not None:
            watch.append((path, value, list(value)))
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


def _unchanged(value: Any, before: Any) -> bool:
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


def _input_report(value: Any, select: list[int] | None, fresh: bool, watched: Watched,
                  record: dict[str, Any]) -> None:
    """Which arguments the call changed in place and, for a call marked ``fresh``, which of
    them its result shares memory with; the grader decides which of these break the
    assignment's contract (a bn_param dict is there to be updated). A submission could hide
    its own mutation by overwriting these fields, which gains it nothing but escaping a
    penalty for a rule its values would not show: acceptable, since the comparison proper
    happens on the grader's side."""
    modified = [list(path) for path, arg, before in watched if not _unchanged(arg, before)]
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
                raise LookupError(f"function {call['fn']!r} is not defined in the submission")
            watched: Watched = []
            args = [_decode(a, arrays, results, objects, watched, (i,))
                    for i, a in enumerate(call.get("args", []))]
            kwargs = {k: _decode(a, arrays, results, objects, watched, (k,))
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
                _time_up()  # the alarm never came: blocked, ignored or disarmed by the call
            results[call["id"]] = value
            record["ok"] = True
            _input_report(value, call.get("select"), bool(call.get("fresh")), watched, record)
            via = [[a["result"], *path] for a in call.get("args", ()) if "result" in a
                   for path, arg, before in kept.get(a["result"], ())
                   if not _unchanged(arg, before)]
            if via:
                record["modified_via"] = via  # [earlier call id, *path in its arguments]
            if call["id"] in reused:
                kept[call["id"]] = watched
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
    _time_up()


class _EndAtTimeLimit:
    """Ends a submission's process at a time limit, once the limit is on record: a load error,
    or a time-limit failure for the call that ran out and every call after it."""

    __slots__ = ("call_seconds", "calls", "done_fd", "out", "reported")

    def __init__(self, out: ResultStream, done_fd: int | None, calls: list[dict[str, Any]],
                 call_seconds: float) -> None:
        self.out, self.done_fd, self.calls, self.call_seconds = out, done_fd, calls, call_seconds
        self.reported: int | None = None  # None while loading, then the calls on record

    def __call__(self) -> NoReturn:
        signal.setitimer(signal.ITIMER_REAL, 0)
        printed = sys.stdout.finish() if isinstance(sys.stdout, _CappedText) else {}
        if self.reported is None:
            self.out.record({"load_error": "time limit while loading the submission", **printed})
        else:
            error = f"time limit: the call ran longer than {self.call_seconds:g} s"
            for call in self.calls[self.reported:]:
                self.out.record({"id": call["id"], "ok": False, "kind": "timeout",
                                 "error": error, **printed})
                error, printed = "not run: the submission's process had already stopped", {}
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
    signal.signal(signal.SIGALRM, _on_alarm)
    # The submission's module, registered as one: dataclasses (and typing) look a class's
    # module up in sys.modules to resolve its string annotations. Made here, not per child.
    sys.modules["solution"] = types.ModuleType("solution")
    if not any(isinstance(finder, _BlockTrustedPackages) for finder in sys.meta_path):
        sys.meta_path.insert(0, _BlockTrustedPackages())
    for mod in [m for m in sys.modules if m.split(".")[0] in BLOCKED_PACKAGES]:
        del sys.modules[mod]
    np.random.seed(0)  # code that (wrongly) uses np.random still gets reproducible grades


# Stands in for a submission in the rehearsal: the compiler's working memory gets copied too.
_REHEARSAL_SOURCE = """
import numpy as np


def forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, var, eps)


def backward(dout, cache):
    x_hat, var, eps = cache
    n = dout.shape[0]
    dx_hat = dout / np.sqrt(var + eps)
    return (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / n
"""


def _rehearse(job_fd: int, programs: dict[int, tuple[list[Any], Any]], hold_off: float) -> None:
    """Until the job arrives: run the newest program's calls through the whole protocol with
    stand-in functions (our code, the public inputs, output to /dev/null). Every page of the
    fork server's memory this process writes costs a copy-on-write fault (~5 us in a VM);
    taking most of them now, while it waits, keeps them off the job's clock: ~1 ms less
    latency for a layer-norm job. It costs more CPU than it saves (~2.6 ms for ~0.9 ms), so it
    only starts once the job has kept us waiting ``hold_off`` seconds: an idle server's next
    student gets the faster answer, while a server under steady load, whose jobs arrive with
    gaps of tens of milliseconds, gets none (at a 50 ms hold-off such gaps made the sandbox
    cost ~25% more CPU per job in the throughput benchmark)."""
    import select

    def arrived(wait: float = 0.0) -> bool:
        return bool(select.select([job_fd], [], [], wait)[0])

    if arrived(hold_off):
        return
    calls, arrays = programs[max(programs)]

    def echo(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else None
        return (first, first) if isinstance(first, np.ndarray) else first

    out = ResultStream(0)  # /dev/null, opened by the server
    try:
        compile(_REHEARSAL_SOURCE, "<rehearsal>", "exec")
        for record in execute_calls({c["fn"]: echo for c in calls}, calls, arrays, out.array,
                                    call_seconds=1.0, capture=_capture):
            out.record(record)
            if arrived():
                break
    except Exception:  # noqa: BLE001, S110 - a rehearsal must never cost the real job
        pass
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


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
        _rehearse(job_fd, programs, rehearse_after)
    meta_raw, source_raw = read_frames(job_fd, 2)
    meta = json.loads(meta_raw)
    known = (programs or {}).get(meta.get("program", -1))
    if known is not None:
        calls, arrays = known
    else:
        spec_raw, blob = read_frames(job_fd, 2)
        spec = json.loads(spec_raw)
        calls, arrays = spec["calls"], decode_inputs(spec["arrays"], blob)
        del spec_raw
    os.close(job_fd)
    source = source_raw.decode("utf-8", errors="replace")
    del meta_raw, source_raw
    call_seconds = float(meta.get("call_seconds", 0))
    memory_mib = int(meta.get("memory_mib", 0) or 0)
    memory_note = f"memory limit exceeded ({memory_mib} MiB)" if memory_mib else ""
    out = ResultStream(results_fd)
    filename = str(meta.get("filename", "solution.py"))
    # Tracebacks show the student's lines without a copy of the source on disk.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = sys.modules["solution"].__dict__  # see prepare_process()
    namespace["__file__"] = filename
    global _end_at_time_limit
    end = _end_at_time_limit = _EndAtTimeLimit(out, done_fd, calls, call_seconds)
    load_seconds = float(meta.get("load_seconds", 0))
    captured = _capture()
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
        load_error = {"load_error": memory_note or _short_error(exc)}
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything
        load_error = {"load_error": _short_error(exc),
                      "traceback": _student_traceback(exc, filename)}
    if load_error is not None:
        out.record({**load_error, **captured.finish()})
    else:
        out.record({"loaded": True, **captured.finish()})
        end.reported = 0
        for record in execute_calls(namespace, calls, arrays, out.array,
                                    filename=filename, call_seconds=call_seconds,
                                    capture=_capture, memory_note=memory_note):
            out.record(record)
            end.reported += 1
    _finish(out, done_fd)
    return 0
