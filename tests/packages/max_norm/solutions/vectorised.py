import numpy as np


def max_norm(W, c):
    norms = np.linalg.norm(W, axis=0, keepdims=True)
    scale = np.where(norms > c, c / np.where(norms > 0, norms, 1.0), 1.0)
    return W * scale


def max_norm_step(W, dW, lr, c):
    return max_norm(W - lr * dW, c)
