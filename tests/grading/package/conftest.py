"""A writable copy of the test package (tests/packages/max_norm) for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

MAX_NORM = Path(__file__).resolve().parents[2] / "packages" / "max_norm"


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    target = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, target)
    return target
