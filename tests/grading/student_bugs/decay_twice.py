def weight_decay_update(W, dW, lr, lambd, m):
    dW_reg = dW + lambd / m * W  # the L2 term's gradient...
    W = W - lr * lambd / m * W  # ...and weight decay on top of it: the decay is applied twice
    return W - lr * dW_reg
