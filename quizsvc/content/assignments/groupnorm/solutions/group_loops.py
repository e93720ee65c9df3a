"""Explicit loops over examples and groups, slicing the group's channels out of x; backward by
the unsimplified chain rule through the variance and the mean (the CS231n staged form)."""

import math

import numpy as np


def groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = float(gn_param.get("eps", 1e-5))
    n, c, h, w = x.shape
    size = c // G
    xhat = np.empty((n, c, h, w))
    stats = np.empty((n, G, 2))  # mean, variance
    for i in range(n):
        for k in range(G):
            block = x[i, k * size:(k + 1) * size].astype(np.float64)
            mean = math.fsum(block.ravel()) / block.size
            var = math.fsum(((block - mean) ** 2).ravel()) / block.size
            stats[i, k] = mean, var
            xhat[i, k * size:(k + 1) * size] = (block - mean) / math.sqrt(var + eps)
    g4 = np.asarray(gamma, dtype=np.float64).reshape(1, c, 1, 1)
    b4 = np.asarray(beta, dtype=np.float64).reshape(1, c, 1, 1)
    return g4 * xhat + b4, (x.astype(np.float64), xhat, stats, g4, G, eps)


def groupnorm_backward(dout, cache):
    x, xhat, stats, g4, G, eps = cache
    n, c, h, w = dout.shape
    size = c // G
    dout = dout.astype(np.float64)
    dx = np.empty((n, c, h, w))
    dxhat = dout * g4
    for i in range(n):
        for k in range(G):
            sl = slice(k * size, (k + 1) * size)
            mean, var = stats[i, k]
            m = size * h * w
            xmu = x[i, sl] - mean
            ivar = 1.0 / math.sqrt(var + eps)
            dvar = np.sum(dxhat[i, sl] * xmu) * -0.5 * ivar ** 3
            dmean = -ivar * np.sum(dxhat[i, sl]) + dvar * -2.0 * np.sum(xmu) / m
            dx[i, sl] = dxhat[i, sl] * ivar + dvar * 2.0 * xmu / m + dmean / m
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3)).reshape(1, c, 1, 1)
    dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(1, c, 1, 1)
    return dx, dgamma, dbeta
