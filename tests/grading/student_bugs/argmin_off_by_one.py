import numpy as np


def early_stopping(val_losses, patience, min_delta):
    losses = list(val_losses)
    best = float("inf")
    waited = 0
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:
            best = loss
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, int(np.argmin(losses[:epoch]))
    return len(losses) - 1, int(np.argmin(losses[:-1])) if len(losses) > 1 else 0
