"""One channel at a time: gather its N*H*W values, normalise them with math.fsum statistics,
and backpropagate through mean and variance step by step (the unsimplified chain rule)."""

import math

import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    eps = float(bn_param.get("eps", 1e-5))
    mom = float(bn_param.get("momentum", 0.9))
    rm = np.array(bn_param.get("running_mean", np.zeros(c)), dtype=np.float64)
    rv = np.array(bn_param.get("running_var", np.zeros(c)), dtype=np.float64)
    out = np.empty((n, c, h, w))
    if bn_param["mode"] == "test":
        for j in range(c):
            out[:, j] = gamma[j] * (x[:, j] - rm[j]) / math.sqrt(rv[j] + eps) + beta[j]
        bn_param["running_mean"], bn_param["running_var"] = rm, rv
        return out, None
    if bn_param["mode"] != "train":
        raise ValueError("unknown mode")
    xhat = np.empty((n, c, h, w))
    var = np.empty(c)
    for j in range(c):
        xj = x[:, j].astype(np.float64)
        values = xj.ravel()
        mean = math.fsum(values) / values.size
        var[j] = math.fsum((values - mean) ** 2) / values.size
        xhat[:, j] = (xj - mean) / math.sqrt(var[j] + eps)
        out[:, j] = gamma[j] * xhat[:, j] + beta[j]
        rm[j] = mom * rm[j] + (1 - mom) * mean
        rv[j] = mom * rv[j] + (1 - mom) * var[j]
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return out, {"x": x.astype(np.float64), "xhat": xhat, "var": var, "eps": eps,
                 "gamma": np.asarray(gamma, dtype=np.float64)}


def spatial_batchnorm_backward(dout, cache):
    x, xhat, var, eps, gamma = (cache[k] for k in ("x", "xhat", "var", "eps", "gamma"))
    n, c, h, w = dout.shape
    m = n * h * w
    dx = np.empty((n, c, h, w))
    dgamma = np.empty(c)
    dbeta = np.empty(c)
    for j in range(c):
        d = dout[:, j].astype(np.float64)
        dgamma[j] = np.sum(d * xhat[:, j])
        dbeta[j] = np.sum(d)
        dxhat = d * gamma[j]
        xmu = x[:, j] - x[:, j].mean()
        ivar = 1.0 / math.sqrt(var[j] + eps)
        dvar = np.sum(dxhat * xmu) * -0.5 * ivar ** 3
        dmean = -ivar * np.sum(dxhat) + dvar * -2.0 * np.mean(xmu)
        dx[:, j] = dxhat * ivar + dvar * 2.0 * xmu / m + dmean / m
    return dx, dgamma, dbeta
