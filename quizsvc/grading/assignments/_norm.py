"""Case builders shared by the normalization assignments (batch, layer, spatial batch and group
norm)."""

from __future__ import annotations

from typing import Any

import numpy as np

from quizsvc.grading.assignments._common import rng_for, value_case
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.gradcheck import GradCheck, add_gradcheck
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.text import Text


def param_dict(b: ProgramBuilder, params: dict[str, Any], *, bind: str | None = None
               ) -> dict[str, Any]:
    items = {k: b.array(v) if isinstance(v, np.ndarray) else b.value(v)
             for k, v in params.items()}
    return b.dict(items, bind=bind)


def state(b: ProgramBuilder, name: str, key: str) -> tuple[str, str, str]:
    return ("state", f"{b.prefix}/{name}", key)


def forward_backward_case(
    prefix: str, name: str, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
    params: dict[str, Any], dout: np.ndarray | None, *, points: float, visible: bool,
    summary: Text, tolerance: Tolerance, running: bool, gradcheck_threshold: float | None = None,
    extra: tuple[Any, ...] = (),
) -> Case:
    """forward(x, gamma, beta, *extra, params) then, if ``dout`` is given, backward(dout, cache).

    ``extra``: plain values passed between beta and the params dict (group norm's G)."""
    forward, backward = f"{prefix}_forward", f"{prefix}_backward"

    def build(b: ProgramBuilder) -> list[OutputCheck] | tuple[list[OutputCheck], GradCheck]:
        fwd = b.call(forward, b.array(x), b.array(gamma), b.array(beta),
                     *[b.value(v) for v in extra],
                     param_dict(b, params, bind="param"), select=[0],
                     state=["param"] if running else None, name="forward")
        checks = [OutputCheck("out", fwd, (0,))]
        if running:
            checks += [OutputCheck("running_mean", fwd, state(b, "param", "running_mean")),
                       OutputCheck("running_var", fwd, state(b, "param", "running_var"))]
        if dout is None:
            return checks
        bwd = b.call(backward, b.array(dout), b.result(fwd, 1), name="backward")
        checks += [OutputCheck("dx", bwd, (0,)), OutputCheck("dgamma", bwd, (1,)),
                   OutputCheck("dbeta", bwd, (2,))]
        if gradcheck_threshold is None:
            return checks
        fresh = {k: v for k, v in params.items() if k not in ("running_mean", "running_var")}
        check = add_gradcheck(
            b, forward,
            lambda v: [b.array(v["x"]), b.array(v["gamma"]), b.array(v["beta"]),
                       *[b.value(e) for e in extra], param_dict(b, fresh)],
            {"x": x, "gamma": gamma, "beta": beta},
            analytic={"x": (bwd, (0,)), "gamma": (bwd, (1,)), "beta": (bwd, (2,))},
            out_path=(0,), dout=dout, select=[0], threshold=gradcheck_threshold)
        return checks, check

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)


def running_sequence_case(
    prefix: str, name: str, seed: int, batch_shape: tuple[int, ...],
    test_shape: tuple[int, ...], *, points: float, visible: bool, summary: Text,
    tolerance: Tolerance,
) -> Case:
    """Three train steps sharing one bn_param dict (momentum 0.8, eps 1e-3 at the first), then
    test mode with the running statistics they left; inputs drawn from ``seed`` and ``name``,
    one gamma/beta entry per channel (axis 1)."""
    r = rng_for(seed, name)
    batches = [r.normal(loc=2.0, scale=3.0, size=batch_shape) for _ in range(3)]
    x_test = r.normal(loc=2.0, scale=3.0, size=test_shape)
    gamma, beta = r.uniform(0.5, 2.0, size=batch_shape[1]), r.normal(size=batch_shape[1])
    params = {"mode": "train", "momentum": 0.8, "eps": 1e-3}
    forward = f"{prefix}_forward"

    def build(b: ProgramBuilder) -> list[OutputCheck]:
        checks = []
        for step, batch in enumerate(batches):
            param = param_dict(b, params, bind="bnp") if step == 0 else b.object("bnp")
            call = b.call(forward, b.array(batch), b.array(gamma), b.array(beta),
                          param, select=[0], state=["bnp"], name=f"train{step}")
            n = step + 1
            checks += [OutputCheck(Text(en=f"out (train step {n})", ko=f"out (학습 {n}단계)"),
                                   call, (0,)),
                       OutputCheck(Text(en=f"running_mean (after step {n})",
                                        ko=f"running_mean ({n}단계 후)"),
                                   call, state(b, "bnp", "running_mean")),
                       OutputCheck(Text(en=f"running_var (after step {n})",
                                        ko=f"running_var ({n}단계 후)"),
                                   call, state(b, "bnp", "running_var"))]
        call = b.call(forward, b.array(x_test), b.array(gamma), b.array(beta),
                      b.object("bnp", mode=b.value("test")), select=[0], state=["bnp"],
                      name="test")
        return checks + [OutputCheck(Text(en="out (test mode)", ko="out (테스트 모드)"), call, (0,)),
                         OutputCheck(Text(en="running_mean (after test)", ko="running_mean (테스트 후)"),
                                     call, state(b, "bnp", "running_mean")),
                         OutputCheck(Text(en="running_var (after test)", ko="running_var (테스트 후)"),
                                     call, state(b, "bnp", "running_var"))]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)
