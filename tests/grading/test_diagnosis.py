"""Diagnosis names a known mistake only when it explains the submission consistently, names
pairs of mistakes made together, and otherwise says what is observed (a symptom), never a wrong
mistake. Measured over the whole catalogue (alone and in pairs) and on buggy solutions written
independently, as students write them (tests/grading/student_bugs)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.assignment import composed
from quizsvc.grading.diagnosis import VERDICT, Judged, Observation, catalogue
from quizsvc.grading.result import GradeResult
from quizsvc.grading.runner import RunOutcome, default_runner
from quizsvc.grading.selfcheck import SelfcheckRow, judge, pair_submissions
from quizsvc.grading.symptoms import describe_symptoms
from quizsvc.sandbox.program import Program

ASSIGNMENTS = registry.all_assignments()
BUGS = Path(__file__).parent / "student_bugs"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


class _RunOnce:
    """The sandbox, run once: the grade in the other language reads the same outcome.

    No submission here should be stopped; one that is was stopped by the machine (a wall-clock
    limit on a loaded machine, a fork server lost with the thread that started it), so it runs
    again, at most twice."""

    def __init__(self) -> None:
        self.outcome: RunOutcome | None = None

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        for _ in range(3):
            if self.outcome is None or self.outcome.aborted:
                self.outcome = default_runner().run(source, program, filename=filename)
        assert self.outcome is not None
        return self.outcome


def _grade_all(jobs: list[tuple[str, str]]) -> list[tuple[GradeResult, GradeResult]]:
    """(slug, source) -> the grade in English and, from the same run, in Korean. In this
    thread, one after the other: a fork server started from a worker thread dies with it."""
    graded = []
    for slug, source in jobs:
        runner = _RunOnce()
        graded.append((grade_source(slug, source, runner=runner),
                       grade_source(slug, source, runner=runner, language="ko")))
    return graded


@pytest.fixture(scope="module")
def pairs() -> dict[str, tuple[SelfcheckRow, GradeResult]]:
    """Every catalogued pair of mistakes, made together and graded in the sandbox."""
    items = [(a.slug, *item) for a in ASSIGNMENTS.values() for item in pair_submissions(a)]
    graded = _grade_all([(slug, source) for slug, _, source, _ in items])
    return {label: (judge(label, "pair", en, keys), ko)
            for (_, label, _, keys), (en, ko) in zip(items, graded, strict=True)}


def test_every_known_mistake_alone_is_named_as_exactly_itself(
        graded: dict[str, SelfcheckRow]) -> None:
    rows = [row for row in graded.values() if row.kind == "mistake"]
    wrong = [(r.label, r.result.mistake_keys) for r in rows
             if r.result.mistake_keys != [r.label.split(":")[1]]]
    assert not wrong, f"{len(rows) - len(wrong)} of {len(rows)} named as exactly themselves"
    assert len(rows) == sum(len(a.mistakes) for a in ASSIGNMENTS.values())


def test_every_pair_of_mistakes_made_together_is_named_as_exactly_that_pair(
        pairs: dict[str, tuple[SelfcheckRow, GradeResult]]) -> None:
    wrong = {label: row.detail for label, (row, _) in pairs.items() if not row.ok}
    assert not wrong, f"{len(pairs) - len(wrong)} of {len(pairs)} pairs named exactly: {wrong}"
    assert len(pairs) >= 150  # every assignment contributes (weight decay's patches all clash)
    assert {label.split("/")[0] for label in pairs} == set(ASSIGNMENTS) - {"weight_decay"}
    # Layer norm's dgamma and dbeta both summed over the wrong axis: two mistakes at once.
    row, korean = pairs["layernorm/pair:dgamma_wrong_axis+dbeta_wrong_axis"]
    assert sorted(korean.mistake_keys) == ["dbeta_wrong_axis", "dgamma_wrong_axis"]
    hints = {m.key: m.hint for m in ASSIGNMENTS["layernorm"].mistakes}
    assert {d.hint for d in korean.diagnoses} == {hints["dgamma_wrong_axis"].ko,
                                                  hints["dbeta_wrong_axis"].ko}
    for case in row.result.cases:  # every failing case carries the hint of a mistake it shows
        assert case.passed or case.mistake in ("dgamma_wrong_axis", "dbeta_wrong_axis")


def test_pairs_left_out_of_the_catalogue_are_never_named_wrongly() -> None:
    """Pairs that cannot be told from one of their mistakes (one masks the other) are left out;
    graded anyway, they are named as that mistake or given a symptom, never anything else."""
    jobs, expected = [], []
    for assignment in ASSIGNMENTS.values():
        kept = {c.keys for c in catalogue(assignment).pairs}
        for first, second in itertools.combinations(assignment.mistakes, 2):
            source = composed(first, second)
            if source is not None and (first.key, second.key) not in kept:
                jobs.append((assignment.slug, source))
                expected.append({first.key, second.key})
    assert jobs
    for (en, _), keys in zip(_grade_all(jobs), expected, strict=True):
        assert en.score < en.max_score
        assert set(en.mistake_keys) < keys, (keys, en.mistake_keys)


def test_catalogue_entries_for_bugs_seen_in_real_code() -> None:
    keys = {slug: {m.key for m in a.mistakes} for slug, a in ASSIGNMENTS.items()}
    assert "test_no_eps" in keys["batchnorm"]
    assert "keep_drop_swapped" in keys["dropout"]
    assert {"per_pixel_group_stats", "gamma_indexed_as_c"} <= keys["groupnorm"]
    assert "per_pixel_stats" in keys["spatial_batchnorm"]
    for assignment in ASSIGNMENTS.values():
        for mistake in assignment.mistakes:
            assert HANGUL.search(mistake.title.ko) and HANGUL.search(mistake.hint.ko)


# Buggy solutions written independently of the catalogue's patches, as students write them.
# Named: the file -> (assignment, the mistakes that must be named, nothing else).
NAMED = {
    "bn_test_no_eps": ("batchnorm", ["test_no_eps"]),
    "ln_both_axes": ("layernorm", ["dbeta_wrong_axis", "dgamma_wrong_axis"]),
    "dropout_swap": ("dropout", ["keep_drop_swapped"]),
    "gn_per_pixel": ("groupnorm", ["per_pixel_group_stats"]),
    "gn_gamma_c": ("groupnorm", ["gamma_indexed_as_c"]),
    # reshaped to (N, C*H*W) and sent through plain batch norm: running stats of shape (C*H*W,)
    "sbn_per_position": ("spatial_batchnorm", ["per_pixel_stats"]),
}
# Beyond the catalogue: no mistake may be named; each wrong output gets a specific symptom.
# The file -> (assignment, {symptom key: phrases its English text must contain}).
SYMPTOMS = {
    # Issue 14: was named "learning rate missing from the decay" (it matched one case).
    "decay_twice": ("weight_decay", {"symptom:W_new": ["In every failing case",
                                                       "a multiple of W", "× W"]}),
    # Issue 14: was named "returns the last epoch" (it matched two cases).
    "argmin_until_stop": ("early_stopping", {"symptom:best_epoch": ["more than expected"]}),
    "argmin_off_by_one": ("early_stopping", {"symptom:best_epoch": ["less than expected",
                                                                     "by 1"]}),
    "bn_dgamma_sign": ("batchnorm", {"symptom:dgamma": ["opposite sign", "-1 ×"]}),
    "bn_no_eps_train": ("batchnorm", {
        "symptom:out": ["NaN or inf only where the input is constant (zero variance)",
                        "Only in train mode", "close but not within tolerance"],
        "symptom:dx": [], "symptom:dgamma": []}),
    "bn_test_no_sqrt": ("batchnorm", {"symptom:out": ["Only in test mode"]}),
    "ln_transpose_trick": ("layernorm", {"symptom:dx": ["transpose",
                                                        "shape (5, 4) where (4, 5)"]}),
    "ln_dx_times_d": ("layernorm", {"symptom:dx": ["constant multiple", "5 × the expected"]}),
    "dropout_half": ("dropout", {"symptom:properties": [
        "dx does not reuse the forward mask and scale",
        "on kept units dx is 0.35 × dout / keep_prob"]}),
}


@pytest.fixture(scope="module")
def student_bugs() -> dict[str, tuple[GradeResult, GradeResult]]:
    names = list(NAMED) + list(SYMPTOMS)
    slugs = {**{k: v[0] for k, v in NAMED.items()}, **{k: v[0] for k, v in SYMPTOMS.items()}}
    graded = _grade_all([(slugs[n], (BUGS / f"{n}.py").read_text()) for n in names])
    return dict(zip(names, graded, strict=True))


@pytest.mark.parametrize("name", list(NAMED))
def test_independent_bug_is_named(student_bugs: dict[str, tuple[GradeResult, GradeResult]],
                                  name: str) -> None:
    en, ko = student_bugs[name]
    assert en.score < en.max_score
    assert sorted(en.mistake_keys) == NAMED[name][1], en.to_table()
    assert [d.kind for d in en.diagnoses] == ["mistake"] * len(NAMED[name][1])
    assert ko.mistake_keys == en.mistake_keys
    assert all(HANGUL.search(d.hint) for d in ko.diagnoses)


@pytest.mark.parametrize("name", list(SYMPTOMS))
def test_independent_bug_gets_a_specific_symptom_and_no_mistake_name(
        student_bugs: dict[str, tuple[GradeResult, GradeResult]], name: str) -> None:
    en, ko = student_bugs[name]
    expected = SYMPTOMS[name][1]
    assert en.score < en.max_score
    assert en.mistake_keys == [], en.to_table()
    assert {d.key: d.kind for d in en.diagnoses} == dict.fromkeys(expected, "symptom")
    for diagnosis in en.diagnoses:
        for phrase in expected[diagnosis.key]:
            assert phrase in diagnosis.hint, diagnosis.hint
        assert diagnosis.cases and all(not c.passed for c in en.cases if c.name in diagnosis.cases)
        assert not any(c.mistake for c in en.cases)  # no case carries a mistake's hint
        assert f"observed [{diagnosis.key}] {diagnosis.title}" in en.to_table()
    assert [d.key for d in ko.diagnoses] == [d.key for d in en.diagnoses]
    for en_d, ko_d in zip(en.diagnoses, ko.diagnoses, strict=True):
        assert HANGUL.search(ko_d.title) and HANGUL.search(ko_d.hint)
        assert ko_d.hint != en_d.hint


def test_symptom_says_which_output_is_wrong_and_which_are_right(
        student_bugs: dict[str, tuple[GradeResult, GradeResult]]) -> None:
    en, ko = student_bugs["bn_dgamma_sign"]
    (only,) = en.diagnoses
    assert only.title == "dgamma is wrong (dbeta, dx, out, running_mean, running_var: right)"
    assert ko.diagnoses[0].title == ("dgamma 값이 틀림 (dbeta, dx, out, running_mean, "
                                     "running_var: 맞음)")
    assert "부호가 반대" in ko.diagnoses[0].hint


def test_symptoms_quote_no_numbers_from_hidden_cases(
        student_bugs: dict[str, tuple[GradeResult, GradeResult]]) -> None:
    """argmin_until_stop fails two cases, one visible (3 more) and one hidden: the number shown
    is the visible case's."""
    en, _ = student_bugs["argmin_until_stop"]
    visible = {c.name for c in en.cases if c.visible}
    (symptom,) = en.diagnoses
    assert set(symptom.cases) - visible  # a hidden case is among them
    assert "more than expected (in a visible case: by 3)" in symptom.hint


