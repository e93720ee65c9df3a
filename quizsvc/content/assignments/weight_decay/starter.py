

def weight_decay_update(W, dW, lr, lambd, m):
    """One gradient step with L2 weight decay: (1 - lr*lambd/m) * W - lr * dW.

    dW is the gradient of the unregularised cost. Returns the updated weights (an array of the
    same shape as W).
    """
    raise NotImplementedError
