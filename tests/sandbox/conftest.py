"""Fixtures for the sandbox tests: one small-limit warm pool per isolation tier per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sandbox_support import SECRET, SMALL, TIERS, require_tier

from quizsvc.grading import engine
from quizsvc.grading.pruning import Pruned
from quizsvc.sandbox.pool import WarmPool


@pytest.fixture(scope="module", params=TIERS)
def pool(request: pytest.FixtureRequest) -> Iterator[WarmPool]:
    require_tier(request.param)
    os.environ["QUIZSVC_TEST_GRADER_SECRET"] = SECRET  # must never reach a submission
    with WarmPool(size=2, limits=SMALL, isolation=request.param) as warm:
        yield warm
    del os.environ["QUIZSVC_TEST_GRADER_SECRET"]


@pytest.fixture(autouse=True)
def whole_submissions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attack's top-level code reaches the sandbox. The grader skips code the graded
    functions do not use (grading/pruning.py), but that is no security layer: an attack can
    as well sit in a graded function, and the sandbox must hold for any code."""
    monkeypatch.setattr(engine, "prune", lambda source, *_: Pruned(source))
