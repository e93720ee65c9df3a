"""The cases a package's cases.py sent back from the sandbox, validated and turned into the
grader's own objects (:class:`~quizsvc.grading.cases.Case`). Nothing here trusts the data:
every field is checked, and a property case can only name one of the service's judges."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.gradcheck import GradCheck
from quizsvc.grading.package.files import PackageError, Problem
from quizsvc.grading.package.manifest import Manifest
from quizsvc.grading.properties import JUDGES, judge_for
from quizsvc.sandbox.program import Program
from quizsvc.text import Text

MAX_CASES = 200


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextDoc(_Model):
    en: str = Field(max_length=2000)
    ko: str = Field(max_length=2000)


class TolDoc(_Model):
    rtol: float = Field(ge=0, le=1)
    atol: float = Field(ge=0)


class OutputDoc(_Model):
    label: str | TextDoc
    call: str
    path: list[int | str] = Field(max_length=8)
    kind: Literal["array", "number", "int", "arrays"]
    tol: TolDoc | None = None


class GradCheckDoc(_Model):
    probes: dict[str, list[tuple[str, str, str]]]
    shapes: dict[str, list[int]]
    analytic: dict[str, tuple[str, list[int | str]]]
    out_path: list[int | str]
    dout: str | None
    h: float = Field(gt=0, le=1)
    threshold: float = Field(gt=0)


class CaseDoc(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
    points: float = Field(ge=0, le=1000)
    visible: bool
    summary: TextDoc
    calls: list[dict[str, Any]] = Field(max_length=2000)
    checks: list[OutputDoc] = Field(max_length=500)
    tolerance: TolDoc
    gradcheck: GradCheckDoc | None
    judge: str | None
    params: dict[str, Any]
    feature_tol: dict[str, float]
    arrays: list[str]
    kept: list[str]
    order: list[str]


class CasesDoc(_Model):
    version: Literal[1]
    cases: list[CaseDoc] = Field(min_length=1, max_length=MAX_CASES)


def _text(doc: TextDoc) -> Text:
    return Text(en=doc.en, ko=doc.ko)


def _tol(doc: TolDoc) -> Tolerance:
    return Tolerance(rtol=doc.rtol, atol=doc.atol)


def _problem(en: str, ko: str, where: str = "") -> Problem:
    return Problem(Text(en=en, ko=ko), "cases.py", where)


def cases_from_wire(document: bytes, arrays: list[np.ndarray], manifest: Manifest) -> list[Case]:
    """Build the grader's cases from what ``gradekit.encode_cases`` sent; manifest overrides
    (points, hidden, tolerance) applied. Raises PackageError naming the case at fault."""
    try:
        doc = CasesDoc.model_validate_json(document)
    except ValidationError as exc:
        raise PackageError([_problem(f"cases() returned malformed data: {e['msg']} at "
                                     f"{'.'.join(map(str, e['loc']))}",
                                     f"cases()가 잘못된 데이터를 돌려주었습니다: {e['msg']}")
                            for e in exc.errors()[:10]]) from None
    expected_arrays = sum(len(c.order) for c in doc.cases)
    if expected_arrays != len(arrays):
        raise PackageError([_problem("cases() sent arrays that do not match its cases",
                                     "cases()가 보낸 배열이 케이스와 맞지 않습니다")])
    problems: list[Problem] = []
    names = [c.name for c in doc.cases]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(_problem("two cases have this name", "같은 이름의 케이스가 둘 있습니다", name))
    unknown = set(manifest.cases) - set(names)
    for name in sorted(unknown):
        problems.append(Problem(Text(en="assignment.toml overrides a case that cases() does not make",
                                     ko="assignment.toml이 cases()에 없는 케이스를 설정합니다"),
                                "assignment.toml", f"cases.{name}"))
    functions = {f.name for f in manifest.functions}
    cases, position = [], 0
    for case_doc in doc.cases:
        named = dict(zip(case_doc.order, arrays[position:position + len(case_doc.order)],
                         strict=True))
        position += len(case_doc.order)
        try:
            cases.append(_case(case_doc, named, manifest, functions))
        except ValueError as exc:
            problems.append(_problem(str(exc), f"케이스 정의가 잘못되었습니다: {exc}", case_doc.name))
    if problems:
        raise PackageError(problems)
    return cases


def _case(doc: CaseDoc, arrays: dict[str, np.ndarray], manifest: Manifest,
          functions: set[str]) -> Case:
    if set(doc.order) != set(doc.arrays) | set(doc.kept):
        raise ValueError("array names do not match")
    ids = set()
    for call in doc.calls:
        if not isinstance(call.get("id"), str) or not isinstance(call.get("fn"), str):
            raise ValueError("a call without id or fn")
        if call["fn"] not in functions:
            raise ValueError(f"a call of {call['fn']!r}, which assignment.toml does not list")
        if call["id"] in ids:
            raise ValueError(f"two calls have the id {call['id']!r}")
        ids.add(call["id"])
    for check in doc.checks:
        if check.call not in ids:
            raise ValueError(f"a check reads call {check.call!r}, which the case does not make")
    program = Program([dict(c) for c in doc.calls], {k: arrays[k] for k in doc.arrays})
    override = manifest.cases.get(doc.name)
    tolerance = _tol(doc.tolerance)
    points, visible = doc.points, doc.visible
    if override is not None:
        points = override.points if override.points is not None else points
        visible = not override.hidden if override.hidden is not None else visible
        tolerance = _tol(TolDoc(**override.tolerance.model_dump())) if override.tolerance else tolerance
    checks = [OutputCheck(_text(c.label) if isinstance(c.label, TextDoc) else c.label, c.call,
                          tuple(c.path), c.kind, _tol(c.tol) if c.tol else None)
              for c in doc.checks]
    gradcheck = _gradcheck(doc.gradcheck, arrays, ids) if doc.gradcheck else None
    judge = None
    if doc.judge is not None:
        if doc.judge not in JUDGES:
            raise ValueError(f"unknown judge {doc.judge!r} (known: {', '.join(sorted(JUDGES))})")
        judge = judge_for(doc.judge, doc.params, arrays)
    elif not checks:
        raise ValueError("a case with neither outputs to compare nor a judge")
    return Case(doc.name, points, visible, _text(doc.summary), program, checks=checks,
                judge=judge, feature_tol=dict(doc.feature_tol), gradcheck=gradcheck,
                tolerance=tolerance)


def _gradcheck(doc: GradCheckDoc, arrays: dict[str, np.ndarray], ids: set[str]) -> GradCheck:
    probes: dict[str, list[tuple[np.ndarray, str, str]]] = {}
    for param, items in doc.probes.items():
        probes[param] = []
        for direction, plus, minus in items:
            if direction not in arrays or plus not in ids or minus not in ids:
                raise ValueError("a gradient check names an array or call that does not exist")
            probes[param].append((arrays[direction], plus, minus))
    if doc.dout is not None and doc.dout not in arrays:
        raise ValueError("a gradient check's dout is not one of the case's arrays")
    if set(doc.analytic) != set(probes) or set(doc.shapes) != set(probes):
        raise ValueError("a gradient check's parameters do not match")
    return GradCheck(probes, {k: tuple(v) for k, v in doc.shapes.items()},
                     {k: (c, tuple(p)) for k, (c, p) in doc.analytic.items()},
                     tuple(doc.out_path), None if doc.dout is None else arrays[doc.dout],
                     doc.h, doc.threshold)
