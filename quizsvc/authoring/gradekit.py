"""gradekit: the small Python API an assignment package's ``cases.py`` builds its cases with.

A package's ``cases.py`` defines ``cases() -> list[CaseSpec]``. It runs in the sandbox, never in
the service's processes: everything here produces plain data (calls, input arrays, which
outputs to compare, tolerances, gradient-check probes, which statistical judge to apply), and
the service turns that data into checks of its own. Nothing here can compare outputs or decide
a verdict. Only the standard library and NumPy are imported: this file's text is loaded into
the sandbox beside the package's code as the module ``gradekit``.

The full reference is docs/assignment-format.md.
"""

from __future__ import annotations

import builtins
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CaseSpec", "GradCheckSpec", "Output", "ProgramBuilder", "Text", "Tolerance", "gradcheck",
    "layer_case", "param_dict", "property_case", "rng_for", "running_sequence_case", "state",
    "value_case",
]

WIRE_VERSION = 1


@dataclass(frozen=True)
class Text:
    """A text in both languages the course is taught in."""

    en: str
    ko: str

    def to_wire(self) -> dict[str, str]:
        return {"en": self.en, "ko": self.ko}


Label = str | Text  # an output's name in messages: an identifier, or an English/Korean pair


@dataclass(frozen=True)
class Tolerance:
    """``|actual - expected| <= atol + rtol * |expected|``, entry by entry (NumPy's isclose)."""

    rtol: float = 1e-5
    atol: float = 1e-8

    def to_wire(self) -> dict[str, float]:
        return {"rtol": float(self.rtol), "atol": float(self.atol)}


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``name``: a case's data never changes
    when other cases are added, removed or reordered."""
    return np.random.default_rng([seed, *name.encode()])


class ProgramBuilder:
    """Builds the calls of one test case; every call id and array name is prefixed by the case
    name. The argument specs it returns are what a call receives:

    - ``array(a)``: a fresh copy of ``a`` (the submission may not change the original),
    - ``value(v)``: a JSON value (number, string, bool, None, list or dict of those),
    - ``rng(seed)``: a new ``numpy.random.Generator``,
    - ``dict({...})`` / ``list([...])``: containers of argument specs,
    - ``result(call_id, index)``: an object an earlier call returned (a cache; it never
      leaves the sandbox),
    - ``object(name, key=spec)``: an object bound earlier with ``bind=name``, after item
      assignments (``mode="test"``).
    """

    # ``dict`` and ``list`` shadow the builtins in this class body, so annotations here spell
    # out ``builtins.dict`` / ``builtins.list`` (method bodies still see the builtins).

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.calls: builtins.list[builtins.dict[str, Any]] = []
        self.arrays: builtins.dict[str, np.ndarray] = {}
        self.kept: builtins.dict[str, np.ndarray] = {}  # arrays for the service, not for calls
        self._count = 0

    def array(self, value: Any, *, bind: str | None = None) -> builtins.dict[str, Any]:
        name = f"{self.prefix}/a{len(self.arrays)}"
        self.arrays[name] = np.array(value, order="C", copy=True)
        return self._bind({"array": name}, bind)

    def value(self, value: Any) -> builtins.dict[str, Any]:
        return {"value": value}

    def rng(self, seed: int, *, bind: str | None = None) -> builtins.dict[str, Any]:
        return self._bind({"rng": int(seed)}, bind)

    def dict(self, items: builtins.dict[str, builtins.dict[str, Any]], *,
             bind: str | None = None) -> builtins.dict[str, Any]:
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

    def call(self, fn: str, *args: builtins.dict[str, Any], select: builtins.list[int] | None = None,
             state: builtins.list[str] | None = None, name: str | None = None) -> str:
        """Add a call of the submission's function ``fn``; returns its id. ``select`` keeps
        only those items of a returned tuple (the rest, like caches, stay in the sandbox);
        ``state`` names bound objects to send back after the call (a mutated bn_param)."""
        call_id = f"{self.prefix}/{name or f'call{self._count}'}"
        self._count += 1
        spec: builtins.dict[str, Any] = {"id": call_id, "fn": fn, "args": builtins.list(args)}
        if select is not None:
            spec["select"] = builtins.list(select)
        if state:
            spec["state"] = [self._name(s) for s in state]
        self.calls.append(spec)
        return call_id

    def _name(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def _bind(self, spec: builtins.dict[str, Any], bind: str | None) -> builtins.dict[str, Any]:
        if bind:
            spec["bind"] = self._name(bind)
        return spec


PathItem = int | str


@dataclass(frozen=True)
class Output:
    """One output to compare with the reference's: the value of ``call`` at ``path``.

    ``path`` indexes the returned value (``(0,)``: the first item of a returned tuple); a path
    starting with ``"state"`` reads an object sent back after the call (use :func:`state`).
    ``kind``: "array", "number", "int" (an exact integer) or "arrays" (a list of arrays).
    ``tol`` overrides the case's tolerance for this output."""

    label: Label
    call: str
    path: tuple[PathItem, ...] = ()
    kind: str = "array"
    tol: Tolerance | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"label": _label_wire(self.label), "call": self.call, "path": list(self.path),
                "kind": self.kind, "tol": self.tol.to_wire() if self.tol else None}


