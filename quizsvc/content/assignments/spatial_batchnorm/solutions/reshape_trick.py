"""Spatial batch norm as plain batch norm on (N*H*W, C): move the channel axis last, flatten,
normalise each column, and undo the reshape (the CS231n hint)."""

import numpy as np


def _to_2d(a):
    n, c, h, w = a.shape
    return a.transpose(0, 2, 3, 1).reshape(-1, c)


def _from_2d(a2, shape):
    n, c, h, w = shape
    return a2.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    c = x.shape[1]
    bn_param.setdefault("running_mean", np.zeros(c))
    bn_param.setdefault("running_var", np.zeros(c))
    x2 = _to_2d(x)
    if bn_param["mode"] == "train":
        mu = x2.mean(axis=0)
        var = x2.var(axis=0)
        inv = 1.0 / np.sqrt(var + eps)
        xn = (x2 - mu) * inv
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mu
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var
        return _from_2d(xn * gamma + beta, x.shape), (xn, inv, gamma, x.shape)
    if bn_param["mode"] == "test":
        xn = (x2 - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
        return _from_2d(xn * gamma + beta, x.shape), None
    raise ValueError("mode must be train or test")


def spatial_batchnorm_backward(dout, cache):
    xn, inv, gamma, shape = cache
    d2 = _to_2d(dout)
    m = d2.shape[0]
    dgamma = (d2 * xn).sum(axis=0)
    dbeta = d2.sum(axis=0)
    dx2 = (gamma * inv / m) * (m * d2 - dbeta - xn * dgamma)
    return _from_2d(dx2, shape), dgamma, dbeta