def _out_slot(case_name: str) -> tuple[str, int]:
    case = next(c for c in ASSIGNMENTS["batchnorm"].cases if c.name == case_name)
    return (case_name, next(i for i, c in enumerate(case.checks) if str(c.label) == "out"))


@pytest.mark.parametrize(("case_name", "transform", "phrase"), [
    ("train_forward_backward", lambda r: -r, "opposite sign (-1 × the expected value)"),
    ("train_forward_backward", lambda r: 2.5 * r, "a constant multiple of the expected value (2.5 × the expected value)"),
    ("train_forward_backward", lambda r: r + 0.25, "the expected value shifted by a constant (by 0.25)"),
    ("train_forward_backward", lambda r: r.T, "the transpose of the expected value"),
    ("train_forward_backward", lambda r: r * (1 + 3e-4 * np.cos(np.arange(r.size))
                                              ).reshape(r.shape),
     "close but not within tolerance: a small term, about the size of eps, differs"),
    ("train_forward_backward", lambda r: np.broadcast_to(r, (2, *r.shape)).copy(),
     "a broadcast shape (arrays of different shapes were combined) (shape (2, 4, 3) where (4, 3)"),
    ("train_forward_backward", lambda r: r.reshape(1, *r.shape),
     "only size-1 axes of its shape differ; the values are right (shape (1, 4, 3) where (4, 3)"),
    ("constant_columns", lambda r: np.where(np.arange(r.shape[1]) == 0, np.nan, r),
     "NaN or inf only where the input is constant (zero variance)"),
])
def test_symptom_patterns(case_name: str, transform: object, phrase: str) -> None:
    """One wrong output, every other right: the symptom names it, and how it differs."""
    assignment = ASSIGNMENTS["batchnorm"]
    case = next(c for c in assignment.cases if c.name == case_name)
    slot = _out_slot(case_name)
    reference = case._wanted(assignment.expected)[slot[1]]
    seen = Observation(passing={(c.name, i) for c in assignment.cases
                                for i in range(len(c.checks))} - {slot},
                       failing={slot: transform(reference)})  # type: ignore[operator]
    (symptom,) = describe_symptoms(assignment, assignment.cases, seen)
    assert symptom.key == "symptom:out" and symptom.cases == [case_name]
    assert symptom.title.en == "out is wrong (dbeta, dgamma, dx, running_mean, running_var: right)"
    assert phrase.lower() in symptom.text.en.lower(), symptom.text.en
    assert HANGUL.search(symptom.text.ko)


