

def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """x: (N, C, H, W); gamma, beta: (C,); bn_param: dict (see the statement).
    Returns (out, cache)."""
    raise NotImplementedError


def spatial_batchnorm_backward(dout, cache):
    """dout: (N, C, H, W); cache from spatial_batchnorm_forward. Returns (dx, dgamma, dbeta)."""
    raise NotImplementedError
