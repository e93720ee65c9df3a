"""Case builders shared by the batch-norm and layer-norm assignments."""

from __future__ import annotations

from typing import Any

import numpy as np

from quizsvc.grading.assignments._common import value_case
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.gradcheck import GradCheck, add_gradcheck
from quizsvc.grading.protocol import ProgramBuilder


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
    summary: str, tolerance: Tolerance, running: bool, gradcheck_threshold: float | None = None,
) -> Case:
    """forward(x, gamma, beta, params) then, if ``dout`` is given, backward(dout, cache)."""
    forward, backward = f"{prefix}_forward", f"{prefix}_backward"

    def build(b: ProgramBuilder) -> list[OutputCheck] | tuple[list[OutputCheck], GradCheck]:
        fwd = b.call(forward, b.array(x), b.array(gamma), b.array(beta),
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
                       param_dict(b, fresh)],
            {"x": x, "gamma": gamma, "beta": beta},
            analytic={"x": (bwd, (0,)), "gamma": (bwd, (1,)), "beta": (bwd, (2,))},
            out_path=(0,), dout=dout, select=[0], threshold=gradcheck_threshold)
        return checks, check

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance)
