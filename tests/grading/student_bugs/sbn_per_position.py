import numpy as np


def _bn_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    cache = None
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (xhat, gamma, var, eps)
    else:
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma * xhat + beta, cache


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = _bn_forward(x.reshape(N, C * H * W), np.repeat(gamma, H * W),
                             np.repeat(beta, H * W), bn_param)
    return out.reshape(N, C, H, W), (cache, (N, C, H, W))


def spatial_batchnorm_backward(dout, cache):
    (xhat, gamma, var, eps), (N, C, H, W) = cache
    d = dout.reshape(N, C * H * W)
    dbeta = d.sum(axis=0).reshape(C, H * W).sum(axis=1)
    dgamma = (d * xhat).sum(axis=0).reshape(C, H * W).sum(axis=1)
    dxhat = d * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * np.sqrt(var + eps))
    return dx.reshape(N, C, H, W), dgamma, dbeta
