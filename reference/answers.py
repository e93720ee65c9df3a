"""The functions a quiz item may name to compute its key.

A bank file names a function by its key here (``compute: {fn: l2_norm, args: {...}}``); only
these names are callable from content, so a YAML file can never import arbitrary code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference import formulas

ANSWER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(formulas, name)
    for name in (
        "l1_norm",
        "l2_norm",
        "frobenius_norm",
        "l1_penalty_sum",
        "l2_penalty_sum",
        "l2_cost_term",
        "weight_decay_factor",
        "weight_decay_step",
        "l2_single_weight_step",
        "l1_single_weight_step",
        "batch_normalize",
        "batch_norm_affine",
        "layer_normalize",
        "population_variance",
        "unbiased_variance",
        "mean",
        "std",
        "running_average",
        "inverted_dropout_scale",
        "expected_dropped_units",
        "early_stopping_epoch",
    )
}


class UnknownAnswerFunction(KeyError):
    pass


def compute(fn: str, args: dict[str, Any]) -> Any:
    """Call a registered answer function with keyword arguments."""
    try:
        func = ANSWER_FUNCTIONS[fn]
    except KeyError:
        raise UnknownAnswerFunction(fn) from None
    return func(**args)
