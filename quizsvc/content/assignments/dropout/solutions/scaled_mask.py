"""CS231n style: the mask already carries the 1/keep_prob scale."""


def dropout_forward(x, keep_prob, train, rng):
    if train:
        mask = (rng.uniform(size=x.shape) < keep_prob) / keep_prob
        return x * mask, {"mask": mask, "train": True}
    return x.copy(), {"mask": None, "train": False}


def dropout_backward(dout, cache):
    if not cache["train"]:
        return dout.copy()
    return dout * cache["mask"]
