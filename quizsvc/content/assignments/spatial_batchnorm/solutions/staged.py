import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, C, H, W = x.shape
    g = gamma.reshape(1, C, 1, 1)
    b = beta.reshape(1, C, 1, 1)

    if mode == "train":
        sample_mean = np.mean(x, axis=(0, 2, 3), keepdims=True)
        xc = x - sample_mean
        sample_var = np.mean(xc ** 2, axis=(0, 2, 3), keepdims=True)
        std = np.sqrt(sample_var + eps)
        x_hat = xc / std
        out = g * x_hat + b
        batch_mean, batch_var = sample_mean[0, :, 0, 0], sample_var[0, :, 0, 0]
        running_mean = bn_param.get("running_mean", np.zeros_like(batch_mean))
        running_var = bn_param.get("running_var", np.zeros_like(batch_var))
        running_mean = momentum * running_mean + (1 - momentum) * batch_mean
        running_var = momentum * running_var + (1 - momentum) * batch_var
        cache = (x_hat, xc, std, g)
    elif mode == "test":
        running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
        running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
        mean = running_mean.reshape(1, C, 1, 1)
        var = running_var.reshape(1, C, 1, 1)
        x_hat = (x - mean) / np.sqrt(var + eps)
        out = g * x_hat + b
        cache = None
    else:
        raise ValueError(f"Invalid forward batchnorm mode {mode!r}")

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    x_hat, xc, std, g = cache
    N, C, H, W = dout.shape
    M = N * H * W
    dbeta = np.sum(dout, axis=(0, 2, 3))
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))
    dx_hat = dout * g
    dxc = dx_hat / std
    dstd = -np.sum(dx_hat * xc / std ** 2, axis=(0, 2, 3), keepdims=True)
    dvar = 0.5 * dstd / std
    dxc += 2.0 * xc * dvar / M
    dmu = -np.sum(dxc, axis=(0, 2, 3), keepdims=True)
    dx = dxc + dmu / M
    return dx, dgamma, dbeta