@dataclass
class GradCheckSpec:
    """A finite-difference check of the submission's backward against its own forward, made by
    :func:`gradcheck` (feedback only: it never changes the score)."""

    probes: dict[str, list[tuple[str, str, str]]]  # param -> (direction array, +h call, -h call)
    shapes: dict[str, tuple[int, ...]]
    analytic: dict[str, tuple[str, tuple[PathItem, ...]]]
    out_path: tuple[PathItem, ...]
    dout: str | None  # an array name, or None when the forward returns a scalar
    h: float
    threshold: float

    def to_wire(self) -> dict[str, Any]:
        return {"probes": {k: [list(p) for p in v] for k, v in self.probes.items()},
                "shapes": {k: list(v) for k, v in self.shapes.items()},
                "analytic": {k: [c, list(p)] for k, (c, p) in self.analytic.items()},
                "out_path": list(self.out_path), "dout": self.dout, "h": self.h,
                "threshold": self.threshold}


def gradcheck(b: ProgramBuilder, fn: str, make_args: Callable[[dict[str, np.ndarray]], list[dict[str, Any]]],
              params: dict[str, np.ndarray], *, analytic: dict[str, tuple[str, tuple[PathItem, ...]]],
              out_path: tuple[PathItem, ...], dout: np.ndarray | None, select: list[int] | None,
              h: float = 1e-5, threshold: float = 1e-6) -> GradCheckSpec:
    """Add two forward calls (p + h v, p - h v) per parameter, along one random direction v,
    to ``b``'s program. ``make_args(values)`` builds the forward's arguments from the
    parameters' (perturbed) values; ``analytic`` says where the submission's gradient of each
    parameter is (call id, path); ``dout`` weights the forward's output (None: it returns a
    scalar). The service compares the directional derivatives; ``threshold`` is the relative
    error above which the backward is said not to differentiate the forward."""
    rng = np.random.default_rng(zlib.crc32(b.prefix.encode()))  # the same program every time
    probes: dict[str, list[tuple[str, str, str]]] = {}
    for name, base in params.items():
        direction = rng.standard_normal(base.shape)
        calls = []
        for step in (h, -h):
            values = dict(params)
            values[name] = (base + step * direction).astype(base.dtype)
            calls.append(b.call(fn, *make_args(values), select=select))
        probes[name] = [(_keep(b, direction, "direction"), calls[0], calls[1])]
    dout_name = None if dout is None else _keep(b, dout, "dout")
    return GradCheckSpec(probes, {k: tuple(int(n) for n in v.shape) for k, v in params.items()},
                         dict(analytic), tuple(out_path), dout_name, h, threshold)


def _keep(b: ProgramBuilder, value: np.ndarray, kind: str) -> str:
    """An array the service needs but no call receives (kept beside the program's arrays)."""
    name = f"{b.prefix}/{kind}{len(b.kept)}"
    b.kept[name] = np.array(value, order="C", copy=True)
    return name


