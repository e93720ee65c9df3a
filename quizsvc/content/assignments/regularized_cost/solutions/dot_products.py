"""Cross-entropy with dot products (deeplearning.ai style), weights picked by key prefix."""

import numpy as np


def compute_cost_with_regularization(A_L, Y, parameters, lambd):
    m = Y.shape[1]
    logprobs = np.dot(Y, np.log(A_L).T) + np.dot(1 - Y, np.log(1 - A_L).T)
    cost = float(np.squeeze(-logprobs / m))
    squares = sum(float(np.sum(v * v)) for k, v in parameters.items() if k.startswith("W"))
    return cost + squares * lambd / m / 2
