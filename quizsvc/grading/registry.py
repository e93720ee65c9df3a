"""The assignment registry: slug -> :class:`Assignment`, one module per assignment."""

from __future__ import annotations

import importlib
from functools import cache

from quizsvc.grading.assignment import Assignment
from quizsvc.grading.diagnosis import catalogue

ASSIGNMENT_MODULES = (
    "penalties",
    "regularized_cost",
    "weight_decay",
    "dropout",
    "batchnorm",
    "layernorm",
    "early_stopping",
    "spatial_batchnorm",
    "groupnorm",
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


def warm_up() -> None:
    """Compute what every grade needs, once per process and before the first submission: each
    assignment's program, the reference's outputs and the known mistakes' outputs, alone and
    in composable pairs (the diagnosis catalogue; ~1 s in all). A forking server does it before
    the fork, so its workers share the results."""
    for assignment in all_assignments().values():
        assignment.program(assignment.cases)
        assignment.expected  # noqa: B018 - a cached property: computing it is the point
        catalogue(assignment)  # every mistake's outputs, alone and in pairs
