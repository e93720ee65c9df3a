import numpy as np


def early_stopping(val_losses, patience, min_delta):
    best, waited = float("inf"), 0
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
            if waited >= patience:
                stop = epoch
                break
    # the best epoch is where the loss was lowest up to the stop (min_delta forgotten here)
    return stop, int(np.argmin(val_losses[: stop + 1]))
