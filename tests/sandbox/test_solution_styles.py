"""Correct solutions as students write them, in styles the reference does not use (dataclasses,
classes, generators, math.fsum, type annotations, their own ``from __future__`` imports): each
gets full marks through the real sandbox, on both tiers."""

from __future__ import annotations

import re

import pytest
from sandbox_support import grade

from quizsvc.sandbox.pool import WarmPool

# A dataclass with a plain annotation (`n: int`): it failed to load (0 marks) while the child
# compiled submissions with its own `from __future__ import annotations` inherited.
BATCHNORM_DATACLASS = '''
from dataclasses import dataclass, field
import numpy as np


@dataclass
class Cache:
    x_hat: np.ndarray
    gamma: np.ndarray
    inv_std: np.ndarray
    n: int = 0
    notes: list = field(default_factory=list)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1], dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1], dtype=x.dtype))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * x_hat + beta, Cache(x_hat, gamma, inv_std, n=x.shape[0])
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None


def batchnorm_backward(dout, cache: Cache):
    dx_hat = dout * cache.gamma
    dx = cache.inv_std / cache.n * (cache.n * dx_hat - dx_hat.sum(axis=0)
                                    - cache.x_hat * (dx_hat * cache.x_hat).sum(axis=0))
    return dx, (dout * cache.x_hat).sum(axis=0), dout.sum(axis=0)
'''

# The student's own future import, a frozen dataclass and annotations everywhere: string
# annotations that dataclasses resolves through sys.modules.
LAYERNORM_FUTURE_DATACLASS = '''
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class LayerNormCache:
    x_hat: npt.NDArray[np.float64]
    gamma: npt.NDArray[np.float64]
    inv_std: npt.NDArray[np.float64]
    DEFAULT_EPS: ClassVar[float] = 1e-5


def layernorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      ln_param: dict[str, Any]) -> tuple[np.ndarray, LayerNormCache]:
    eps: float = ln_param.get("eps", LayerNormCache.DEFAULT_EPS)
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, gamma, inv_std)


def layernorm_backward(dout: np.ndarray, cache: LayerNormCache
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = dout.shape[1]
    dx_hat = dout * cache.gamma
    dx = cache.inv_std / d * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                              - cache.x_hat * (dx_hat * cache.x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * cache.x_hat).sum(axis=0), dout.sum(axis=0)
'''

# Generators and math.fsum over Python floats, one entry at a time.
PENALTIES_FSUM = '''
import math
import numpy as np


def _entries(weights):
    for w in weights:
        yield from np.asarray(w, dtype=float).ravel().tolist()


def l1_penalty(weights, lam):
    return lam * math.fsum(abs(v) for v in _entries(weights))


def l1_penalty_grad(weights, lam):
    return [lam * np.sign(w) for w in weights]


def l2_penalty(weights, lam, m):
    return lam / (2 * m) * math.fsum(v * v for v in _entries(weights))


def l2_penalty_grad(weights, lam, m):
    return list(map(lambda w: (lam / m) * w, weights))
'''

# A class whose instance is the required function, typing annotations of the old style.
WEIGHT_DECAY_CLASS = '''
from typing import Optional

import numpy as np


class DecayedStep:
    """SGD with L2 weight decay, as a callable object."""

    def __init__(self, scale: Optional[float] = None) -> None:
        self.scale = scale

    def __call__(self, W: np.ndarray, dW: np.ndarray, lr: float, lambd: float,
                 m: int) -> np.ndarray:
        decay: float = 1.0 - lr * lambd / m
        return decay * W - lr * dW


weight_decay_update = DecayedStep()
'''

# An iterator class, a generator of improving epochs and annotations from typing.
EARLY_STOPPING_GENERATOR = '''
from typing import Iterator, List, Sequence, Tuple


class Tracker:
    def __init__(self, min_delta: float) -> None:
        self.best = float("inf")
        self.min_delta = min_delta

    def improves(self, loss: float) -> bool:
        if loss < self.best - self.min_delta:
            self.best = loss
            return True
        return False


def _waits(losses: Sequence[float], min_delta: float) -> Iterator[Tuple[int, bool]]:
    tracker = Tracker(min_delta)
    for epoch, loss in enumerate(losses):
        yield epoch, tracker.improves(float(loss))  # epoch 0 always improves on infinity


def early_stopping(val_losses: Sequence[float], patience: int,
                   min_delta: float) -> Tuple[int, int]:
    best_epoch, waited = 0, 0
    history: List[int] = []
    for epoch, improved in _waits(list(val_losses), min_delta):
        history.append(epoch)
        if improved:
            best_epoch, waited = epoch, 0
            continue
        waited += 1
        if waited >= patience:
            return epoch, best_epoch
    return history[-1], best_epoch
'''

STYLES = {
    "batchnorm": BATCHNORM_DATACLASS,
    "layernorm": LAYERNORM_FUTURE_DATACLASS,
    "penalties": PENALTIES_FSUM,
    "weight_decay": WEIGHT_DECAY_CLASS,
    "early_stopping": EARLY_STOPPING_GENERATOR,
}


@pytest.mark.parametrize("slug", list(STYLES))
def test_correct_solutions_in_other_styles_get_full_marks(pool: WarmPool, slug: str) -> None:
    result = grade(pool, STYLES[slug], slug)
    assert result.all_passed and result.score == result.max_score, \
        result.to_table() + "\n" + "\n".join(result.notes)


def _promised_modules() -> list[str]:
    """The standard-library modules the statements promise (submission_rules.en.md)."""
    from importlib.resources import files

    text = files("quizsvc.grading.texts").joinpath("submission_rules.en.md").read_text("utf-8")
    listed = text.split("these modules of **Python's standard library**:", 1)[1].split(".", 1)[0]
    return re.findall(r"`([a-z_]+)`", listed)


def test_every_standard_library_module_the_statement_promises_imports(pool: WarmPool) -> None:
    """On the fallback tier the child cannot read a Python installed in a private home folder
    (pyenv under /root): only what the fork server imported before forking is there. The
    statement's list and the server's preloads must agree, on both tiers."""
    modules = _promised_modules()
    assert len(modules) >= 20 and "heapq" in modules
    source = "".join(f"import {name}\n" for name in modules) + (
        "\n\ndef weight_decay_update(W, dW, lr, lambd, m):\n"
        f"    assert all(({', '.join(modules)},))\n"
        "    return (1 - lr * lambd / m) * W - lr * dW\n")
    result = grade(pool, source, slug="weight_decay")
    assert result.score == result.max_score, [c.message for c in result.cases if not c.passed]
