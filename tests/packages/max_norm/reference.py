import numpy as np


def max_norm(W, c):
    norms = np.sqrt(np.sum(W * W, axis=0, keepdims=True))
    return W * np.minimum(1.0, c / np.maximum(norms, 1e-12))


def max_norm_step(W, dW, lr, c):
    return max_norm(W - lr * dW, c)
