import numpy as np


def groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mu = np.mean(xg, axis=(2, 3, 4), keepdims=True)
    xc = xg - mu
    var = np.mean(xc ** 2, axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (xc / std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, xc, std, gamma, G)
    return out, cache


def groupnorm_backward(dout, cache):
    x_hat, xc, std, gamma, G = cache
    N, C, H, W = dout.shape
    M = C // G * H * W
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(N, G, C // G, H, W)
    dxc = dx_hat / std
    dstd = -np.sum(dx_hat * xc / std ** 2, axis=(2, 3, 4), keepdims=True)
    dvar = 0.5 * dstd / std
    dxc += 2.0 * xc * dvar / M
    dmu = -np.sum(dxc, axis=(2, 3, 4), keepdims=True)
    dx = (dxc + dmu / M).reshape(N, C, H, W)
    return dx, dgamma, dbeta
