"""The assignment registry: slug -> :class:`Assignment`, one module per assignment."""

from __future__ import annotations

import importlib
from functools import cache

from quizsvc.grading.assignment import Assignment

ASSIGNMENT_MODULES = (
    "penalties",
    "regularized_cost",
    "weight_decay",
    "dropout",
    "batchnorm",
    "layernorm",
    "early_stopping",
)


class UnknownAssignment(KeyError):
    pass


@cache
def all_assignments() -> dict[str, Assignment]:
    found: dict[str, Assignment] = {}
    for name in ASSIGNMENT_MODULES:
        module = importlib.import_module(f"quizsvc.grading.assignments.{name}")
        assignment: Assignment = module.ASSIGNMENT
        if assignment.slug in found:
            raise ValueError(f"duplicate assignment slug {assignment.slug!r}")
        found[assignment.slug] = assignment
    return found


def get(slug: str) -> Assignment:
    try:
        return all_assignments()[slug]
    except KeyError:
        raise UnknownAssignment(slug) from None
