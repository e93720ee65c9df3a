"""Simplified backward (one line for dx), statistics via np.var / keepdims."""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    bn_param.setdefault("running_mean", np.zeros(d))
    bn_param.setdefault("running_var", np.zeros(d))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0, keepdims=True)
        var = x.var(axis=0, keepdims=True)
        inv = 1.0 / np.sqrt(var + eps)
        xn = (x - mu) * inv
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mu[0]
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var[0]
        return xn * gamma + beta, (xn, inv, gamma)
    if bn_param["mode"] == "test":
        xn = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
        return xn * gamma + beta, None
    raise ValueError("mode must be train or test")


def batchnorm_backward(dout, cache):
    xn, inv, gamma = cache
    n = dout.shape[0]
    dgamma = (dout * xn).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = (gamma * inv / n) * (n * dout - dbeta - xn * dgamma)
    return dx, dgamma, dbeta
