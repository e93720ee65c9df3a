"""A package and what the sandbox built from it, put together as a gradable Assignment."""

from __future__ import annotations

from importlib import resources

from quizsvc.grading.assignment import LANGUAGES, Assignment, FunctionSpec, Solution
from quizsvc.grading.cases import Case
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.package.build import Built
from quizsvc.grading.package.loading import Package
from quizsvc.grading.package.specs import cases_from_wire
from quizsvc.text import Text


def submission_rules(language: str) -> str:
    """What every submission may contain: one text for every assignment, as the grader applies
    it to every submission."""
    return resources.files("quizsvc.grading.texts").joinpath(
        f"submission_rules.{language}.md").read_text(encoding="utf-8")


def assignment_from(package: Package, built: Built) -> Assignment:
    m = package.manifest
    statement = {lang: package.text(f"statement.{lang}.md").rstrip("\n") + "\n\n"
                 + submission_rules(lang) for lang in LANGUAGES}
    solutions = [Solution(name.removeprefix("solutions/").removesuffix(".py"), package.text(name))
                 for name in package.solution_files]
    first = [built.cases]

    def build_cases() -> list[Case]:
        # The built cases once, then fresh ones (from the same data) for each copy made with
        # dataclasses.replace: an Assignment sets its contract on its own cases.
        return first.pop() if first else cases_from_wire(built.document, built.arrays, m)

    return Assignment(
        slug=m.slug, title=Text(en=m.title.en, ko=m.title.ko),
        functions=[FunctionSpec(f.name, f.signature) for f in m.functions],
        build_cases=build_cases, mistakes=built.mistakes,
        tolerance=Tolerance(rtol=m.tolerance.rtol, atol=m.tolerance.atol),
        expected=built.expected, variants=built.variants, pairs=built.pairs,
        statement=statement, starter_code=package.text("starter.py"), solutions=solutions,
        order=m.order, version=package.version,
        reference_source=package.text("reference.py"),
        mutable={f.name: tuple(f.mutable) for f in m.functions if f.mutable},
        new_arrays=tuple(f.name for f in m.functions if f.new_arrays),
        shape_policy=m.shape_policy)
