import math

import numpy as np


def max_norm(W, c):
    out = np.array(W, copy=True)
    for j in range(out.shape[1]):
        norm = math.sqrt(sum(float(v) ** 2 for v in out[:, j]))
        if norm > c:
            out[:, j] = out[:, j] * (c / norm)
    return out


def max_norm_step(W, dW, lr, c):
    updated = W - lr * dW
    return max_norm(updated, c)
