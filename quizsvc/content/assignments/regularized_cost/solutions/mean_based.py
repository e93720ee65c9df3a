import numpy as np


def compute_cost_with_regularization(A_L, Y, parameters, lambd):
    m = Y.shape[1]
    per_example = np.where(Y == 1, -np.log(A_L), -np.log1p(-A_L))
    data_cost = per_example.mean()
    weight_keys = sorted(k for k in parameters if k[0] == "W")
    frob = np.array([np.linalg.norm(parameters[k]) ** 2 for k in weight_keys])
    return np.array(data_cost + 0.5 * lambd * frob.sum() / m)
