def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x, None
    p = keep_prob  # the probability of dropping a unit
    mask = (rng.random(x.shape) > p) / (1 - p)
    return x * mask, mask


def dropout_backward(dout, cache):
    if cache is None:
        return dout
    return dout * cache
