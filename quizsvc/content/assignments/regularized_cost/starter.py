

def compute_cost_with_regularization(A_L, Y, parameters, lambd):
    """Cross-entropy cost of A_L against Y plus (lambd / 2m) * sum of ||Wl||_F^2.

    A_L, Y: arrays of shape (1, m). parameters: dict with W1, b1, ..., WL, bL.
    Returns a float. Biases are not penalised.
    """
    raise NotImplementedError
