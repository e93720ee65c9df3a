"""The graders validated both ways: correct code passes, every known mistake is caught."""

from __future__ import annotations

import pytest

from quizsvc.grading import registry
from quizsvc.grading.selfcheck import SelfcheckRow, submissions

ASSIGNMENTS = registry.all_assignments()
CORRECT = [label for a in ASSIGNMENTS.values() for label, kind, _, _ in submissions(a)
           if kind != "mistake"]
MISTAKES = [(label, key) for a in ASSIGNMENTS.values() for label, kind, _, key in submissions(a)
            if kind == "mistake"]


def test_nine_assignments_registered_with_enough_material() -> None:
    assert list(ASSIGNMENTS) == ["penalties", "regularized_cost", "weight_decay", "dropout",
                                 "batchnorm", "layernorm", "early_stopping",
                                 "spatial_batchnorm", "groupnorm"]
    assert [a.order for a in ASSIGNMENTS.values()] == list(range(1, 10))
    for assignment in ASSIGNMENTS.values():
        assert len(assignment.solutions) >= 3, assignment.slug
        assert len(assignment.mistakes) >= 4, assignment.slug
        assert len({m.key for m in assignment.mistakes}) == len(assignment.mistakes)
        assert any(c.visible for c in assignment.cases)
        assert any(not c.visible for c in assignment.cases)
        for mistake in assignment.mistakes:
            assert mistake.hint.ko and mistake.hint.en and mistake.hint.ko != mistake.hint.en


@pytest.mark.parametrize("label", CORRECT)
def test_correct_code_gets_full_marks(graded: dict[str, SelfcheckRow], label: str) -> None:
    row = graded[label]
    assert row.result.all_passed, row.result.to_table()
    assert row.result.score == row.result.max_score  # exact, snapped
    assert row.result.diagnoses == []


@pytest.mark.parametrize(("label", "key"), MISTAKES)
def test_mistake_loses_points_and_is_diagnosed_as_itself(
        graded: dict[str, SelfcheckRow], label: str, key: str) -> None:
    result = graded[label].result
    assert result.score < result.max_score
    assert result.mistake_keys == [key], result.to_table()  # itself and nothing else
    failing = [c for c in result.cases if not c.passed]
    assert any(c.mistake == key and c.hint for c in failing)
    # every failing case the mistake explains carries its hint in the requested language
    mistake = next(m for m in ASSIGNMENTS[label.split("/")[0]].mistakes if m.key == key)
    assert all(c.hint == mistake.hint.en for c in failing if c.mistake == key)


def test_korean_hints(graded: dict[str, SelfcheckRow]) -> None:
    from quizsvc.grading import grade_source

    mistake = next(m for m in ASSIGNMENTS["batchnorm"].mistakes if m.key == "momentum_reversed")
    result = grade_source("batchnorm", mistake.source, language="ko")
    assert result.diagnoses[0].hint == mistake.hint.ko
    assert "모멘텀" in result.diagnoses[0].title


def test_gradient_check_tolerance_separates_correct_from_wrong_backward(
        graded: dict[str, SelfcheckRow]) -> None:
    """Measured: correct backward passes agree with finite differences of their own forward
    far below the threshold; a backward that ignores the batch statistics is far above it."""
    worst_correct = {}
    for label in CORRECT:
        for case in graded[label].result.cases:
            errors = case.metrics.get("gradient_check_rel_error")
            if errors:
                slug = label.split("/")[0]
                worst_correct[slug] = max(worst_correct.get(slug, 0.0), *errors.values())
    assert set(worst_correct) == {"penalties", "dropout", "batchnorm", "layernorm",
                                  "spatial_batchnorm", "groupnorm"}
    thresholds = {slug: {c.gradcheck.threshold for c in ASSIGNMENTS[slug].cases if c.gradcheck}
                  for slug in worst_correct}
    assert thresholds["batchnorm"] == thresholds["layernorm"] == {1e-6}
    assert thresholds["spatial_batchnorm"] == thresholds["groupnorm"] == {1e-5}
    assert all(v < 1e-7 for v in worst_correct.values()), worst_correct  # thresholds: >= 1e-6
    for label in ("batchnorm/mistake:dx_ignores_batch_stats", "layernorm/mistake:dx_ignores_stats",
                  "spatial_batchnorm/mistake:dx_ignores_batch_stats",
                  "groupnorm/mistake:dx_ignores_stats"):
        case = next(c for c in graded[label].result.cases if c.metrics.get(
            "gradient_check_rel_error"))
        assert case.metrics["gradient_check_rel_error"]["x"] > 1e-3
        assert "disagrees with a finite-difference gradient" in case.message


def test_statements_and_starter_code() -> None:
    for assignment in ASSIGNMENTS.values():
        assert set(assignment.statement) == {"ko", "en"}
        namespace: dict = {}
        exec(compile(assignment.starter_code, "starter.py", "exec"), namespace)
        for name in assignment.function_names:
            assert f"`{name}(" in assignment.statement["en"] or name in assignment.statement["en"]
            assert name in assignment.statement["ko"]
            assert callable(namespace[name])
        assert assignment.title.ko and assignment.title.en
