"""Concatenate every layer into one vector; norms via np.linalg."""

import numpy as np


def _flat(weights):
    return np.concatenate([np.ravel(w) for w in weights])


def l1_penalty(weights, lam):
    return float(lam * np.linalg.norm(_flat(weights), ord=1))


def l1_penalty_grad(weights, lam):
    grads = []
    for w in weights:
        g = np.zeros_like(w, dtype=float)
        g[w > 0] = lam
        g[w < 0] = -lam
        grads.append(g)
    return grads


def l2_penalty(weights, lam, m):
    frob_sq = sum(np.linalg.norm(w, "fro") ** 2 for w in weights)
    return float(lam * frob_sq / (2.0 * m))


def l2_penalty_grad(weights, lam, m):
    scale = lam / m
    return [w * scale for w in weights]
