

def layernorm_forward(x, gamma, beta, ln_param):
    """x: (N, D); gamma, beta: (D,); ln_param: dict, may hold 'eps'. Returns (out, cache)."""
    raise NotImplementedError


def layernorm_backward(dout, cache):
    """dout: (N, D); cache from layernorm_forward. Returns (dx, dgamma, dbeta)."""
    raise NotImplementedError
