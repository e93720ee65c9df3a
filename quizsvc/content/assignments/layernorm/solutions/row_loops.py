"""One example (row) at a time."""

import math

import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = float(ln_param.get("eps", 1e-5))
    n, d = x.shape
    xhat = np.empty((n, d))
    sig = np.empty(n)
    for i in range(n):
        row = x[i].astype(np.float64)
        m = row.sum() / d
        v = ((row - m) ** 2).sum() / d
        sig[i] = math.sqrt(v + eps)
        xhat[i] = (row - m) / sig[i]
    return xhat * gamma + beta, {"xhat": xhat, "sig": sig, "gamma": gamma}


def layernorm_backward(dout, cache):
    xhat, sig, gamma = cache["xhat"], cache["sig"], cache["gamma"]
    n, d = dout.shape
    dx = np.empty((n, d))
    for i in range(n):
        g = dout[i] * gamma
        dx[i] = (g - g.mean() - xhat[i] * (g * xhat[i]).mean()) / sig[i]
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
