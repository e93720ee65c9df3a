"""Batch normalization for x of shape (N, D), statistics over the batch axis 0 (assignment 5).

Conventions (CS231n style, stated in the assignment):
- x_hat = (x - mu) / sqrt(var + eps), eps inside the square root, var the population (biased,
  divide by N) variance of the batch; out = gamma * x_hat + beta;
- bn_param: 'mode' ('train' | 'test', required), 'eps' (default 1e-5), 'momentum' (default 0.9),
  'running_mean' / 'running_var' (default zeros of shape (D,));
- train mode updates, in bn_param, running = momentum * running + (1 - momentum) * batch, with the
  same biased variance as the normalisation;
- test mode normalises with the running statistics and leaves them unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.9


def batchnorm_forward(
    x: Array, gamma: Array, beta: Array, bn_param: dict[str, Any]
) -> tuple[Array, Any]:
    mode = bn_param["mode"]
    eps = bn_param.get("eps", DEFAULT_EPS)
    momentum = bn_param.get("momentum", DEFAULT_MOMENTUM)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)  # two-pass: no E[x^2] - E[x]^2 cancellation
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        bn_param["running_mean"] = momentum * running_mean + (1.0 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1.0 - momentum) * var
        return gamma * x_hat + beta, (x_hat, gamma, inv_std)
    if mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
        return gamma * x_hat + beta, None
    raise ValueError(f"invalid batchnorm mode {mode!r}")


def batchnorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # Standard simplification of the chain rule through mu and var.
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
