"""Trusted side of the wire protocol: build call programs, decode what comes back.

A :class:`Program` is what one submission is asked to run: a list of JSON call specs plus the
input arrays they name (see ``runner/child.py`` for the format). Only inputs go in; expected
outputs never leave the grader.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Program:
    calls: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def extend(self, other: Program) -> None:
        clash = {c["id"] for c in self.calls} & {c["id"] for c in other.calls}
        if clash or self.arrays.keys() & other.arrays.keys():
            raise ValueError(f"duplicate call ids or array names: {sorted(clash)[:3]}")
        self.calls.extend(other.calls)
        self.arrays.update(other.arrays)


class ProgramBuilder:
    """Builds the calls of one test case; every id and array name is prefixed by the case name."""

    # The methods ``dict`` and ``list`` shadow the builtins in this class body, so annotations
    # here spell out ``builtins.dict`` / ``builtins.list`` (method bodies still see the builtins).

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.program = Program()
        self._count = 0

    def array(self, value: np.ndarray, *, bind: str | None = None) -> builtins.dict[str, Any]:
        name = f"{self.prefix}/a{len(self.program.arrays)}"
        self.program.arrays[name] = np.array(value, order="C", copy=True)
        return self._bind({"array": name}, bind)

    def value(self, value: Any) -> builtins.dict[str, Any]:
        return {"value": value}

    def rng(self, seed: int, *, bind: str | None = None) -> builtins.dict[str, Any]:
        return self._bind({"rng": int(seed)}, bind)

    def dict(
        self, items: builtins.dict[str, builtins.dict[str, Any]], *, bind: str | None = None
    ) -> builtins.dict[str, Any]:
        return self._bind({"dict": items}, bind)

    def list(self, items: builtins.list[builtins.dict[str, Any]]) -> builtins.dict[str, Any]:
        return {"list": items}

    def result(self, call_id: str, index: int | None = None) -> builtins.dict[str, Any]:
        return {"result": call_id, "index": index}

    def object(self, name: str, **updates: builtins.dict[str, Any]) -> builtins.dict[str, Any]:
        spec: builtins.dict[str, Any] = {"object": self._name(name)}
        if updates:
            spec["set"] = updates
        return spec

    def call(
        self,
        fn: str,
        *args: builtins.dict[str, Any],
        select: builtins.list[int] | None = None,
        state: builtins.list[str] | None = None,
        name: str | None = None,
    ) -> str:
        call_id = f"{self.prefix}/{name or f'call{self._count}'}"
        self._count += 1
        spec: builtins.dict[str, Any] = {"id": call_id, "fn": fn, "args": list(args)}
        if select is not None:
            spec["select"] = select
        if state:
            spec["state"] = [self._name(s) for s in state]
        self.program.calls.append(spec)
        return call_id

    def _name(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def _bind(self, spec: builtins.dict[str, Any], bind: str | None) -> builtins.dict[str, Any]:
        if bind:
            spec["bind"] = self._name(bind)
        return spec


# ----- decoded values ---------------------------------------------------------------------


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

    description: str


@dataclass
class CallOutcome:
    call_id: str
    ok: bool
    value: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
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
        return Unsupported("malformed output")
    if "array" in enc:
        arr = arrays.get(str(enc["array"]))
        return arr if arr is not None else Unsupported("array missing from the result channel")
    if "number" in enc:
        number = enc["number"]
        if not isinstance(number, bool | int | float):
            return Unsupported("malformed number")
        return Number(number, str(enc.get("type", "")))
    if "none" in enc:
        return None
    if "tuple" in enc or "list" in enc:
        items = enc.get("tuple", enc.get("list"))
        if not isinstance(items, list):
            return Unsupported("malformed sequence")
        decoded = [decode_value(v, arrays) for v in items]
        return tuple(decoded) if "tuple" in enc else decoded
    if "dict" in enc and isinstance(enc["dict"], dict):
        return {str(k): decode_value(v, arrays) for k, v in enc["dict"].items()}
    if "opaque" in enc:
        return Opaque(str(enc["opaque"]))
    return Unsupported(str(enc.get("unsupported", "unknown value"))[:200])


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
        error=str(record.get("error", "error"))[:2000],
        kind=str(record.get("kind", "exception")),
        traceback=str(record.get("traceback", ""))[:2000],
        stdout=stdout,
        stdout_chars=stdout_chars,
        seconds=seconds,
    )
