"""Statistical helpers for property checks on random outputs."""

from __future__ import annotations

import math

Z_999 = 3.2905267314919255  # two-sided 99.9% normal quantile


def binomial_interval(n: int, p: float, z: float = Z_999) -> tuple[float, float]:
    """Range of the success COUNT that a Binomial(n, p) stays in with ~99.9% probability
    (normal approximation with continuity correction; n is in the thousands here)."""
    sd = math.sqrt(n * p * (1.0 - p))
    return n * p - z * sd - 0.5, n * p + z * sd + 0.5
