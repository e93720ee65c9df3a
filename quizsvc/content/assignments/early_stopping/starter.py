def early_stopping(val_losses, patience, min_delta):
    """Return (stop_epoch, best_epoch), both 0-based ints (see the statement for the rules)."""
    raise NotImplementedError