@dataclass
class CaseSpec:
    """One test case, all or nothing: its calls, and either the outputs to compare with the
    reference (a value case) or a statistical judge of the outputs alone (a property case)."""

    name: str
    points: float
    visible: bool
    summary: Text
    calls: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]
    checks: list[Output] = field(default_factory=list)
    tolerance: Tolerance = field(default_factory=Tolerance)
    gradcheck: GradCheckSpec | None = None
    judge: str | None = None  # a property judge of the service (docs/assignment-format.md)
    params: dict[str, Any] = field(default_factory=dict)  # the judge's parameters
    feature_tol: dict[str, float] = field(default_factory=dict)  # diagnosis: rates that match
    kept: dict[str, np.ndarray] = field(default_factory=dict)  # gradcheck directions, douts

    def to_wire(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        spec = {"name": self.name, "points": float(self.points), "visible": bool(self.visible),
                "summary": self.summary.to_wire(), "calls": self.calls,
                "checks": [c.to_wire() for c in self.checks],
                "tolerance": self.tolerance.to_wire(),
                "gradcheck": self.gradcheck.to_wire() if self.gradcheck else None,
                "judge": self.judge, "params": self.params,
                "feature_tol": {k: float(v) for k, v in self.feature_tol.items()},
                "arrays": list(self.arrays), "kept": list(self.kept)}
        return spec, {**self.arrays, **self.kept}


Build = Callable[[ProgramBuilder], "list[Output] | tuple[list[Output], GradCheckSpec | None]"]


def value_case(name: str, *, points: float, visible: bool, summary: Text, build: Build,
               tolerance: Tolerance = Tolerance()) -> CaseSpec:
    """A case whose outputs are compared with the reference's. ``build(b)`` adds the calls and
    returns the outputs to compare (and, optionally, a :func:`gradcheck`)."""
    b = ProgramBuilder(name)
    built = build(b)
    checks, check = built if isinstance(built, tuple) else (built, None)
    return CaseSpec(name, points, visible, summary, b.calls, b.arrays, list(checks), tolerance,
                    check, kept=b.kept)


def property_case(name: str, *, points: float, visible: bool, summary: Text,
                  build: Callable[[ProgramBuilder], tuple[dict[str, Any], GradCheckSpec | None]],
                  judge: str, feature_tol: dict[str, float] | None = None) -> CaseSpec:
    """A case judged by a statistical property instead of the reference's outputs (random
    code: dropout). ``build(b)`` adds the calls and returns the judge's parameters (call ids,
    array names from :meth:`ProgramBuilder.array`'s specs, numbers) and an optional
    gradcheck. The judges and their parameters are listed in docs/assignment-format.md."""
    b = ProgramBuilder(name)
    params, check = build(b)
    return CaseSpec(name, points, visible, summary, b.calls, b.arrays, [], Tolerance(), check,
                    judge, params, dict(feature_tol or {}), b.kept)


# ----- layers: forward(x, *params, *extra, param_dict) -> (out, cache); backward(dout, cache)

def param_dict(b: ProgramBuilder, params: dict[str, Any], *, bind: str | None = None
               ) -> dict[str, Any]:
    """A dict argument (bn_param, ln_param): arrays become arrays, the rest values."""
    items = {k: b.array(v) if isinstance(v, np.ndarray) else b.value(v) for k, v in params.items()}
    return b.dict(items, bind=bind)


def state(b: ProgramBuilder, name: str, key: str) -> tuple[str, str, str]:
    """The path of ``key`` in the object bound as ``name``, as sent back after a call."""
    return ("state", f"{b.prefix}/{name}", key)


def layer_case(prefix: str, name: str, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               params: dict[str, Any], dout: np.ndarray | None, *, points: float, visible: bool,
               summary: Text, tolerance: Tolerance, running: bool = False,
               gradcheck_threshold: float | None = None, extra: tuple[Any, ...] = ()) -> CaseSpec:
    """``{prefix}_forward(x, gamma, beta, *extra, params)`` then, if ``dout`` is given,
    ``{prefix}_backward(dout, cache)``, comparing out (and running_mean / running_var left in
    the params dict when ``running``), then dx, dgamma, dbeta; with a gradient check of x,
    gamma and beta when ``gradcheck_threshold`` is given."""
    forward, backward = f"{prefix}_forward", f"{prefix}_backward"

    def build(b: ProgramBuilder) -> list[Output] | tuple[list[Output], GradCheckSpec | None]:
        fwd = b.call(forward, b.array(x), b.array(gamma), b.array(beta),
                     *[b.value(v) for v in extra], param_dict(b, params, bind="param"),
                     select=[0], state=["param"] if running else None, name="forward")
        checks = [Output("out", fwd, (0,))]
        if running:
            checks += [Output("running_mean", fwd, state(b, "param", "running_mean")),
                       Output("running_var", fwd, state(b, "param", "running_var"))]
        if dout is None:
            return checks
        bwd = b.call(backward, b.array(dout), b.result(fwd, 1), name="backward")
        checks += [Output("dx", bwd, (0,)), Output("dgamma", bwd, (1,)),
                   Output("dbeta", bwd, (2,))]
        if gradcheck_threshold is None:
            return checks
        fresh = {k: v for k, v in params.items() if k not in ("running_mean", "running_var")}
        check = gradcheck(
            b, forward,
            lambda v: [b.array(v["x"]), b.array(v["gamma"]), b.array(v["beta"]),
                       *[b.value(e) for e in extra], param_dict(b, fresh)],
            {"x": x, "gamma": gamma, "beta": beta},
            analytic={"x": (bwd, (0,)), "gamma": (bwd, (1,)), "beta": (bwd, (2,))},
            out_path=(0,), dout=dout, select=[0], threshold=gradcheck_threshold)
        return checks, check

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def running_sequence_case(prefix: str, name: str, seed: int, batch_shape: tuple[int, ...],
                          test_shape: tuple[int, ...], *, points: float, visible: bool,
                          summary: Text, tolerance: Tolerance) -> CaseSpec:
    """Three train steps sharing one param dict (momentum 0.8, eps 1e-3 at the first), then
    test mode with the running statistics they left; inputs drawn from ``seed`` and ``name``,
    one gamma/beta entry per channel (axis 1)."""
    r = rng_for(seed, name)
    batches = [r.normal(loc=2.0, scale=3.0, size=batch_shape) for _ in range(3)]
    x_test = r.normal(loc=2.0, scale=3.0, size=test_shape)
    gamma, beta = r.uniform(0.5, 2.0, size=batch_shape[1]), r.normal(size=batch_shape[1])
    params = {"mode": "train", "momentum": 0.8, "eps": 1e-3}
    forward = f"{prefix}_forward"

    def build(b: ProgramBuilder) -> list[Output]:
        checks = []
        for step, batch in enumerate(batches):
            param = param_dict(b, params, bind="bnp") if step == 0 else b.object("bnp")
            call = b.call(forward, b.array(batch), b.array(gamma), b.array(beta), param,
                          select=[0], state=["bnp"], name=f"train{step}")
            n = step + 1
            checks += [Output(Text(en=f"out (train step {n})", ko=f"out (학습 {n}단계)"), call, (0,)),
                       Output(Text(en=f"running_mean (after step {n})", ko=f"running_mean ({n}단계 후)"),
                              call, state(b, "bnp", "running_mean")),
                       Output(Text(en=f"running_var (after step {n})", ko=f"running_var ({n}단계 후)"),
                              call, state(b, "bnp", "running_var"))]
        call = b.call(forward, b.array(x_test), b.array(gamma), b.array(beta),
                      b.object("bnp", mode=b.value("test")), select=[0], state=["bnp"], name="test")
        return checks + [
            Output(Text(en="out (test mode)", ko="out (테스트 모드)"), call, (0,)),
            Output(Text(en="running_mean (after test)", ko="running_mean (테스트 후)"),
                   call, state(b, "bnp", "running_mean")),
            Output(Text(en="running_var (after test)", ko="running_var (테스트 후)"),
                   call, state(b, "bnp", "running_var"))]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


# ----- cases declared as data (cases.toml) ---------------------------------------------------

DISTRIBUTIONS = ("normal", "uniform", "integers")
DTYPES = ("float64", "float32", "int64", "int32")


def _draw(kind: str, spec: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(n) for n in spec["shape"])
    if kind == "normal":
        return rng.normal(float(spec.get("mean", 0.0)), float(spec.get("std", 1.0)), size=shape)
    if kind == "uniform":
        return rng.uniform(float(spec.get("low", 0.0)), float(spec.get("high", 1.0)), size=shape)
    return rng.integers(int(spec.get("low", 0)), int(spec["high"]), size=shape)


def _data_arg(b: ProgramBuilder, spec: Any, rng: np.random.Generator,
              calls: dict[str, str]) -> dict[str, Any]:
    """One argument of a data-declared call (see docs/assignment-format.md, cases.toml)."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"an argument must be a table, got {spec!r}")
    bind = spec.get("bind")
    kinds = [k for k in spec if k not in ("bind", "dtype", "set", "index")]
    if len(kinds) != 1:
        raise ValueError(f"an argument needs exactly one kind, got {sorted(spec)}")
    kind = kinds[0]
    if kind in DISTRIBUTIONS or kind == "array":
        value = np.array(spec["array"], dtype=float) if kind == "array" else _draw(kind, spec[kind], rng)
        dtype = spec.get("dtype")
        if dtype is not None:
            if dtype not in DTYPES:
                raise ValueError(f"dtype must be one of {', '.join(DTYPES)}")
            value = value.astype(dtype)
        return b.array(value, bind=bind)
    if kind == "value":
        return b.value(spec["value"])
    if kind == "rng":
        return b.rng(int(spec["rng"]), bind=bind)
    if kind == "list":
        return b.list([_data_arg(b, item, rng, calls) for item in spec["list"]])
    if kind == "dict":
        return b.dict({k: _data_arg(b, v, rng, calls) for k, v in spec["dict"].items()}, bind=bind)
    if kind == "result":
        if spec["result"] not in calls:
            raise ValueError(f"no earlier call named {spec['result']!r}")
        return b.result(calls[spec["result"]], spec.get("index"))
    if kind == "object":
        updates = {k: _data_arg(b, v, rng, calls) for k, v in spec.get("set", {}).items()}
        return b.object(str(spec["object"]), **updates)
    raise ValueError(f"unknown argument kind {kind!r}")


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or set(value) != {"en", "ko"}:
        raise ValueError(f"{where} must be {{ en = ..., ko = ... }}")
    return Text(en=str(value["en"]), ko=str(value["ko"]))


def _tolerance(value: Any, default: Tolerance) -> Tolerance:
    return default if value is None else Tolerance(float(value["rtol"]), float(value["atol"]))


def data_cases(document: dict[str, Any]) -> list[CaseSpec]:
    """The cases a cases.toml declares: each ``[[case]]`` with its ``[[case.call]]`` list;
    random inputs are drawn from ``rng_for(seed, "<case>/<call>/<argument>")``."""
    seed = int(document.get("seed", 0))
    default = _tolerance(document.get("tolerance"), Tolerance())
    specs = []
    for entry in document.get("case", []):
        name = str(entry.get("name", ""))
        try:
            b = ProgramBuilder(name)
            outputs: list[Output] = []
            calls: dict[str, str] = {}
            for index, call in enumerate(entry["call"]):
                call_name = str(call.get("name", f"call{index}"))
                args = [_data_arg(b, spec, rng_for(seed, f"{name}/{call_name}/{i}"), calls)
                        for i, spec in enumerate(call.get("args", []))]
                call_id = calls[call_name] = b.call(
                    str(call["fn"]), *args, select=call.get("select"), state=call.get("state"),
                    name=call_name)
                for out in call.get("outputs", []):
                    label = out.get("label", call_name)
                    # ``state = ["bnp", "running_mean"]`` reads a bound object after the call
                    path = (state(b, *out["state"]) if "state" in out
                            else tuple(out.get("path", ())))
                    outputs.append(Output(
                        _text(label, "label") if isinstance(label, dict) else str(label),
                        call_id, tuple(path), str(out.get("kind", "array")),
                        _tolerance(out.get("tolerance"), default) if "tolerance" in out else None))
            specs.append(CaseSpec(
                name, float(entry.get("points", 1)), not bool(entry.get("hidden", False)),
                _text(entry.get("summary"), "summary"), b.calls, b.arrays, outputs,
                _tolerance(entry.get("tolerance"), default)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"cases.toml, case {name or '?'}: {exc!r}") from None
    return specs


def _label_wire(label: Label) -> Any:
    return label.to_wire() if isinstance(label, Text) else label


def encode_cases(specs: list[CaseSpec]) -> tuple[bytes, list[np.ndarray]]:
    """What the sandbox sends back: one JSON document and the arrays it names, in order."""
    documents: list[dict[str, Any]] = []
    arrays: list[np.ndarray] = []
    for spec in specs:
        if not isinstance(spec, CaseSpec):
            raise TypeError(f"cases() must return CaseSpec objects, got {type(spec).__name__}")
        document, named = spec.to_wire()
        document["order"] = list(named)
        documents.append(document)
        arrays.extend(np.ascontiguousarray(a) for a in named.values())
    return json.dumps({"version": WIRE_VERSION, "cases": documents}).encode(), arrays
