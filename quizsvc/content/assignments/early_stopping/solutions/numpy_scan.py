import numpy as np


def early_stopping(val_losses, patience, min_delta):
    losses = np.asarray(val_losses, dtype=float)
    best_epoch, best, bad = 0, losses[0], 0
    epoch = 0
    for epoch in range(1, losses.size):
        improved = bool(losses[epoch] < best - min_delta)
        bad = 0 if improved else bad + 1
        if improved:
            best_epoch, best = epoch, losses[epoch]
        elif bad == patience:
            break
    return int(epoch), int(best_epoch)
