"""What comes out of a run, decoded on the trusted side without trusting any of it.

Per call a :class:`CallOutcome` (its returned value as arrays, :class:`Number` s, containers,
:class:`Opaque` caches; or why it failed, a :class:`Reason`); per run a :class:`RunOutcome`.
Reasons are codes with parameters (``inside/codes.py``): the sandbox has no words of its own,
the grader renders them in the student's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quizsvc.sandbox.inside import codes


@dataclass(frozen=True)
class Reason:
    """Why a call, the loading or the whole run failed, or what a returned value that cannot
    cross is: a code and its parameters (one named ``reason`` holds another Reason: what ended
    the run during this call...)."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        return cls(code, tuple(params.items()))

    def get(self, name: str, default: Any = None) -> Any:
        return next((value for key, value in self.params if key == name), default)


MAX_PARAMS = 8


def decode_reason(enc: Any, depth: int = 0) -> Reason:
    """A reason sent by the sandbox; anything else it sent is shown as an exception's text."""
    if not isinstance(enc, dict) or enc.get("code") not in codes.ALL:
        return Reason.of(codes.EXCEPTION, text=str(enc)[:2000])
    params: list[tuple[str, Any]] = []
    for key, value in list(enc.items())[:MAX_PARAMS + 1]:
        if key == "code":
            continue
        if isinstance(value, dict) and depth < 2:
            value = decode_reason(value, depth + 1)
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            value = str(value)[:200]
        params.append((str(key)[:50], value[:2000] if isinstance(value, str) else value))
    return Reason(enc["code"], tuple(params))


@dataclass(frozen=True)
class Number:
    """A Python or NumPy scalar returned by a call; ``type_name`` says which (int, float64...)."""

    value: float | int | bool
    type_name: str


@dataclass(frozen=True)
class Opaque:
    """Something we did not ask to see (a cache); only its type name crosses the boundary."""

    type_name: str


@dataclass(frozen=True)
class Unsupported:
    """A value that cannot be sent back as plain data (an object, a string, an ndarray subclass)."""

    reason: Reason  # array_subclass, array_dtype, array_too_large, unsupported_type...


VALUE_CODES = (codes.ARRAY_SUBCLASS, codes.ARRAY_DTYPE, codes.ARRAY_TOO_LARGE,
               codes.UNSUPPORTED_TYPE)
MALFORMED = Unsupported(Reason.of(codes.MALFORMED_VALUE))


@dataclass
class CallOutcome:
    call_id: str
    ok: bool
    value: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    error: Reason | None = None
    kind: str | None = None  # "exception" | "timeout" | "not_run"
    traceback: str = ""
    stdout: str = ""
    stdout_chars: int = 0
    seconds: float = 0.0
    # Argument paths ((0,) the first argument, (0, 1) its item 1, (2, "W1") a dict entry):
    # those the call changed in place, and those its returned arrays share memory with.
    modified: tuple[tuple[int | str, ...], ...] = ()
    shared: tuple[tuple[int | str, ...], ...] = ()
    modified_via: tuple[tuple[int | str, ...], ...] = ()  # (earlier call id, *path)


MAX_PATHS = 32


def decode_paths(enc: Any) -> tuple[tuple[int | str, ...], ...]:
    """Argument paths reported by the child; anything malformed is dropped."""
    if not isinstance(enc, list):
        return ()
    paths = []
    for path in enc[:MAX_PATHS]:
        if (isinstance(path, list) and 0 < len(path) <= 8
                and all(isinstance(p, int | str) and not isinstance(p, bool) for p in path)):
            paths.append(tuple(str(p)[:100] if isinstance(p, str) else p for p in path))
    return tuple(paths)


def decode_value(enc: Any, arrays: dict[str, np.ndarray]) -> Any:
    if not isinstance(enc, dict):
        return MALFORMED
    if "array" in enc:
        arr = arrays.get(str(enc["array"]))
        return arr if arr is not None else MALFORMED
    if "number" in enc:
        number = enc["number"]
        if not isinstance(number, bool | int | float):
            return MALFORMED
        return Number(number, str(enc.get("type", "")))
    if "none" in enc:
        return None
    if "tuple" in enc or "list" in enc:
        items = enc.get("tuple", enc.get("list"))
        if not isinstance(items, list):
            return MALFORMED
        decoded = [decode_value(v, arrays) for v in items]
        return tuple(decoded) if "tuple" in enc else decoded
    if "dict" in enc and isinstance(enc["dict"], dict):
        return {str(k): decode_value(v, arrays) for k, v in enc["dict"].items()}
    if "opaque" in enc:
        return Opaque(str(enc["opaque"]))
    reason = decode_reason(enc.get("unsupported"))
    return Unsupported(reason) if reason.code in VALUE_CODES else MALFORMED


def decode_record(record: dict[str, Any], arrays: dict[str, np.ndarray]) -> CallOutcome:
    stdout = str(record.get("stdout", ""))
    stdout_chars = int(record.get("stdout_chars", 0) or 0)
    seconds = float(record.get("seconds", 0.0) or 0.0)
    if record.get("ok"):
        state = record.get("state") or {}
        return CallOutcome(
            call_id=str(record["id"]),
            ok=True,
            value=decode_value(record.get("value"), arrays),
            state={str(k): decode_value(v, arrays) for k, v in state.items()},
            modified=decode_paths(record.get("modified")),
            shared=decode_paths(record.get("shared")),
            modified_via=decode_paths(record.get("modified_via")),
            stdout=stdout,
            stdout_chars=stdout_chars,
            seconds=seconds,
        )
    return CallOutcome(
        call_id=str(record["id"]),
        ok=False,
        error=decode_reason(record.get("error")),
        kind=str(record.get("kind", "exception")),
        traceback=str(record.get("traceback", ""))[:2000],
        stdout=stdout,
        stdout_chars=stdout_chars,
        seconds=seconds,
    )


@dataclass
class RunOutcome:
    outcomes: dict[str, CallOutcome] = field(default_factory=dict)
    load_error: Reason | None = None  # the submission could not even be loaded (syntax error...)
    load_traceback: str = ""
    stdout: str = ""  # capped output printed while loading, or straight to the file descriptors
    stdout_chars: int = 0
    aborted: Reason | None = None  # why the process ended early (time limit, crash), if it did
    seconds: float = 0.0
