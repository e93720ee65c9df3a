"""``quizsvc assignment check``: a package validated both ways before any student sees it.

The package builds in the sandbox (cases, reference); every correct solution gets full marks;
every known mistake, alone and in each pair diagnosis knows, loses points and is diagnosed as
exactly itself; hidden cases say nothing beyond their kind of failure to a student; both
statements render; the starter code defines every function. Problems are said per file and per
case, mistake or solution."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

from quizsvc.grading.assignment import Assignment
from quizsvc.grading.package.assemble import assignment_from
from quizsvc.grading.package.build import Built, build
from quizsvc.grading.package.files import PackageError, Problem
from quizsvc.grading.package.loading import Package
from quizsvc.grading.runner import Runner
from quizsvc.grading.selfcheck import SelfcheckRow, check_assignment
from quizsvc.rendering import markdown_to_html
from quizsvc.text import Text


@dataclass
class CheckReport:
    slug: str
    version: str
    title: Text
    problems: list[Problem] = field(default_factory=list)
    rows: list[SelfcheckRow] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)  # name, points, hidden
    assignment: Assignment | None = None  # the built version (None when it did not build)
    built: Built | None = None  # what the sandbox computed for it (kept by an import)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "slug": self.slug, "version": self.version,
            "title": self.title.as_dict(), "cases": self.cases,
            "problems": [p.as_dict() for p in self.problems],
            "checked": [{"label": r.label, "kind": r.kind, "ok": r.ok, "score": r.score,
                         "max_score": r.max_score, "detail": r.detail} for r in self.rows],
        }


def _place(package: Package, row: SelfcheckRow) -> tuple[str, str]:
    what = row.label.split("/", 1)[1]
    if row.kind == "solution":
        return f"solutions/{what.removeprefix('solution:')}.py", ""
    if row.kind in ("mistake", "pair"):
        return "mistakes.toml", what.split(":", 1)[1]
    return "reference.py", ""


def _row_problem(package: Package, row: SelfcheckRow) -> Problem:
    file, where = _place(package, row)
    if row.kind in ("reference", "solution"):
        failing = [c for c in row.result.cases if not c.passed]
        detail = "; ".join(f"{c.name}: {c.private.get('message') or c.message}"
                           for c in failing[:3]) or "diagnosed as a mistake: " + ", ".join(
                               d.key for d in row.result.diagnoses)
        return Problem(Text(en=f"expected full marks, got {row.score:g}/{row.max_score:g}: {detail}",
                            ko=f"만점이어야 하는데 {row.score:g}/{row.max_score:g}점입니다: {detail}"),
                       file, where)
    named = " + ".join(row.result.mistake_keys) or "nothing"
    if row.score >= row.max_score:
        return Problem(Text(en="this mistake gets full marks: no case catches it",
                            ko="이 실수가 만점을 받습니다. 잡아내는 케이스가 없습니다"), file, where)
    return Problem(Text(en=f"diagnosed as {named}, not as itself",
                        ko=f"자기 자신이 아니라 {named}(으)로 진단됩니다"), file, where)


def _texts(package: Package, assignment: Assignment) -> list[Problem]:
    problems = []
    for lang in ("en", "ko"):
        name = f"statement.{lang}.md"
        try:
            html = markdown_to_html(package.text(name))
        except Exception as exc:  # noqa: BLE001 - any renderer failure is the file's problem
            problems.append(Problem(Text(en=f"does not render: {exc}", ko=f"렌더링되지 않습니다: {exc}"), name))
            continue
        if not html.strip():
            problems.append(Problem(Text(en="is empty", ko="비어 있습니다"), name))
    try:
        tree = ast.parse(package.text("starter.py"))
    except SyntaxError as exc:
        problems.append(Problem(Text(en=f"not valid Python: {exc.msg} (line {exc.lineno})",
                                     ko=f"올바른 Python이 아닙니다: {exc.msg} ({exc.lineno}행)"),
                                "starter.py"))
    else:
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for name in assignment.function_names:
            if name not in defined:
                problems.append(Problem(Text(en=f"does not define {name}", ko=f"{name}을(를) 정의하지 않습니다"),
                                        "starter.py"))
    return problems


def _hidden(assignment: Assignment, rows: list[SelfcheckRow]) -> list[Problem]:
    """A student sees no hidden case's data: not in a visible-only grade, not in the messages
    of a full grade (checked on every mistake's grade)."""
    problems = []
    hidden = [c for c in assignment.cases if not c.visible]
    if not any(c.visible for c in assignment.cases):
        problems.append(Problem(Text(en="every case is hidden: a student would get no feedback",
                                     ko="모든 케이스가 숨겨져 있어 학생이 피드백을 받을 수 없습니다"),
                                "assignment.toml"))
    for row in rows:
        public = json.dumps(row.result.to_dict(include_private=False), ensure_ascii=False)
        for case in hidden:
            if case.summary.en and case.summary.en in public or case.summary.ko and case.summary.ko in public:
                problems.append(Problem(Text(en="a student's result shows this hidden case's summary",
                                             ko="학생 결과에 숨긴 케이스의 설명이 보입니다"),
                                        "cases.py", case.name))
    return problems


def check_package(package: Package, runner: Runner, *, pairs: bool = True) -> CheckReport:
    m = package.manifest
    report = CheckReport(m.slug, package.version, Text(en=m.title.en, ko=m.title.ko))
    try:
        built = build(package, runner)
    except PackageError as exc:
        report.problems = exc.problems
        return report
    report.built = built
    assignment = report.assignment = assignment_from(package, built)
    report.cases = [{"name": c.name, "points": c.points, "hidden": not c.visible}
                    for c in assignment.cases]
    if sum(c.points for c in assignment.cases) <= 0:
        report.problems.append(Problem(Text(en="the cases are worth no points",
                                            ko="케이스 배점의 합이 0입니다"), "cases.py"))
    report.rows = check_assignment(assignment, runner, pairs=pairs)
    report.problems += [_row_problem(package, r) for r in report.rows if not r.ok]
    report.problems += _texts(package, assignment)
    report.problems += _hidden(assignment, report.rows)
    return report
