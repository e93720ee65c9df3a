import numpy as np


def max_norm(W, c):
    return np.clip(W, -c, c)


def max_norm_step(W, dW, lr, c):
    return max_norm(W - lr * dW, c)
