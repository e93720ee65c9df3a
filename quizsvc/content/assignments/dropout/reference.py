"""Trusted reference: inverted dropout.

Conventions: ``keep_prob`` is the probability of KEEPING a unit; the mask is drawn from the
``numpy.random.Generator`` passed as ``rng`` with ``rng.random(x.shape) < keep_prob`` (one
independent draw per entry, so per example and per unit, fresh on every call); kept entries are
divided by keep_prob during training; test mode (``train=False``) is the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def dropout_forward(
    x: Array, keep_prob: float, train: bool, rng: np.random.Generator
) -> tuple[Array, Any]:
    if not train:
        return x.copy(), (None, keep_prob)
    mask = rng.random(x.shape) < keep_prob
    return x * mask / keep_prob, (mask, keep_prob)


def dropout_backward(dout: Array, cache: Any) -> Array:
    mask, keep_prob = cache
    if mask is None:
        return dout.copy()
    return dout * mask / keep_prob
