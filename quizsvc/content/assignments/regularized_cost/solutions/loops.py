import numpy as np


def compute_cost_with_regularization(A_L, Y, parameters, lambd):
    m = Y.shape[1]
    L = len(parameters) // 2
    cross_entropy = -np.sum(Y * np.log(A_L) + (1 - Y) * np.log(1 - A_L)) / m
    l2 = 0.0
    for layer in range(1, L + 1):
        l2 += np.sum(np.square(parameters["W" + str(layer)]))
    return cross_entropy + lambd / (2 * m) * l2
