import numpy as np


def weight_decay_update(W, dW, lr, lambd, m):
    out = np.empty(W.shape, dtype=np.result_type(W, dW, float))
    decay = 1.0 - lr * lambd / m
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            out[i, j] = decay * W[i, j] - lr * dW[i, j]
    return out
