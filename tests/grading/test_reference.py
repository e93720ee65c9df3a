"""The reference reproduces the course's worked examples (content brief §3-7)."""

from __future__ import annotations

import numpy as np

from reference import batchnorm, early_stopping, layernorm, penalties


def test_penalty_examples() -> None:
    w = [np.array([[3.0, -4.0, 0.5]])]
    assert penalties.l1_penalty(w, 1.0) == 7.5
    assert np.isclose(penalties.l2_penalty(w, 1.0, 1) * 2, 25.25)
    assert penalties.l1_penalty_grad([np.array([[0.0, -2.0]])], 3.0)[0].tolist() == [[0.0, -3.0]]


def test_batchnorm_worked_example_and_running_stats() -> None:
    param: dict = {"mode": "train", "eps": 0.0}
    out, _ = batchnorm.batchnorm_forward(np.array([[10.0], [20.0], [30.0], [40.0]]),
                                         np.ones(1), np.zeros(1), param)
    assert np.allclose(out.ravel(), [-1.342, -0.447, 0.447, 1.342], atol=1e-3)
    assert np.allclose(param["running_mean"], [2.5]) and np.allclose(param["running_var"], [12.5])


def test_layernorm_uses_population_variance() -> None:
    out, _ = layernorm.layernorm_forward(np.array([[5.0, 7.0, 9.0]]), np.ones(3), np.zeros(3),
                                         {"eps": 0.0})
    assert np.allclose(out, [[-1.2247, 0.0, 1.2247]], atol=1e-4)


def test_early_stopping_example() -> None:
    assert early_stopping.early_stopping([0.9, 0.7, 0.6, 0.65, 0.7, 0.72], 2, 0.0) == (4, 2)
    assert early_stopping.early_stopping([0.3], 1, 0.0) == (0, 0)
