"""Trusted reference: the L1 and L2 penalties over a list of layer matrices, and their gradients.

Conventions (the statement says the same): ``l1_penalty`` is lam * sum over layers of sum |W|;
its subgradient is lam * sign(W), 0 at 0; ``l2_penalty`` is (lam / 2m) * sum over layers of
||W||_F^2; its gradient is (lam / m) * W.
"""

from __future__ import annotations

from collections.abc import Sequence

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
