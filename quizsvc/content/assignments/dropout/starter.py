

def dropout_forward(x, keep_prob, train, rng):
    """Inverted dropout. keep_prob: probability of KEEPING a unit. rng: numpy.random.Generator.

    Returns (out, cache). In test mode (train=False) out equals x.
    """
    raise NotImplementedError


def dropout_backward(dout, cache):
    """Returns dx, using the mask saved in cache by dropout_forward."""
    raise NotImplementedError
