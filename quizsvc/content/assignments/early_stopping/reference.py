"""Trusted reference: early stopping on a validation-loss curve.

Convention (stated in the assignment): epochs are 0-based; epoch e improves when
val_losses[e] < best - min_delta (strict), best being the lowest loss of an improving epoch so far
(epoch 0 always improves); after ``patience`` consecutive epochs without improvement training
stops at that epoch. Returns (stop_epoch, best_epoch): the last epoch trained and the epoch whose
weights are restored. If patience never runs out, stop_epoch is the last epoch.
"""

from __future__ import annotations

from collections.abc import Sequence


def early_stopping(val_losses: Sequence[float], patience: int, min_delta: float) -> tuple[int, int]:
    best_epoch, best = 0, float(val_losses[0])
    waited = 0
    for epoch in range(1, len(val_losses)):
        loss = float(val_losses[epoch])
        if loss < best - min_delta:
            best_epoch, best, waited = epoch, loss, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
