import numpy as np


def l1_penalty(weights, lam):
    total = 0.0
    for W in weights:
        total += np.sum(np.abs(W))
    return lam * total


def l1_penalty_grad(weights, lam):
    return [lam * np.sign(W) for W in weights]


def l2_penalty(weights, lam, m):
    total = 0.0
    for W in weights:
        total += np.sum(np.square(W))
    return lam / (2 * m) * total


def l2_penalty_grad(weights, lam, m):
    return [lam / m * W for W in weights]
