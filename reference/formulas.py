"""Closed-form formulas behind the quiz bank's numeric and vector items.

Conventions (stated once, used everywhere):
- variance is the population variance (divide by the count), as batch and layer norm define it;
- ``eps`` is added inside the square root: (x - mu) / sqrt(var + eps);
- the deep-learning L2 cost term is (lambda / 2m) * sum of squared weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Vector = NDArray[np.float64]


def _arr(x: ArrayLike) -> Vector:
    return np.asarray(x, dtype=np.float64)


def l1_norm(x: ArrayLike) -> float:
    """||x||_1: the sum of absolute values."""
    return float(np.sum(np.abs(_arr(x))))


def l2_norm(x: ArrayLike) -> float:
    """||x||_2: the Euclidean length."""
    return float(np.sqrt(np.sum(_arr(x) ** 2)))


def frobenius_norm(w: ArrayLike) -> float:
    """||W||_F: square root of the sum of squared entries of a matrix."""
    return float(np.sqrt(np.sum(_arr(w) ** 2)))


def l1_penalty_sum(w: ArrayLike, lam: float = 1.0) -> float:
    """lambda * sum |w_i| (the Lasso term)."""
    return float(lam * np.sum(np.abs(_arr(w))))


def l2_penalty_sum(w: ArrayLike, lam: float = 1.0) -> float:
    """lambda * sum w_i^2 (the Ridge term)."""
    return float(lam * np.sum(_arr(w) ** 2))


def l2_cost_term(weights: Sequence[ArrayLike], lam: float, m: int) -> float:
    """(lambda / 2m) * sum over layers of ||W_l||_F^2 (biases are not passed in)."""
    total = sum(float(np.sum(_arr(w) ** 2)) for w in weights)
    return float(lam / (2.0 * m) * total)


def weight_decay_factor(lr: float, lam: float, m: int) -> float:
    """The factor (1 - alpha*lambda/m) that L2 multiplies W by at every step."""
    return float(1.0 - lr * lam / m)


def weight_decay_step(w: ArrayLike, grad: ArrayLike, lr: float, lam: float, m: int) -> Vector:
    """W := (1 - alpha*lambda/m) W - alpha * grad, with grad the unregularised backprop term."""
    return weight_decay_factor(lr, lam, m) * _arr(w) - lr * _arr(grad)


def l2_single_weight_step(w: float, x: float, b: float, y: float, lam: float, lr: float) -> float:
    """One step on J = (wx + b - y)^2 + lambda w^2: w - alpha (2x(wx+b-y) + 2 lambda w)."""
    a = 2.0 * x * (w * x + b - y)
    return float(w - lr * (a + 2.0 * lam * w))


def l1_single_weight_step(w: float, x: float, b: float, y: float, lam: float, lr: float) -> float:
    """One step on J = (wx + b - y)^2 + lambda |w|, subgradient 0 at w = 0."""
    a = 2.0 * x * (w * x + b - y)
    return float(w - lr * (a + lam * np.sign(w)))


def batch_normalize(x: ArrayLike, eps: float = 0.0) -> Vector:
    """x_hat over a mini-batch of one feature (axis 0): (x - mu_B) / sqrt(var_B + eps)."""
    a = _arr(x)
    mu = a.mean(axis=0)
    var = ((a - mu) ** 2).mean(axis=0)
    return (a - mu) / np.sqrt(var + eps)


def batch_norm_affine(x: ArrayLike, gamma: float, beta: float, eps: float = 0.0) -> Vector:
    """y = gamma * x_hat + beta, x_hat from :func:`batch_normalize`."""
    return gamma * batch_normalize(x, eps) + beta


def layer_normalize(x: ArrayLike, eps: float = 0.0) -> Vector:
    """x_hat over the features of each example (last axis), population variance."""
    a = _arr(x)
    mu = a.mean(axis=-1, keepdims=True)
    var = ((a - mu) ** 2).mean(axis=-1, keepdims=True)
    return (a - mu) / np.sqrt(var + eps)


def population_variance(x: ArrayLike) -> float:
    """The population variance: mean squared deviation from the mean (divide by the count)."""
    a = _arr(x)
    return float(((a - a.mean()) ** 2).mean())


def mean(x: ArrayLike) -> float:
    """The arithmetic mean of all entries."""
    return float(_arr(x).mean())


def std(x: ArrayLike) -> float:
    """The population standard deviation: square root of the population variance."""
    return float(np.sqrt(population_variance(x)))


def unbiased_variance(x: ArrayLike) -> float:
    """m/(m-1) times the population variance: the test-time estimate in the original BN paper."""
    a = _arr(x)
    return float(((a - a.mean()) ** 2).sum() / (a.size - 1))


def running_average(running: float, batch: float, momentum: float) -> float:
    """CS231n convention: running = momentum * running + (1 - momentum) * batch."""
    return float(momentum * running + (1.0 - momentum) * batch)


def inverted_dropout_scale(keep_prob: float) -> float:
    """The factor 1/keep_prob applied to kept activations in training."""
    return float(1.0 / keep_prob)


def expected_dropped_units(n_units: int, keep_prob: float) -> float:
    """On average (1 - keep_prob) * n units are zeroed."""
    return float(n_units * (1.0 - keep_prob))


def early_stopping_epoch(val_losses: Sequence[float]) -> int:
    """The epoch (0-based) with the lowest validation loss: where to stop / roll back to."""
    return int(np.argmin(_arr(val_losses)))
