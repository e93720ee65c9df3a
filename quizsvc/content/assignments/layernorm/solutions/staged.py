import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc ** 2, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = xc / std
    out = gamma * x_hat + beta
    cache = (x_hat, xc, std, gamma)
    return out, cache


def layernorm_backward(dout, cache):
    x_hat, xc, std, gamma = cache
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dxc = dx_hat / std
    dstd = -np.sum(dx_hat * xc / std ** 2, axis=1, keepdims=True)
    dvar = 0.5 * dstd / std
    dxc += 2.0 * xc * dvar / D
    dmu = -np.sum(dxc, axis=1, keepdims=True)
    dx = dxc + dmu / D
    return dx, dgamma, dbeta
