"""A version is built once: the sandbox runs a package's code the first time, and a process
that starts later reads the build back (the same grades, no sandbox run)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from quizsvc.grading.engine import grade_source
from quizsvc.grading.package import cache, load_dir, store
from quizsvc.grading.package.build import build
from quizsvc.grading.runner import default_runner
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome

MAX_NORM = Path(__file__).resolve().parents[2] / "packages" / "max_norm"


class Counting:
    def __init__(self) -> None:
        self.runs: list[str] = []

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        self.runs.append(filename)
        return default_runner().run(source, program, filename=filename)


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cache, "_memory", {})
    monkeypatch.setattr(cache, "folder", tmp_path / "builds")
    return tmp_path / "builds"


def _outcome_view(outcome: RunOutcome) -> list[Any]:
    return [(c.call_id, c.ok, repr(c.value), repr(c.state), c.error) for c in outcome.outcomes.values()]


def test_a_version_is_built_once_per_machine(fresh_cache: Path, tmp_path: Path) -> None:
    package = load_dir(MAX_NORM)
    counting = Counting()
    first = cache.assignment_of(package, counting)
    assert counting.runs[:2] == ["cases.py", "reference.py"]
    built_runs = len(counting.runs)
    assert (fresh_cache / f"{package.version}.npz").is_file()
    assert cache.assignment_of(package, counting) is first  # this process: from memory
    cache._memory.clear()  # another process on this machine: from the folder
    second = cache.assignment_of(package, counting)
    assert len(counting.runs) == built_runs
    assert second is not first
    source = next(m.source for m in second.mistakes if m.key == "always_rescale")
    a, b = grade_source(first, source), grade_source(second, source)
    assert a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}
    assert a.mistake_keys == ["always_rescale"]


def test_another_version_is_built_again(fresh_cache: Path, tmp_path: Path) -> None:
    changed = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, changed)
    toml = (changed / "assignment.toml").read_text()
    (changed / "assignment.toml").write_text(toml.replace("points = 2\n", "points = 3\n"))
    counting = Counting()
    cache.assignment_of(load_dir(MAX_NORM), counting)
    runs = len(counting.runs)
    changed_assignment = cache.assignment_of(load_dir(changed), counting)
    assert len(counting.runs) == 2 * runs
    assert next(c for c in changed_assignment.cases if c.name == "zero_column").points == 3


def test_the_stored_build_reads_back_the_same(fresh_cache: Path) -> None:
    package = load_dir(MAX_NORM)
    built = build(package, default_runner())
    again = store.load(package, store.dump(package, built))
    assert again is not None
    assert _outcome_view(again.expected) == _outcome_view(built.expected)
    assert again.variants.keys() == built.variants.keys()
    assert all(_outcome_view(again.variants[k]) == _outcome_view(v) for k, v in built.variants.items())
    assert again.pairs.keys() == built.pairs.keys()
    assert [c.name for c in again.cases] == [c.name for c in built.cases]


def test_a_stored_build_of_another_version_or_a_damaged_file_is_not_used(fresh_cache: Path,
                                                                        tmp_path: Path) -> None:
    package = load_dir(MAX_NORM)
    data = store.dump(package, build(package, default_runner()))
    other = tmp_path / "other"
    shutil.copytree(MAX_NORM, other)
    (other / "statement.en.md").write_text("Changed.\n")
    assert store.load(load_dir(other), data) is None
    assert store.load(package, data[:100]) is None
    assert store.load(package, b"not an npz") is None
