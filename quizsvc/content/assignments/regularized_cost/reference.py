"""Trusted reference: the cross-entropy cost plus the L2 term over the weights.

Conventions (the statement says the same): the cost is -(1/m) * sum(Y log A + (1 - Y) log(1 - A))
with m = Y.shape[1], plus (lambd / 2m) * sum over layers of ||Wl||_F^2; the L2 term penalises
the weights W1..WL only, never the biases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def l2_penalty(weights: Sequence[Array], lam: float, m: int) -> float:
    return float(lam / (2.0 * m) * sum(np.square(w).sum() for w in weights))


def cross_entropy_cost(A_L: Array, Y: Array) -> float:
    """-(1/m) * sum(Y log A + (1 - Y) log(1 - A)), m = Y.shape[1]."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A_L) + (1.0 - Y) * np.log(1.0 - A_L)) / m)


def layer_weights(parameters: Mapping[str, Array]) -> list[Array]:
    """W1, W2, ... in layer order (the biases b1, b2, ... are left out on purpose)."""
    n_layers = sum(1 for key in parameters if key.startswith("W"))
    return [parameters[f"W{layer}"] for layer in range(1, n_layers + 1)]


def compute_cost_with_regularization(
    A_L: Array, Y: Array, parameters: Mapping[str, Array], lambd: float
) -> float:
    m = Y.shape[1]
    return cross_entropy_cost(A_L, Y) + l2_penalty(layer_weights(parameters), lambd, m)
