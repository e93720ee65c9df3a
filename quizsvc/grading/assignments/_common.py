"""Helpers shared by the assignment modules: seeded data and value-case construction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from quizsvc.grading.assignment import Mistake, patched, with_numpy
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.gradcheck import GradCheck
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.text import Text

F32_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)  # float32 inputs, computed in float32 or 64

Build = Callable[[ProgramBuilder], list[OutputCheck] | tuple[list[OutputCheck], GradCheck]]


def rng_for(seed: int, name: str) -> np.random.Generator:
    """Case data depends only on the assignment seed and the case name."""
    return np.random.default_rng([seed, *name.encode()])


def value_case(name: str, *, points: float, visible: bool, summary: Text, build: Build,
               tolerance: Tolerance) -> Case:
    builder = ProgramBuilder(name)
    built = build(builder)
    checks, gradcheck = built if isinstance(built, tuple) else (built, None)
    return Case(name, points, visible, summary, builder.program, checks=checks,
                gradcheck=gradcheck, tolerance=tolerance)


def mistake(key: str, base: str, patches: list[tuple[str, str]], *, title_en: str,
            title_ko: str, hint_en: str, hint_ko: str) -> Mistake:
    source = with_numpy(patched(base, *patches))
    return Mistake(key, Text(en=title_en, ko=title_ko), Text(en=hint_en, ko=hint_ko), source,
                   base, tuple(patches))


def arrays_arg(b: ProgramBuilder, arrays: list[np.ndarray]) -> dict[str, Any]:
    return b.list([b.array(a) for a in arrays])
