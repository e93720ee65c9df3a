"""Building the sandbox's call programs (:class:`quizsvc.sandbox.program.Program`) for test cases."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from quizsvc.sandbox.program import Program


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
