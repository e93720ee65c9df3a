"""Mask drawn with rng.binomial, applied with np.where."""

import numpy as np


def dropout_forward(x, keep_prob, train, rng):
    keep = np.ones(x.shape, dtype=bool)
    if train:
        keep = rng.binomial(1, keep_prob, size=x.shape).astype(bool)
    scale = 1.0 / keep_prob if train else 1.0
    out = np.where(keep, x / keep_prob if train else x, 0.0).astype(x.dtype)
    return out, (keep, scale, keep_prob, train)


def dropout_backward(dout, cache):
    keep, scale, keep_prob, train = cache
    if not train:
        return dout
    return np.where(keep, dout / keep_prob, 0.0).astype(dout.dtype)
