

def groupnorm_forward(x, gamma, beta, G, gn_param):
    """x: (N, C, H, W); gamma, beta: (1, C, 1, 1); G: number of groups (divides C);
    gn_param: dict, may hold 'eps'. Returns (out, cache)."""
    raise NotImplementedError


def groupnorm_backward(dout, cache):
    """dout: (N, C, H, W); cache from groupnorm_forward. Returns (dx, dgamma, dbeta), dgamma and
    dbeta of shape (1, C, 1, 1)."""
    raise NotImplementedError
