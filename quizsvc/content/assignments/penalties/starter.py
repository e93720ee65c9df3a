

def l1_penalty(weights, lam):
    """lam * sum over layers of sum |W|. weights: list of 2-D arrays. Returns a float."""
    raise NotImplementedError


def l1_penalty_grad(weights, lam):
    """List of arrays: lam * sign(W) for each W (0 where W == 0)."""
    raise NotImplementedError


def l2_penalty(weights, lam, m):
    """(lam / (2 m)) * sum over layers of ||W||_F^2. Returns a float."""
    raise NotImplementedError


def l2_penalty_grad(weights, lam, m):
    """List of arrays: (lam / m) * W for each W."""
    raise NotImplementedError
