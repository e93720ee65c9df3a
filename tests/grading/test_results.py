"""Result model and serialisers; hidden cases never leak inputs, expected values or output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np

from quizsvc.grading import grade_source, registry
from quizsvc.grading.result import HIDDEN_MESSAGES, CaseResult, GradeResult

MARKER = "LEAK-MARKER"
LEAKY = f"""
import numpy as np
def layernorm_forward(x, gamma, beta, ln_param):
    print("{MARKER}", repr(x.tolist()))
    raise ValueError("{MARKER} " + repr(x.tolist()))
def layernorm_backward(dout, cache):
    raise ValueError("{MARKER}")
"""


def test_hidden_cases_do_not_leak_inputs_errors_or_output() -> None:
    result = grade_source("layernorm", LEAKY)
    hidden = [c for c in result.cases if not c.visible]
    visible = [c for c in result.cases if c.visible]
    assert hidden and visible
    assert all(MARKER in c.message for c in visible)  # visible cases show the error
    hidden_inputs = []
    assignment = registry.get("layernorm")
    for case in assignment.cases:
        if not case.visible:
            hidden_inputs += [f"{v:.6g}"[:6] for a in case.program.arrays.values()
                              for v in a.ravel()[:3]]
    student_outputs = [result.to_json(), result.to_junit(),
                       json.dumps(result.to_gradescope(), ensure_ascii=False), result.to_table()]
    for case in hidden:
        assert case.metrics == {}
        assert case.message in HIDDEN_MESSAGES["en"].values()
        assert MARKER in case.private["message"]  # kept for instructors only
    for text in student_outputs:
        hidden_part = "".join(
            json.dumps(c.public_dict(), ensure_ascii=False) for c in hidden)
        assert MARKER not in hidden_part
        assert text.count(MARKER) <= sum(c.message.count(MARKER) + c.hint.count(MARKER)
                                         for c in visible) * 2 + 2
    hidden_json = json.dumps([c.public_dict() for c in hidden])
    assert not any(token in hidden_json for token in hidden_inputs if len(token) >= 5)


def test_wrong_values_in_hidden_cases_show_no_numbers() -> None:
    mistake = next(m for m in registry.get("batchnorm").mistakes if m.key == "one_pass_variance")
    result = grade_source("batchnorm", mistake.source)
    failing_hidden = [c for c in result.cases if not c.visible and not c.passed]
    assert failing_hidden
    for case in failing_hidden:
        assert case.message == HIDDEN_MESSAGES["en"]["values"] and case.metrics == {}
        assert "expected" in case.private["message"]
        assert not any(ch.isdigit() for ch in case.message)
    # In the student's language: Korean students read why a hidden case failed in Korean.
    korean = grade_source("batchnorm", mistake.source, language="ko")
    messages = {c.name: c.message for c in korean.cases if not c.visible}
    assert {messages[c.name] for c in failing_hidden} == {"실패: 출력값이 기대값과 다릅니다"}
    assert set(messages.values()) <= set(HIDDEN_MESSAGES["ko"].values())
    assert HIDDEN_MESSAGES["ko"].keys() == HIDDEN_MESSAGES["en"].keys()


def _result(points: list[tuple[float, float, bool]]) -> GradeResult:
    cases = [CaseResult(f"c{i}", ok, got if ok else 0.0, mx, i % 2 == 0, "m & <x>")
             for i, (got, mx, ok) in enumerate(points)]
    return GradeResult("demo", "en", cases)


def test_score_snaps_to_the_exact_maximum() -> None:
    full = _result([(0.1, 0.1, True)] * 3)
    assert full.max_score == 0.30000000000000004 and full.score == full.max_score
    partial = _result([(0.1, 0.1, True), (0.2, 0.2, False)])
    assert partial.score == 0.1 and not partial.all_passed


def test_serialisers() -> None:
    result = _result([(1, 1, True), (2, 2, False)])
    data = json.loads(result.to_json())
    assert data["score"] == 1 and data["max_score"] == 3
    assert set(data["cases"][0]) >= {"name", "passed", "points", "max_points", "visible",
                                     "message", "hint", "metrics"}
    assert "private" not in data["cases"][0]
    suite = ET.fromstring(result.to_junit())
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.findall("testcase")[1].find("failure").get("message") == "m & <x>"
    gs = result.to_gradescope()
    assert gs["score"] == 1 and gs["max_score"] == 3
    assert [t["visibility"] for t in gs["tests"]] == ["visible", "after_published"]
    assert {"score", "max_score", "status", "name", "output", "visibility"} <= set(gs["tests"][0])
    assert gs["tests"][1]["status"] == "failed"


def test_metrics_for_visible_cases() -> None:
    staged = next(s for s in registry.get("layernorm").solutions if s.name == "staged")
    source = staged.source.replace(
        "out = gamma * x_hat + beta", "out = gamma * x_hat + beta + 1e-3")
    result = grade_source("layernorm", source)
    case = next(c for c in result.cases if c.name == "forward_backward")
    assert not case.passed
    out = case.metrics["out"]
    assert out["mismatches"] == out["size"] == 20
    assert np.isclose(out["max_abs_error"], 1e-3, rtol=1e-6)
    assert len(out["worst_index"]) == 2 and out["max_rel_error"] > 0
    assert "Gradient check: your gradients agree" in case.message


def test_a_shared_dict_holds_the_same_data_and_a_copy_is_independent() -> None:
    bad = registry.get("layernorm").mistakes[0].source
    result = grade_source("layernorm", bad)
    copied, shared = result.to_dict(include_private=True), result.to_dict(include_private=True, copy=False)
    assert json.dumps(copied, sort_keys=True) == json.dumps(shared, sort_keys=True)
    case = next(c for c in result.cases if c.metrics)
    index = result.cases.index(case)
    copied["cases"][index]["metrics"]["added"] = 1  # the copy is the caller's own
    assert "added" not in case.metrics
    assert shared["cases"][index]["metrics"] is case.metrics  # shared: only for serialising at once
