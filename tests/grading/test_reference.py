"""The demo packages' references reproduce the course's worked examples (content brief §3-7)
and, for the stretch assignments, independent computations (batch norm on channels-last,
instance and layer norm). A test reads each reference.py as trusted code; the service only
ever runs it in the sandbox."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from quizsvc.grading.registry import demo_packages
from quizsvc.grading.runner.inprocess import namespace_from_source


def _reference(slug: str) -> SimpleNamespace:
    source = demo_packages()[slug].text("reference.py")
    return SimpleNamespace(**namespace_from_source(source, f"{slug}/reference.py"))


batchnorm, early_stopping, groupnorm = (_reference(s) for s in ("batchnorm", "early_stopping", "groupnorm"))
layernorm, penalties, spatial_batchnorm = (_reference(s) for s in ("layernorm", "penalties", "spatial_batchnorm"))


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


def _numeric_grad(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Element-wise centred differences of sum(dout * f(x)) (the CS231n check)."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(dout * f(x))
        x[ix] = old - h
        minus = np.sum(dout * f(x))
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def test_spatial_batchnorm_is_batchnorm_on_channels_last() -> None:
    """Independent of the reference's own axes: batch norm on x.transpose(0, 2, 3, 1).reshape(-1, C),
    train then test, running statistics and backward included."""
    rng = np.random.default_rng(8)
    n, c, h, w = 3, 4, 2, 5
    x = rng.normal(3.0, 2.0, size=(n, c, h, w))
    gamma, beta, dout = rng.uniform(0.5, 2, c), rng.normal(size=c), rng.normal(size=x.shape)

    def flat(a: np.ndarray) -> np.ndarray:
        return a.transpose(0, 2, 3, 1).reshape(-1, c)

    def unflat(a: np.ndarray) -> np.ndarray:
        return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    spatial_param: dict = {"mode": "train", "momentum": 0.7, "eps": 1e-3}
    plain_param: dict = dict(spatial_param)
    out, cache = spatial_batchnorm.spatial_batchnorm_forward(x, gamma, beta, spatial_param)
    want, want_cache = batchnorm.batchnorm_forward(flat(x), gamma, beta, plain_param)
    assert out.shape == x.shape and np.allclose(out, unflat(want), rtol=1e-12, atol=1e-12)
    for key in ("running_mean", "running_var"):
        assert spatial_param[key].shape == (c,)
        assert np.allclose(spatial_param[key], plain_param[key], rtol=1e-12, atol=1e-12)
    dx, dgamma, dbeta = spatial_batchnorm.spatial_batchnorm_backward(dout, cache)
    want_dx, want_dgamma, want_dbeta = batchnorm.batchnorm_backward(flat(dout), want_cache)
    assert np.allclose(dx, unflat(want_dx), rtol=1e-10, atol=1e-12)
    assert np.allclose(dgamma, want_dgamma) and np.allclose(dbeta, want_dbeta)
    for param in (spatial_param, plain_param):
        param["mode"] = "test"
    x_test = rng.normal(size=(2, c, h, w))
    out, _ = spatial_batchnorm.spatial_batchnorm_forward(x_test, gamma, beta, spatial_param)
    want, _ = batchnorm.batchnorm_forward(flat(x_test), gamma, beta, plain_param)
    assert np.allclose(out, want.reshape(2, h, w, c).transpose(0, 3, 1, 2), rtol=1e-12)
    # and the gradients agree with finite differences, element by element
    x = x[:2, :3, :2, :3].copy()
    dout = dout[:2, :3, :2, :3].copy()
    _, cache = spatial_batchnorm.spatial_batchnorm_forward(x, gamma[:3], beta[:3],
                                                           {"mode": "train"})
    dx, _, _ = spatial_batchnorm.spatial_batchnorm_backward(dout, cache)
    numeric = _numeric_grad(lambda v: spatial_batchnorm.spatial_batchnorm_forward(
        v, gamma[:3], beta[:3], {"mode": "train"})[0], x, dout)
    assert _rel(dx, numeric) < 1e-6


def test_spatial_batchnorm_worked_example_of_the_statement() -> None:
    x = np.array([[[[10.0, 20.0]], [[-1.0, 1.0]]], [[[30.0, 40.0]], [[-1.0, 1.0]]]])
    param: dict = {"mode": "train"}
    out, _ = spatial_batchnorm.spatial_batchnorm_forward(x, np.ones(2), np.zeros(2), param)
    assert np.allclose(out[:, 0].ravel(), [-1.342, -0.447, 0.447, 1.342], atol=1e-3)
    assert np.allclose(out[:, 1].ravel(), [-1, 1, -1, 1], atol=1e-4)
    assert np.allclose(param["running_mean"], [2.5, 0]) and np.allclose(param["running_var"],
                                                                        [12.5, 0.1])


def test_groupnorm_with_one_group_per_channel_is_instance_norm() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(1.0, 3.0, size=(2, 3, 4, 5))
    gamma, beta = rng.uniform(0.5, 2, (1, 3, 1, 1)), rng.normal(size=(1, 3, 1, 1))
    out, _ = groupnorm.groupnorm_forward(x, gamma, beta, 3, {"eps": 1e-4})
    mu = x.mean(axis=(2, 3), keepdims=True)  # per example and channel
    var = ((x - mu) ** 2).mean(axis=(2, 3), keepdims=True)
    assert np.allclose(out, gamma * (x - mu) / np.sqrt(var + 1e-4) + beta, rtol=1e-12,
                       atol=1e-12)


def test_groupnorm_with_one_group_is_layer_norm_over_c_h_w() -> None:
    rng = np.random.default_rng(10)
    n, c, h, w = 3, 4, 2, 3
    x = rng.normal(-2.0, 0.5, size=(n, c, h, w))
    gamma, beta = rng.uniform(0.5, 2, (1, c, 1, 1)), rng.normal(size=(1, c, 1, 1))
    dout = rng.normal(size=x.shape)
    out, cache = groupnorm.groupnorm_forward(x, gamma, beta, 1, {})
    g_flat = np.broadcast_to(gamma, (1, c, h, w)).reshape(-1)
    b_flat = np.broadcast_to(beta, (1, c, h, w)).reshape(-1)
    want, want_cache = layernorm.layernorm_forward(x.reshape(n, -1), g_flat, b_flat, {})
    assert np.allclose(out, want.reshape(x.shape), rtol=1e-12, atol=1e-12)
    dx, dgamma, dbeta = groupnorm.groupnorm_backward(dout, cache)
    want_dx, want_dg, want_db = layernorm.layernorm_backward(dout.reshape(n, -1), want_cache)
    assert dgamma.shape == dbeta.shape == (1, c, 1, 1)
    assert np.allclose(dx, want_dx.reshape(x.shape), rtol=1e-10, atol=1e-12)
    assert np.allclose(dgamma.ravel(), want_dg.reshape(c, -1).sum(axis=1))
    assert np.allclose(dbeta.ravel(), want_db.reshape(c, -1).sum(axis=1))


def test_groupnorm_groups_consecutive_channels_per_example() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 6, 2, 2))
    gamma, beta = np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1))
    out, _ = groupnorm.groupnorm_forward(x, gamma, beta, 2, {})
    for i in range(3):  # each example and group [0:3], [3:6] on its own
        for group in (slice(0, 3), slice(3, 6)):
            block = x[i, group]
            want = (block - block.mean()) / np.sqrt(block.var() + 1e-5)
            assert np.allclose(out[i, group], want, rtol=1e-12, atol=1e-12)
    alone, _ = groupnorm.groupnorm_forward(x[1:2], gamma, beta, 2, {})
    assert np.allclose(alone, out[1:2], rtol=1e-12)  # no statistics over the batch
    # worked example of the statement
    worked = np.array([[[[10.0, 20.0]], [[30.0, 40.0]], [[5.0, 7.0]], [[9.0, 7.0]]]])
    out, _ = groupnorm.groupnorm_forward(worked, np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1)),
                                         2, {})
    assert np.allclose(out.ravel(), [-1.342, -0.447, 0.447, 1.342, -1.414, 0, 1.414, 0],
                       atol=1e-3)


def test_groupnorm_backward_matches_finite_differences() -> None:
    rng = np.random.default_rng(12)
    x = rng.normal(5.0, 2.0, size=(2, 4, 2, 3))
    gamma, beta = rng.uniform(0.5, 2, (1, 4, 1, 1)), rng.normal(size=(1, 4, 1, 1))
    dout = rng.normal(size=x.shape)
    _, cache = groupnorm.groupnorm_forward(x, gamma, beta, 2, {})
    dx, dgamma, dbeta = groupnorm.groupnorm_backward(dout, cache)
    assert _rel(dx, _numeric_grad(lambda v: groupnorm.groupnorm_forward(
        v, gamma, beta, 2, {})[0], x, dout)) < 1e-6
    assert _rel(dgamma, _numeric_grad(lambda v: groupnorm.groupnorm_forward(
        x, v, beta, 2, {})[0], gamma, dout)) < 1e-6
    assert _rel(dbeta, _numeric_grad(lambda v: groupnorm.groupnorm_forward(
        x, gamma, v, 2, {})[0], beta, dout)) < 1e-6
