"""Run TRUSTED code (the reference, known-mistake variants) through the same call protocol.

Never use this for a student's submission: it runs in the grader's own process.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from quizsvc.sandbox.inside.calls import execute_calls
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome, decode_record


def namespace_of(*modules: ModuleType) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for module in modules:
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return namespace


def namespace_from_source(source: str, filename: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "trusted_variant"}
    exec(compile(source, filename, "exec", dont_inherit=True), namespace)  # noqa: S102 - trusted
    return namespace


def run_trusted(namespace: dict[str, Any], program: Program) -> RunOutcome:
    arrays: dict[str, np.ndarray] = {}

    def sink(key: str, array: np.ndarray) -> None:
        arrays[key] = array.copy()

    saved = np.random.get_state()
    np.random.seed(0)  # same global stream as a submission's child gets: reproducible grades
    try:
        with np.errstate(all="ignore"):  # variants may divide by zero: that is their point
            records = list(execute_calls(namespace, program.calls, program.arrays, sink))
    finally:
        np.random.set_state(saved)
    outcome = RunOutcome()
    for record in records:
        outcome.outcomes[record["id"]] = decode_record(record, arrays)
    return outcome
