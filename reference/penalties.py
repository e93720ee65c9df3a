"""L1/L2 penalties, the L2-regularised cost and the weight-decay step (assignments 1-3).

Conventions (the assignment statements say the same):
- ``l1_penalty`` is lam * sum over layers of sum |W|; its subgradient is lam * sign(W), 0 at 0;
- ``l2_penalty`` is (lam / 2m) * sum over layers of ||W||_F^2; its gradient is (lam / m) * W;
- the cost's L2 term penalises the weights W1..WL only, never the biases;
- ``weight_decay_update`` returns (1 - lr*lambd/m) * W - lr * dW, dW being the unregularised
  backprop gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def l1_penalty(weights: Sequence[Array], lam: float) -> float:
    return float(lam * sum(np.abs(w).sum() for w in weights))


def l1_penalty_grad(weights: Sequence[Array], lam: float) -> list[Array]:
    return [lam * np.sign(w) for w in weights]


def l2_penalty(weights: Sequence[Array], lam: float, m: int) -> float:
    return float(lam / (2.0 * m) * sum(np.square(w).sum() for w in weights))


def l2_penalty_grad(weights: Sequence[Array], lam: float, m: int) -> list[Array]:
    return [(lam / m) * w for w in weights]


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


def weight_decay_update(W: Array, dW: Array, lr: float, lambd: float, m: int) -> Array:
    return (1.0 - lr * lambd / m) * W - lr * dW
