"""Layer norm as batch norm on x.T (the CS231n hint), gamma/beta applied afterwards."""

import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    mu = xt.mean(axis=0)
    var = xt.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    xhat_t = (xt - mu) * inv
    xhat = xhat_t.T
    return gamma * xhat + beta, (xhat_t, inv, gamma)


def layernorm_backward(dout, cache):
    xhat_t, inv, gamma = cache
    dgamma = np.sum(dout * xhat_t.T, axis=0)
    dbeta = np.sum(dout, axis=0)
    g = (dout * gamma).T
    n = g.shape[0]
    dxt = inv / n * (n * g - g.sum(axis=0) - xhat_t * (g * xhat_t).sum(axis=0))
    return dxt.T, dgamma, dbeta
