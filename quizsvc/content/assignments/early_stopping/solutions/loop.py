def early_stopping(val_losses, patience, min_delta):
    best = val_losses[0]
    best_epoch = 0
    waited = 0
    for epoch in range(1, len(val_losses)):
        loss = val_losses[epoch]
        if loss < best - min_delta:
            best = loss
            best_epoch = epoch
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
