

def max_norm(W, c):
    """W: (n_in, n_out), one column per unit. Returns a new array in which every column
    whose L2 norm exceeds c is rescaled to norm c; the other columns are unchanged."""
    raise NotImplementedError


def max_norm_step(W, dW, lr, c):
    """One SGD step W - lr * dW, then the max-norm constraint. Returns a new array."""
    raise NotImplementedError
