"""One feature (column) at a time with plain loops over the batch; float64 throughout."""

import math

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    n, d = x.shape
    eps = bn_param.get("eps", 1e-5)
    mom = bn_param.get("momentum", 0.9)
    rm = np.array(bn_param.get("running_mean", np.zeros(d)), dtype=float)
    rv = np.array(bn_param.get("running_var", np.zeros(d)), dtype=float)
    out = np.zeros((n, d))
    if bn_param["mode"] == "test":
        for j in range(d):
            for i in range(n):
                out[i, j] = gamma[j] * (x[i, j] - rm[j]) / math.sqrt(rv[j] + eps) + beta[j]
        bn_param["running_mean"], bn_param["running_var"] = rm, rv
        return out, None
    xhat = np.zeros((n, d))
    sigmas = np.zeros(d)
    for j in range(d):
        col = [float(v) for v in x[:, j]]
        mean = sum(col) / n
        var = sum((v - mean) ** 2 for v in col) / n
        sigmas[j] = math.sqrt(var + eps)
        for i in range(n):
            xhat[i, j] = (col[i] - mean) / sigmas[j]
            out[i, j] = gamma[j] * xhat[i, j] + beta[j]
        rm[j] = mom * rm[j] + (1 - mom) * mean
        rv[j] = mom * rv[j] + (1 - mom) * var
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return out, (xhat, sigmas, np.asarray(gamma, dtype=float))


def batchnorm_backward(dout, cache):
    xhat, sigmas, gamma = cache
    n, d = dout.shape
    dx = np.zeros((n, d))
    dgamma = np.zeros(d)
    dbeta = np.zeros(d)
    for j in range(d):
        g = dout[:, j] * gamma[j]
        mean_g = g.mean()
        mean_gx = (g * xhat[:, j]).mean()
        dx[:, j] = (g - mean_g - xhat[:, j] * mean_gx) / sigmas[j]
        dgamma[j] = np.dot(dout[:, j], xhat[:, j])
        dbeta[j] = dout[:, j].sum()
    return dx, dgamma, dbeta
