def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x, None
    mask = rng.random(x.shape) < keep_prob
    return x * mask / keep_prob, mask


def dropout_backward(dout, cache):
    if cache is None:
        return dout
    return dout * cache * 0.5  # a stray factor
