"""The trusted side's shortcuts must not change a grade: the cached Program stays intact, and
the plain-Python comparison of small arrays gives exactly what the NumPy path gives."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.checks import Tolerance, _all_close, _compare_numpy, _compare_small
from quizsvc.grading.runner import RunOutcome
from quizsvc.grading.runner.inprocess import namespace_from_source, run_trusted
from quizsvc.grading.selfcheck import reference_source
from quizsvc.sandbox.program import Program


class TrustedRunner:
    """Runs our own reference in-process, through the same protocol as the sandbox."""

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        return run_trusted(namespace_from_source(source, filename), program)


def test_program_is_built_once_and_grading_does_not_change_it() -> None:
    assignment = registry.get("batchnorm")
    program = assignment.program(assignment.cases)
    assert assignment.program(list(assignment.cases)) is program
    visible = [c for c in assignment.cases if c.visible]
    assert assignment.program(visible) is not program
    assert [c["id"] for c in assignment.program(visible).calls] == [
        call["id"] for c in visible for call in c.program.calls]
    calls, arrays = copy.deepcopy(program.calls), {k: v.copy() for k, v in program.arrays.items()}

    source = reference_source(assignment)
    first, second = (grade_source("batchnorm", source, runner=TrustedRunner()).to_dict(
        include_private=True) for _ in range(2))
    assert first["passed"] and first["cases"] == second["cases"]
    assert program.calls == calls and program.arrays.keys() == arrays.keys()
    assert all(np.array_equal(program.arrays[k], v) for k, v in arrays.items())


@pytest.mark.parametrize("equal_nan", [False, True])
def test_small_arrays_compare_exactly_like_numpy(equal_nan: bool) -> None:
    rng = np.random.default_rng(7)
    tols = [Tolerance(), Tolerance(rtol=1e-12, atol=0.0), Tolerance(rtol=1e-4, atol=1e-5)]
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 1e-300]
    for trial in range(3000):
        shape = [(), (1,), (4,), (3, 5), (2, 3, 4), (8, 8)][trial % 6]
        b = rng.normal(scale=10.0 ** rng.integers(-10, 4), size=shape)
        a = b * (1 + rng.choice([0.0, 1e-9, 1e-6, 1e-3], size=shape))
        for x in (a, b):  # sprinkle NaN, inf, huge and tiny values on both sides
            if x.size and rng.random() < 0.4:
                x.flat[rng.integers(x.size, size=2)] = rng.choice(specials, size=2)
        if a.size and rng.random() < 0.2:
            a.flat[0] = b.flat[0]
        tol = tols[trial % 3]
        with np.errstate(all="ignore"):
            slow = _compare_numpy(a, b, tol, "out", equal_nan)
        fast = _compare_small(a, b, tol, "out", equal_nan)
        if fast is None:  # only when the NumPy path must handle it
            assert a.size == 0 or not equal_nan
            continue
        assert repr(fast) == repr(slow)
        assert _all_close(a, b, tol, equal_nan) == slow.ok


def test_gradient_check_stays_quiet_on_nan_inf_and_complex_outputs() -> None:
    """A forward that returns NaN/inf or a complex gradient: no feedback, no warning (the
    suite turns warnings into errors), no NaN in the metrics."""
    from quizsvc.sandbox.records import CallOutcome

    assignment = registry.get("batchnorm")
    case = next(c for c in assignment.cases if c.gradcheck is not None)
    check = case.gradcheck
    assert check.relative_errors(assignment.expected) is not None
    for poison in (np.nan, np.inf):
        outcome = copy.copy(assignment.expected)
        outcome.outcomes = dict(outcome.outcomes)
        for probes in check.probes.values():
            for _, plus, _minus in probes:
                good = outcome.outcomes[plus]
                outcome.outcomes[plus] = CallOutcome(plus, True, (good.value[0] * poison,))
        assert check.relative_errors(outcome) is None
        assert check.feedback(outcome) == ("", {})
    outcome = copy.copy(assignment.expected)
    outcome.outcomes = dict(outcome.outcomes)
    call, path = check.analytic["x"]
    good = outcome.outcomes[call]
    outcome.outcomes[call] = CallOutcome(call, True, (good.value[0] + 0j, *good.value[1:]))
    assert check.relative_errors(outcome) is None
