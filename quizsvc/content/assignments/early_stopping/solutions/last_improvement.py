"""Track the epoch of the last improvement; stop when it lies `patience` epochs back."""


def early_stopping(val_losses, patience, min_delta):
    losses = [float(v) for v in val_losses]
    best_epoch = 0
    for epoch, loss in enumerate(losses):
        if epoch > 0 and loss < losses[best_epoch] - min_delta:
            best_epoch = epoch
        if epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(losses) - 1, best_epoch
