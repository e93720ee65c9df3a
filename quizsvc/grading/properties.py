"""Property judges (placeholder until the dropout judges move here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from quizsvc.grading.cases import Verdict
from quizsvc.sandbox.records import RunOutcome

Judge = Callable[[dict[str, Any], dict[str, np.ndarray], RunOutcome], Verdict]
JUDGES: dict[str, Judge] = {}


def judge_for(name: str, params: dict[str, Any], arrays: dict[str, np.ndarray]
              ) -> Callable[[RunOutcome], Verdict]:
    judge = JUDGES[name]
    return lambda outcome: judge(params, arrays, outcome)
