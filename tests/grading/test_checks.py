from __future__ import annotations

import numpy as np

from quizsvc.grading.checks import Tolerance, check_array, check_number, relative_error
from quizsvc.grading.stats import binomial_interval
from quizsvc.sandbox.records import Number

TOL = Tolerance(rtol=1e-5, atol=1e-8)


def test_shape_is_checked_before_values_no_broadcasting() -> None:
    expected = np.zeros((3, 4))
    assert check_array(np.zeros(4), expected, TOL, "out").problem == "shape"
    assert check_array(np.zeros((4, 3)), expected, TOL, "out").problem == "shape"
    scalar = check_array(Number(0.0, "float"), expected, TOL, "out")
    assert scalar.problem == "type" and "scalar" in scalar.message


def test_dtype_and_finiteness() -> None:
    expected = np.ones((2, 2))
    assert check_array(np.ones((2, 2), dtype=bool), expected, TOL, "out").problem == "dtype"
    assert check_array(np.ones((2, 2), dtype=complex), expected, TOL, "out").problem == "dtype"
    bad = np.ones((2, 2))
    bad[0, 1] = np.nan
    result = check_array(bad, expected, TOL, "out")
    assert result.problem == "nonfinite" and result.metrics["nonfinite"] == 1


def test_metrics_of_a_mismatch() -> None:
    expected = np.arange(12.0).reshape(3, 4)
    actual = expected.copy()
    actual[2, 1] += 0.5
    actual[0, 3] += 1e-9  # inside the tolerance
    result = check_array(actual, expected, TOL, "dx")
    assert not result.ok and result.problem == "values"
    assert result.metrics["mismatches"] == 1
    assert result.metrics["worst_index"] == [2, 1]
    assert result.metrics["max_abs_error"] == 0.5
    assert np.isclose(result.metrics["max_rel_error"], 0.5 / (9.5 + 9.0))
    assert "[2, 1]" in result.message and "expected 9" in result.message


def test_tolerance_is_relative_to_the_reference() -> None:
    expected = np.array([1e6, 1e-12])
    assert check_array(expected * (1 + 5e-6), expected, TOL, "out").ok
    assert not check_array(expected * (1 + 5e-5), expected, TOL, "out").ok
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0


def test_numbers() -> None:
    assert check_number(Number(7.5, "float"), 7.5, TOL, "cost").ok
    assert check_number(np.array(7.5), 7.5, TOL, "cost").ok  # np.squeeze(cost) is fine
    wrapped = check_number(np.array([[7.5]]), 7.5, TOL, "cost")
    assert wrapped.problem == "type" and "float(" in wrapped.message
    assert check_number(Number(True, "bool"), 1, TOL, "cost").problem == "type"
    assert check_number(Number(3, "int64"), 3, TOL, "epoch", integer=True).ok
    assert check_number(Number(3.0, "float"), 3, TOL, "epoch", integer=True).problem == "type"
    assert check_number(Number(4, "int"), 3, TOL, "epoch", integer=True).problem == "values"


def test_binomial_interval_is_999_percent() -> None:
    low, high = binomial_interval(10_000, 0.8)
    assert 7860 < low < 7870 and 8130 < high < 8140
    rng = np.random.default_rng(0)
    counts = rng.binomial(10_000, 0.8, size=20_000)
    outside = np.mean((counts < low) | (counts > high))
    assert outside < 0.003
