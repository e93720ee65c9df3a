"""Spatial batch normalization for x of shape (N, C, H, W), statistics per channel over the
axes (0, 2, 3) (assignment 8, a stretch assignment).

This is batch normalization (assignment 5) applied to ``x.transpose(0, 2, 3, 1).reshape(-1, C)``:
every pixel of every example is one sample of its channel's feature, so each channel's mean and
variance pool M = N * H * W values. Conventions (CS231n style, stated in the assignment):
- x_hat = (x - mu) / sqrt(var + eps), eps inside the square root, var the population (biased,
  divide by M) variance; out = gamma * x_hat + beta with gamma and beta of shape (C,), one entry
  per channel, broadcast over the batch and the pixels;
- bn_param: 'mode' ('train' | 'test', required), 'eps' (default 1e-5), 'momentum' (default 0.9),
  'running_mean' / 'running_var' (default zeros of shape (C,));
- train mode updates, in bn_param, running = momentum * running + (1 - momentum) * batch, with the
  same biased variance as the normalisation;
- test mode normalises with the running statistics and leaves them unchanged.

Self-contained on purpose: the reference is also graded as a submission (``quizsvc selfcheck``),
and a submission may not import this package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.9
AXES = (0, 2, 3)  # batch, height, width: everything but the channel


def _per_channel(v: Array) -> Array:
    """A (C,) vector shaped (1, C, 1, 1), to broadcast against (N, C, H, W)."""
    return v.reshape(1, -1, 1, 1)


def spatial_batchnorm_forward(
    x: Array, gamma: Array, beta: Array, bn_param: dict[str, Any]
) -> tuple[Array, Any]:
    mode = bn_param["mode"]
    eps = bn_param.get("eps", DEFAULT_EPS)
    momentum = bn_param.get("momentum", DEFAULT_MOMENTUM)
    c = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(c, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(c, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=AXES)
        xc = x - _per_channel(mu)
        var = (xc**2).mean(axis=AXES)  # two-pass: no E[x^2] - E[x]^2 cancellation
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = xc * _per_channel(inv_std)
        bn_param["running_mean"] = momentum * running_mean + (1.0 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1.0 - momentum) * var
        out = _per_channel(gamma) * x_hat + _per_channel(beta)
        return out, (x_hat, gamma, inv_std)
    if mode == "test":
        x_hat = (x - _per_channel(running_mean)) / _per_channel(np.sqrt(running_var + eps))
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
        return _per_channel(gamma) * x_hat + _per_channel(beta), None
    raise ValueError(f"invalid batchnorm mode {mode!r}")


def spatial_batchnorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x_hat, gamma, inv_std = cache
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]  # values pooled per channel
    dbeta = dout.sum(axis=AXES)
    dgamma = (dout * x_hat).sum(axis=AXES)
    dx_hat = dout * _per_channel(gamma)
    # Batch norm's simplified chain rule through mu and var, with sums over (0, 2, 3).
    dx = _per_channel(inv_std) / m * (
        m * dx_hat
        - dx_hat.sum(axis=AXES, keepdims=True)
        - x_hat * (dx_hat * x_hat).sum(axis=AXES, keepdims=True)
    )
    return dx, dgamma, dbeta
