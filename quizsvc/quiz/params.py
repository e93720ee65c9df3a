"""Per-student parameters and keys computed by ``reference/``.

An item may declare ``params`` (drawn per student from a seed) and declares ``compute`` (a
function registered in ``reference.answers`` and its arguments). An argument written as
``"$name"`` takes the drawn parameter ``name``. The prompt shows a parameter as ``{{name}}``.

An item without ``compute`` has a fixed ``answer`` typed by the instructor (a number, a list or a
list of rows), for keys no reference function gives; it draws no parameters.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import re
from typing import Any

import numpy as np

from quizsvc.quiz.numbers import format_number
from reference.answers import ANSWER_FUNCTIONS, UnknownAnswerFunction, compute

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
PARAM_KINDS = ("int", "float", "choice", "vector")


def variant_seed(*parts: object) -> int:
    """A stable 63-bit seed from e.g. (user id, item id): same student, same variant."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def draw_params(specs: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {}
    for name in sorted(specs):  # sorted: adding a parameter never reshuffles the others' order
        spec = specs[name]
        kind = spec["kind"]
        if kind == "int":
            values[name] = int(rng.integers(spec["low"], spec["high"] + 1))
        elif kind == "float":
            values[name] = round(float(rng.uniform(spec["low"], spec["high"])), spec.get("decimals", 2))
        elif kind == "choice":
            values[name] = spec["values"][int(rng.integers(len(spec["values"])))]
        elif kind == "vector":
            shape = spec["shape"]
            if spec.get("integer", False):
                arr = rng.integers(spec["low"], spec["high"] + 1, size=shape).astype(float)
            else:
                arr = np.round(rng.uniform(spec["low"], spec["high"], size=shape), spec.get("decimals", 1))
            values[name] = arr.tolist()
    return values


def validate_params(specs: Any) -> list[str]:
    if specs is None:
        return []
    if not isinstance(specs, dict):
        return ["params must be a mapping of name -> spec"]
    problems = []
    for name, spec in specs.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            problems.append(f"param {name!r}: not a valid name")
            continue
        if not isinstance(spec, dict) or spec.get("kind") not in PARAM_KINDS:
            problems.append(f"param {name}: kind must be one of {', '.join(PARAM_KINDS)}")
            continue
        kind = spec["kind"]
        if kind in ("int", "float", "vector"):
            lo, hi = spec.get("low"), spec.get("high")
            if not isinstance(lo, int | float) or not isinstance(hi, int | float) or lo > hi:
                problems.append(f"param {name}: needs numbers low <= high")
        if kind == "choice" and (not isinstance(spec.get("values"), list) or not spec["values"]):
            problems.append(f"param {name}: choice needs a non-empty list of values")
        if kind == "vector":
            shape = spec.get("shape")
            if isinstance(shape, int):
                shape = [shape]
            if (
                not isinstance(shape, list)
                or not 1 <= len(shape) <= 2
                or not all(isinstance(s, int) and 1 <= s <= 20 for s in shape)
            ):
                problems.append(f"param {name}: vector shape must be n or [rows, cols], each 1..20")
    return problems


def resolve_args(args: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    def one(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("$"):
            return params[v[1:]]
        if isinstance(v, list):
            return [one(x) for x in v]
        return v

    return {k: one(v) for k, v in args.items()}


def compute_key(spec: dict[str, Any], params: dict[str, Any]) -> Any:
    """Call the reference function; returns a float or a nested list of floats."""
    result = compute(spec["fn"], resolve_args(spec.get("args", {}), params))
    if isinstance(result, np.ndarray):
        return result.astype(float).tolist()
    if isinstance(result, np.generic):
        return result.item()
    return result


def validate_compute(spec: Any, param_specs: dict[str, Any] | None) -> list[str]:
    if not isinstance(spec, dict) or "fn" not in spec:
        return ["compute is missing: name a reference function (compute: {fn: ..., args: {...}}) or type a fixed answer (answer: ...)"]
    if spec["fn"] not in ANSWER_FUNCTIONS:
        return [f"compute: unknown reference function {spec['fn']!r}"]
    args = spec.get("args", {})
    if not isinstance(args, dict):
        return ["compute: args must be a mapping"]
    problems = argument_problems(spec["fn"], args)
    names = set(param_specs or {})

    def refs(v: Any) -> list[str]:
        if isinstance(v, str) and v.startswith("$"):
            return [v[1:]]
        if isinstance(v, list):
            return [r for x in v for r in refs(x)]
        return []

    for value in args.values():
        for ref in refs(value):
            if ref not in names:
                problems.append(f"compute: argument refers to undefined param ${ref}")
    return problems


def argument_problems(fn: str, args: dict[str, Any]) -> list[str]:
    """Arguments the function does not take, and required ones left out, named with what it
    takes (a TypeError from the call would only say the first)."""
    accepted = inspect.signature(ANSWER_FUNCTIONS[fn]).parameters
    takes = ", ".join(accepted) or "nothing"
    problems = [f"compute: {fn} has no argument {name!r} (it takes {takes})"
                for name in args if name not in accepted]
    missing = [name for name, p in accepted.items()
               if p.default is inspect.Parameter.empty and name not in args]
    if missing:
        problems.append(f"compute: {fn} needs argument{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} (it takes {takes})")
    return problems


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def fixed_answer_problems(answer: Any, max_entries: int) -> list[str]:
    """A typed key: a finite number, a list of them, or a list of equal-length rows."""
    if _number(answer):
        return []
    if isinstance(answer, list) and answer:
        if all(_number(x) for x in answer):
            rows = [answer]
        elif all(isinstance(r, list) and r and all(_number(x) for x in r) for r in answer):
            rows = answer
            if len({len(r) for r in rows}) != 1:
                return ["answer: the rows of the matrix have different lengths"]
        else:
            return ["answer: write numbers only, e.g. 0.75, [1, 2, 3] or [[1, 2], [3, 4]]"]
        if sum(len(r) for r in rows) > max_entries:
            return [f"answer: at most {max_entries} entries"]
        return []
    return ["answer: write a number (e.g. 0.75), a list [1, 2, 3] or rows [[1, 2], [3, 4]]"]


def substitute(text: str, params: dict[str, Any]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            return m.group(0)
        return format_value(params[name])

    return _PLACEHOLDER.sub(repl, text)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def format_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, float):
        return format_number(v)
    return str(v)


def check_reproducible(config: dict[str, Any]) -> list[str]:
    """For items without params the stored ``answer`` must equal what ``compute`` gives (an
    item without ``compute`` has a fixed answer: nothing to check it against)."""
    if config.get("params") or "answer" not in config or "compute" not in config:
        return []
    try:
        fresh = compute_key(config["compute"], {})
    except (UnknownAnswerFunction, TypeError, ValueError, KeyError) as exc:
        return [f"compute failed: {exc}"]
    stored = np.asarray(config["answer"], dtype=float)
    fresh_arr = np.asarray(fresh, dtype=float)
    if stored.shape != fresh_arr.shape or not np.allclose(stored, fresh_arr, rtol=1e-12, atol=1e-12):
        return [
            f"answer {format_value(config['answer'])} is not what compute gives "
            f"({format_value(fresh)}): keys are computed, never typed"
        ]
    return []
