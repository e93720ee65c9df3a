"""Layer normalization for x of shape (N, D), statistics over the features of each example.

Conventions (stated in the assignment): x_hat = (x - mu) / sqrt(var + eps) with mu and the
population variance taken over axis 1 (one pair per example), eps inside the square root;
gamma and beta of shape (D,); ``ln_param`` may hold 'eps' (default 1e-5) and nothing else is
required (layer norm has no mode and no running statistics).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

DEFAULT_EPS = 1e-5


def layernorm_forward(
    x: Array, gamma: Array, beta: Array, ln_param: dict[str, Any]
) -> tuple[Array, Any]:
    eps = ln_param.get("eps", DEFAULT_EPS)
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def layernorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x_hat, gamma, inv_std = cache
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / d * (
        d * dx_hat
        - dx_hat.sum(axis=1, keepdims=True)
        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)
    )
    return dx, dgamma, dbeta
