"""Group normalization for x of shape (N, C, H, W) (assignment 9, a stretch assignment).

The C channels are split into G groups of C // G consecutive channels: group g holds channels
g * C // G ... (g + 1) * C // G - 1, i.e. ``x.reshape(N, G, C // G, H, W)`` (equivalently
``x.reshape(N, G, -1)``). Mean and variance are taken per example and group, over that group's
channels and all their pixels (M = C // G * H * W values); nothing is pooled over the batch.
G = 1 is layer normalization over (C, H, W); G = C is instance normalization.

Conventions (CS231n style, stated in the assignment): x_hat = (x - mu) / sqrt(var + eps), var the
population (biased, divide by M) variance, eps inside the square root; out = gamma * x_hat + beta
with gamma and beta of shape (1, C, 1, 1) (one entry per channel, not per group), and dgamma,
dbeta returned with that same shape; ``gn_param`` may hold 'eps' (default 1e-5): no mode, no
running statistics. G divides C.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

DEFAULT_EPS = 1e-5


def groupnorm_forward(
    x: Array, gamma: Array, beta: Array, G: int, gn_param: dict[str, Any]
) -> tuple[Array, Any]:
    eps = gn_param.get("eps", DEFAULT_EPS)
    n, c, h, w = x.shape
    xg = x.reshape(n, G, -1)  # (N, G, C // G * H * W): one row per example and group
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    var = (xc**2).mean(axis=2, keepdims=True)  # two-pass: no E[x^2] - E[x]^2 cancellation
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(n, c, h, w)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, G)


def groupnorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x_hat, gamma, inv_std, G = cache
    n, c, h, w = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1), like beta
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(n, G, -1)
    xh = x_hat.reshape(n, G, -1)
    m = xh.shape[2]  # values pooled per example and group
    # Layer norm's simplified chain rule, one row per example and group.
    dx = inv_std / m * (
        m * dx_hat
        - dx_hat.sum(axis=2, keepdims=True)
        - xh * (dx_hat * xh).sum(axis=2, keepdims=True)
    )
    return dx.reshape(n, c, h, w), dgamma, dbeta
