"""The same step written as a gradient step on the regularised cost."""


def weight_decay_update(W, dW, lr, lambd, m):
    grad = dW + (lambd / m) * W
    return W - lr * grad
