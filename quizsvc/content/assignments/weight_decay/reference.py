"""Trusted reference: the weight-decay step.

Convention (the statement says the same): ``weight_decay_update`` returns
(1 - lr*lambd/m) * W - lr * dW, dW being the unregularised backprop gradient.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def weight_decay_update(W: Array, dW: Array, lr: float, lambd: float, m: int) -> Array:
    return (1.0 - lr * lambd / m) * W - lr * dW
