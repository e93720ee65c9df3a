"""What an assignment is: its functions, texts, test cases, reference, solutions and mistakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from quizsvc.grading.cases import Case, Verdict
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.contract import Contract, ShapePolicy
from quizsvc.grading.runner import RunOutcome
from quizsvc.sandbox.program import Program
from quizsvc.text import Text

LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    signature: str  # e.g. "batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)"


@dataclass(frozen=True)
class Mistake:
    """A known mistake, as an executable variant of a correct solution."""

    key: str
    title: Text
    hint: Text
    source: str  # the complete variant, runnable as a submission
    # How ``source`` was made from a correct solution: two mistakes made from the same base
    # compose by applying both patch lists (diagnosis recognises such pairs).
    base: str = ""
    patches: tuple[tuple[str, str], ...] = ()


def composed(first: Mistake, second: Mistake) -> str | None:
    """The source with both mistakes made, or None when they cannot be made together (other
    bases, or patches that touch the same code)."""
    if not first.base or first.base != second.base:
        return None
    try:
        source = patched(first.base, *first.patches, *second.patches)
    except ValueError:
        return None
    return with_numpy(source)


def with_numpy(source: str) -> str:
    """A patch may use np where the base did not import it."""
    return source if "import numpy as np" in source else "import numpy as np\n" + source


@dataclass(frozen=True)
class Solution:
    name: str
    source: str


def patched(base: str, *patches: tuple[str, str]) -> str:
    """Apply textual patches to a correct solution; each must match exactly once."""
    for old, new in patches:
        count = base.count(old)
        if count != 1:
            raise ValueError(f"patch target found {count} times, expected once: {old!r}")
        base = base.replace(old, new)
    return base


@dataclass(eq=False)
class Assignment:
    """A gradable version of an assignment package (``quizsvc.grading.package`` builds it):
    its cases, and the outputs of its reference and known mistakes, computed in the sandbox."""

    slug: str
    title: Text
    functions: list[FunctionSpec]
    build_cases: Callable[[], list[Case]]
    mistakes: list[Mistake]
    tolerance: Tolerance
    expected: RunOutcome  # the reference's outputs on every case
    variants: dict[str, RunOutcome]  # each mistake's outputs
    pairs: dict[tuple[str, str], RunOutcome]  # two mistakes made together (diagnosis)
    statement: dict[str, str]  # language -> Markdown, the submission rules appended
    starter_code: str
    solutions: list[Solution]
    order: int = 0
    version: str = ""  # the package's content hash
    reference_source: str = ""  # the package's reference.py (the selfcheck grades it)
    # The contract beyond the values (see contract.py); each statement says the same.
    mutable: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fn -> params it may change
    new_arrays: tuple[str, ...] = ()  # functions whose returned arrays must not share memory
    shape_policy: ShapePolicy = "lenient"  # an output's size-1 axes: a note, or a failure

    @property
    def function_names(self) -> list[str]:
        return [f.name for f in self.functions]

    @cached_property
    def contract(self) -> Contract:
        return Contract.of([f.signature for f in self.functions], mutable=self.mutable,
                           new_arrays=self.new_arrays, shapes=self.shape_policy)

    @cached_property
    def cases(self) -> list[Case]:
        cases = self.build_cases()
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.slug}: duplicate case names")
        for case in cases:
            case.contract = self.contract
            for call in case.program.calls:  # the child checks memory sharing where asked
                if call["fn"] in self.contract.new_arrays:
                    call["fresh"] = True
        return cases

    @cached_property
    def _programs(self) -> dict[tuple[str, ...], Program]:
        return {}

    def program(self, cases: list[Case]) -> Program:
        """The cases' calls as one Program, built once per tuple of case names. Shared: callers
        must not mutate it (runners only read it; the sandbox caches its wire bytes on it)."""
        key = tuple(c.name for c in cases)
        program = self._programs.get(key)
        if program is None:
            program = Program()
            for case in cases:
                program.extend(case.program)
            self._programs[key] = program
        return program

    def variant_outcome(self, key: str) -> RunOutcome:
        return self.variants[key]

    def pair_outcome(self, first: str, second: str) -> RunOutcome | None:
        return self.pairs.get((first, second))

    @cached_property
    def _variant_verdicts(self) -> dict[str, dict[str, Verdict]]:
        return {}

    def variant_verdicts(self, key: str) -> dict[str, Verdict]:
        """Case name -> the variant's verdict against the reference, computed once per process
        (diagnosis needs them for every failing submission). Shared: do not mutate."""
        verdicts = self._variant_verdicts.get(key)
        if verdicts is None:
            variant, expected = self.variant_outcome(key), self.expected
            verdicts = {c.name: c.evaluate(variant, expected) for c in self.cases}
            self._variant_verdicts[key] = verdicts
        return verdicts