# What a function returns, whatever it is given: outputs diagnosis must survive.
ODD_RETURNS = {
    "none": "return None",
    "a float": "return 1.0",
    "an int": "return 3",
    "a short tuple": "return (np.zeros(2),)",
    "NaN arrays": "return tuple(np.full((2, 3), np.nan) for _ in range(3))",
    "the first argument": "return args[0], args[0], args[0]",
    "empty arrays": "return np.zeros(0), np.zeros(0), np.zeros(0)",
    "lists and a dict": "return [1, 2], [3], {}",
    "strings": "return 'x', 'y'",
    "complex": "return np.asarray(args[0]) * 1j, None",
    "booleans": "return np.asarray(args[0]) > 0, None",
}


@pytest.mark.parametrize("slug", list(ASSIGNMENTS))
def test_odd_returns_get_a_grade_and_no_mistake_name(slug: str) -> None:
    """Before: an L1 penalty returning a number where a list of arrays is expected crashed the
    symptom diagnosis (ValueError), and a complex output raised a ComplexWarning."""
    names = ASSIGNMENTS[slug].function_names
    jobs = [(slug, "import numpy as np\n" + "".join(f"def {name}(*args):\n    {body}\n"
                                                     for name in names))
            for body in ODD_RETURNS.values()]
    for (en, ko), what in zip(_grade_all(jobs), ODD_RETURNS, strict=True):
        assert en.score < en.max_score, what
        assert en.mistake_keys == [], (what, en.mistake_keys)
        assert [d.key for d in ko.diagnoses] == [d.key for d in en.diagnoses]


def test_a_case_wrong_beyond_its_outputs_gets_no_output_symptom() -> None:
    """A value case can fail with every output right (say, an input array changed in place):
    its own message says why, and no output is described as wrong."""
    assignment = ASSIGNMENTS["weight_decay"]
    case = assignment.cases[0]
    seen = Observation(passing={(case.name, 0)},
                       failing={(case.name, VERDICT): Judged("values", ())})
    assert describe_symptoms(assignment, assignment.cases, seen) == []
