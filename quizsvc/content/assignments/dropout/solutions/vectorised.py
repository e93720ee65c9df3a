

def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x, None
    mask = rng.random(x.shape) < keep_prob
    out = x * mask / keep_prob
    return out, (mask, keep_prob)


def dropout_backward(dout, cache):
    if cache is None:
        return dout
    mask, keep_prob = cache
    return dout * mask / keep_prob
