

def batchnorm_forward(x, gamma, beta, bn_param):
    """x: (N, D); gamma, beta: (D,); bn_param: dict (see the statement). Returns (out, cache)."""
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    """dout: (N, D); cache from batchnorm_forward. Returns (dx, dgamma, dbeta)."""
    raise NotImplementedError
