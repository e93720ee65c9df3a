import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_norm = (x - mean) / np.sqrt(var + eps)
    out = gamma * x_norm + beta
    return out, (x_norm, gamma, var, eps)


def layernorm_backward(dout, cache):
    x_norm, gamma, var, eps = cache
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=1)
    dgamma = np.sum(dout * x_norm, axis=1)
    dx_norm = dout * gamma
    dx = (D * dx_norm - np.sum(dx_norm, axis=1, keepdims=True)
          - x_norm * np.sum(dx_norm * x_norm, axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta
