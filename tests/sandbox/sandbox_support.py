"""Helpers for the sandbox tests (a plain module: conftest names collide across folders)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.result import GradeResult
from quizsvc.grading.selfcheck import reference_source
from quizsvc.sandbox.capabilities import detect
from quizsvc.sandbox.limits import Limits, MiB
from quizsvc.sandbox.pool import WarmPool

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-grader-env-value"
TIERS = ["bwrap", "fallback"]
SMALL = Limits(wall_seconds=3.0, call_seconds=1.0, load_seconds=1.0, cpu_seconds=2.0,
               memory_bytes=256 * MiB, file_size_bytes=1 * MiB, processes=8,
               output_bytes=16 * 1024, tmp_bytes=8 * MiB)
SLUG = "weight_decay"
CORRECT = "(1 - lr * lambd / m) * W - lr * dW"


def require(available: bool, reason: str) -> None:
    """Skip a test whose layer this machine lacks; under CI=true, fail instead."""
    if not available:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def require_tier(tier: str) -> None:
    caps = detect()
    require(tier != "bwrap" or bool(caps.bwrap),
            f"bubblewrap tier unavailable: {caps.bwrap_problem}")


def grade(pool: WarmPool, source: str, slug: str = SLUG) -> GradeResult:
    return grade_source(slug, source, runner=pool)


def assert_full_marks(pool: WarmPool, slug: str = SLUG) -> None:
    """The reference still gets full marks through the same pool: nothing was harmed."""
    result = grade(pool, reference_source(registry.get(slug)), slug)
    assert result.all_passed and result.score == result.max_score, result.to_table()


def fail_text(result: GradeResult) -> str:
    return "\n".join([c.message for c in result.cases] + result.notes)
