"""Serialisers of a :class:`GradeResult`: JSON, JUnit XML, Gradescope results.json, a text table.

All of them are student-facing: they use only the public fields of each case.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from quizsvc.grading.result import CaseResult, GradeResult

# Characters XML 1.0 cannot carry (a student's printed output may contain them).
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def to_json(result: GradeResult, *, include_private: bool = False, indent: int | None = 2) -> str:
    return json.dumps(result.to_dict(include_private=include_private), indent=indent,
                      ensure_ascii=False, default=str)


def _case_text(case: CaseResult) -> str:
    parts = [case.message]
    if case.hint:
        parts.append(f"Hint: {case.hint}")
    return "\n".join(p for p in parts if p)


def to_junit(result: GradeResult) -> str:
    failures = sum(1 for c in result.cases if not c.passed)
    suite = ET.Element("testsuite", name=result.assignment, tests=str(len(result.cases)),
                       failures=str(failures), errors="0", time=f"{result.seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="score", value=f"{result.score:g}")
    ET.SubElement(props, "property", name="max_score", value=f"{result.max_score:g}")
    for case in result.cases:
        element = ET.SubElement(suite, "testcase", classname=result.assignment, name=case.name)
        if not case.passed:
            failure = ET.SubElement(element, "failure",
                                    message=_xml_text(case.message.splitlines()[0][:500]
                                                      if case.message else "failed"))
            failure.text = _xml_text(_case_text(case))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def to_gradescope(result: GradeResult, *, hidden_visibility: str = "after_published"
                  ) -> dict[str, Any]:
    tests = [
        {
            "name": case.name,
            "score": case.max_points if case.passed else case.points,
            "max_score": case.max_points,
            "status": "passed" if case.passed else "failed",
            "output": _case_text(case),
            "visibility": "visible" if case.visible else hidden_visibility,
        }
        for case in result.cases
    ]
    summary = [f"{d.title}: {d.hint}" for d in result.diagnoses] + result.notes
    return {"score": result.score, "max_score": result.max_score, "output": "\n".join(summary),
            "visibility": "visible", "tests": tests}


def to_table(result: GradeResult) -> str:
    width = max([len(c.name) for c in result.cases] + [4])
    lines = [f"{'case'.ljust(width)}  {'result':6}  {'points':>11}  message"]
    for case in result.cases:
        mark = "pass" if case.passed else "FAIL"
        points = f"{case.points:g}/{case.max_points:g}"
        first = case.message.splitlines()[0] if case.message else ""
        lines.append(f"{case.name.ljust(width)}  {mark:6}  {points:>11}  {first[:110]}")
    lines.append(f"score: {result.score:g} / {result.max_score:g}")
    for diag in result.diagnoses:
        what = "recognised mistake" if diag.kind == "mistake" else "observed"
        lines.append(f"{what} [{diag.key}] {diag.title}: {diag.hint}")
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)
