def weight_decay_update(W, dW, lr, lambd, m):
    return (1 - lr * lambd / m) * W - lr * dW
