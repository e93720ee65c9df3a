"""Explicit element loops, the way one would write it without NumPy reductions."""

import numpy as np


def l1_penalty(weights, lam):
    s = 0.0
    for w in weights:
        for value in np.asarray(w, dtype=float).flat:
            s += abs(value)
    return lam * s


def l1_penalty_grad(weights, lam):
    out = []
    for w in weights:
        g = np.empty(w.shape)
        for idx, value in np.ndenumerate(w):
            g[idx] = lam if value > 0 else (-lam if value < 0 else 0.0)
        out.append(g)
    return out


def l2_penalty(weights, lam, m):
    s = 0.0
    for w in weights:
        s += float(np.einsum("ij,ij->", w.astype(float), w.astype(float)))
    return s * lam / 2 / m


def l2_penalty_grad(weights, lam, m):
    return [np.multiply(w, lam) / m for w in weights]
