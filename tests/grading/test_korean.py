"""Every student-facing message in Korean as well as English: the same grade, the same numbers;
English unchanged."""

from __future__ import annotations

import re

import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.catalog import CATALOG, render
from quizsvc.grading.result import HIDDEN_MESSAGES, CaseResult, GradeResult
from quizsvc.grading.selfcheck import SelfcheckRow, submissions
from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import CallOutcome, Reason, RunOutcome, decode_reason

ASSIGNMENTS = registry.all_assignments()
REFERENCES = [f"{slug}/reference" for slug in ASSIGNMENTS]
MISTAKES = [label for a in ASSIGNMENTS.values() for label, kind, _, _ in submissions(a)
            if kind == "mistake"]

HANGUL = re.compile("[가-힣]")
# Words of the English sentences; identifiers (x, dgamma, keep_prob, KeyError...) may stay.
ENGLISH = re.compile(r"\b(passed|failed|expected|differs?|entries|Gradient check|got|worst|"
                     r"error|index|your|must|not run|time limit|contains|between|kept|"
                     r"printed|should|agree|disagrees|the|of|with)\b")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _ours(message: str) -> str:
    """The message without the lines of a Python traceback (the student's code, as is)."""
    return "\n".join(line for line in message.splitlines() if not line.startswith(" "))


def _assert_korean(case: CaseResult) -> None:
    text = _ours(case.message)
    assert HANGUL.search(text), case.message
    assert not ENGLISH.search(text), (ENGLISH.search(text), case.message)


def _numbers(slug: str, case: CaseResult, language: str) -> list[str]:
    """The numbers of a visible case's message after its summary, in any order (Korean puts
    "3개 중 2개" where English says "2 of 3")."""
    summary = next(c.summary for c in ASSIGNMENTS[slug].cases if c.name == case.name)
    prefix = f"{summary.get(language)}: "
    assert case.message.startswith(prefix)
    return sorted(NUMBER.findall(case.message[len(prefix):]))


def _hidden_in_korean(english: CaseResult, korean: CaseResult) -> None:
    problem = next(p for p, m in HIDDEN_MESSAGES["en"].items() if m == english.message)
    assert korean.message == HIDDEN_MESSAGES["ko"][problem] and korean.metrics == {}


def _pair(label: str, graded: dict[str, SelfcheckRow], graded_ko: dict[str, GradeResult]
          ) -> tuple[GradeResult, GradeResult]:
    en, ko = graded[label].result, graded_ko[label]
    assert (en.language, ko.language) == ("en", "ko")
    return en, ko


@pytest.mark.parametrize("label", REFERENCES)
def test_reference_in_korean(graded: dict[str, SelfcheckRow], graded_ko: dict[str, GradeResult],
                             label: str) -> None:
    en, ko = _pair(label, graded, graded_ko)
    assert ko.all_passed and not ko.notes
    for case in ko.cases:
        if case.visible:
            assert case.message.endswith(": 통과")
            _assert_korean(case)
        else:
            assert case.message == HIDDEN_MESSAGES["ko"][None]
    # every case of the assignment has a Korean summary of its own
    for case in ASSIGNMENTS[en.assignment].cases:
        assert HANGUL.search(case.summary.ko) and case.summary.ko != case.summary.en, case.name


@pytest.mark.parametrize("label", MISTAKES)
def test_known_mistakes_in_korean(graded: dict[str, SelfcheckRow],
                                  graded_ko: dict[str, GradeResult], label: str) -> None:
    en, ko = _pair(label, graded, graded_ko)
    slug = en.assignment
    # the same grade, case by case
    assert [(c.name, c.passed, c.points, c.mistake) for c in ko.cases] == \
           [(c.name, c.passed, c.points, c.mistake) for c in en.cases]
    assert ko.mistake_keys == en.mistake_keys and ko.score == en.score
    failing = [(e, k) for e, k in zip(en.cases, ko.cases, strict=True) if not k.passed]
    assert failing
    for e, k in failing:
        assert k.private == e.private  # instructors read English
        if not k.visible:
            _hidden_in_korean(e, k)
            continue
        _assert_korean(k)
        assert _numbers(slug, k, "ko") == _numbers(slug, e, "en"), (e.message, k.message)
    for note in ko.notes:
        assert HANGUL.search(note) and not ENGLISH.search(_ours(note)), note


def _message(result: GradeResult, case: str) -> str:
    return next(c.message for c in result.cases if c.name == case)


def test_english_pinned_and_korean_alongside(graded: dict[str, SelfcheckRow],
                                             graded_ko: dict[str, GradeResult]) -> None:
    """One comparison, one gradient check and one exception, in both languages."""
    en, ko = _pair("layernorm/mistake:sample_variance", graded, graded_ko)
    assert _message(en, "worked_example") == (
        "x = [5, 7, 9], gamma = 1, beta = 0, default eps: out: 2 of 3 entries differ (max abs "
        "error 0.225, max rel error 0.101); worst at index [0, 0]: expected -1.2247426, got "
        "-0.99999875")
    assert _message(ko, "worked_example") == (
        "x = [5, 7, 9], gamma = 1, beta = 0, 기본 eps: 출력 out: 3개 중 2개 값이 다릅니다 "
        "(최대 절대 오차 0.225, 최대 상대 오차 0.101). 가장 큰 차이는 인덱스 [0, 0]: "
        "기대값 -1.2247426, 제출값 -0.99999875")

    en, ko = _pair("layernorm/mistake:dx_ignores_stats", graded, graded_ko)
    assert _message(en, "forward_backward").splitlines()[1] == (
        "Gradient check: your x disagrees with a finite-difference gradient of your own "
        "forward pass (relative error 4.3e-01): the backward pass does not differentiate the "
        "forward pass.")
    assert _message(ko, "forward_backward").splitlines()[1] == (
        "기울기 검사: x에 대한 기울기가 자신의 순전파로 구한 수치 미분(유한 차분) 기울기와 "
        "다릅니다 (상대 오차 4.3e-01). 역전파가 순전파를 제대로 미분하지 않습니다.")

    en, ko = _pair("layernorm/mistake:requires_mode", graded, graded_ko)
    english, korean = _message(en, "worked_example"), _message(ko, "worked_example")
    assert english.splitlines()[0] == \
        "x = [5, 7, 9], gamma = 1, beta = 0, default eps: out: KeyError: 'mode'"
    assert korean.splitlines()[0] == \
        "x = [5, 7, 9], gamma = 1, beta = 0, 기본 eps: 출력 out: 예외가 발생했습니다. KeyError: 'mode'"
    assert english.splitlines()[1:] == korean.splitlines()[1:]  # the traceback, as it is
    assert english.splitlines()[1].startswith('  File "solution.py", line ')


class _Fabricated:
    """The reference's outcome with one call timed out, the next killed mid-call, the rest not
    run, and too much printed: what only a sandbox produces, without one."""

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        from quizsvc.grading.runner.inprocess import namespace_from_source, run_trusted

        outcome = run_trusted(namespace_from_source(registry.get("layernorm").reference_source, "reference.py"), program)
        ids = [c["id"] for c in program.calls]
        outcome.outcomes[ids[0]] = CallOutcome(
            ids[0], False, error=Reason.of(codes.CALL_TIMEOUT, seconds=2.0), kind="timeout")
        outcome.aborted = Reason.of(codes.KILLED, signal="SIGSEGV")
        outcome.outcomes[ids[1]] = CallOutcome(
            ids[1], False, error=Reason.of(codes.DURING_CALL, reason=outcome.aborted),
            kind="not_run")
        for call in ids[2:]:
            outcome.outcomes[call] = CallOutcome(
                call, False, error=Reason.of(codes.NOT_RUN_STOPPED), kind="not_run")
        outcome.stdout, outcome.stdout_chars = "x" * 10, 9000
        return outcome


def test_runner_and_sandbox_texts_in_korean() -> None:
    en, ko = (grade_source("layernorm", "", runner=_Fabricated(), language=language)
              for language in ("en", "ko"))
    assert _message(en, "worked_example") == \
        "x = [5, 7, 9], gamma = 1, beta = 0, default eps: out: time limit: the call ran longer " \
        "than 2 s"
    assert _message(ko, "worked_example") == \
        "x = [5, 7, 9], gamma = 1, beta = 0, 기본 eps: 출력 out: 시간 제한: 호출이 2초 넘게 " \
        "실행되었습니다"
    assert en.notes == ["the submission's process was killed by SIGSEGV",
                        "your code printed 9000 characters outside the test calls; output is "
                        "capped"]
    assert ko.notes == ["제출물의 프로세스가 SIGSEGV 신호로 종료되었습니다",
                        "테스트 호출 밖에서 코드가 9000자를 출력했습니다. 출력은 앞부분만 "
                        "보관합니다"]
    for e, k in zip(en.cases, ko.cases, strict=True):
        assert not k.passed and k.private == e.private
        if k.visible:
            _assert_korean(k)
            assert _numbers("layernorm", k, "ko") == _numbers("layernorm", e, "en")
        else:
            _hidden_in_korean(e, k)


# One of each reason the sandbox reports, as the sandbox sends it: rendered in both languages.
REASONS = [
    ({"code": "exception", "text": "ZeroDivisionError: division by zero"},
     "ZeroDivisionError: division by zero", "ZeroDivisionError: division by zero"),  # as it is
    ({"code": "call_timeout", "seconds": 2.0}, "time limit: the call ran longer than 2 s",
     "시간 제한: 호출이 2초 넘게 실행되었습니다"),
    ({"code": "load_timeout", "seconds": 5.0}, "time limit while loading the submission",
     "제출물을 불러오는 중에 시간 제한을 넘었습니다"),
    ({"code": "memory_limit", "mib": 512}, "memory limit exceeded (512 MiB)",
     "메모리 제한(512 MiB)을 넘었습니다"),
    ({"code": "import_blocked", "module": "quizsvc.grading"},
     "ImportError: importing 'quizsvc.grading' is not allowed in a submission",
     "ImportError: 제출물에서는 'quizsvc.grading' 모듈을 import할 수 없습니다"),
    ({"code": "missing_function", "name": "dropout_forward"},
     "LookupError: function 'dropout_forward' is not defined in the submission",
     "LookupError: 제출물에 'dropout_forward' 함수가 정의되어 있지 않습니다"),
    ({"code": "needs_failed_result", "call": "case/forward"},
     "LookupError: this call needs the result of 'case/forward', which failed",
     "LookupError: 이 호출에 필요한 'case/forward'의 결과가 없습니다 (그 호출이 실패했습니다)"),
    ({"code": "not_run_stopped"}, "not run: the submission's process had already stopped",
     "실행되지 않음: 제출물의 프로세스가 이미 멈췄습니다"),
    ({"code": "wall_timeout", "seconds": 10.0},
     "time limit exceeded (10 s wall clock): the submission was stopped after 10 s",
     "시간 제한 초과(실제 시간 10초): 제출물을 10초 후에 중단했습니다"),
    ({"code": "cpu_timeout", "seconds": 10.0}, "time limit exceeded (10.0 s CPU)",
     "시간 제한 초과(CPU 시간 10.0초)"),
    ({"code": "killed", "signal": "SIGSEGV"}, "the submission's process was killed by SIGSEGV",
     "제출물의 프로세스가 SIGSEGV 신호로 종료되었습니다"),
    ({"code": "exited", "exit_code": 3}, "the submission's process exited with code 3",
     "제출물의 프로세스가 종료되었습니다 (종료 코드 3)"),
    ({"code": "not_confined"}, "the sandbox could not confine the submission; it was not run",
     "샌드박스가 제출물을 격리하지 못해 실행하지 않았습니다"),
    ({"code": "ended_early"}, "the submission's process ended before all calls had run",
     "모든 호출이 실행되기 전에 제출물의 프로세스가 끝났습니다"),
    ({"code": "sandbox_stopped", "detail": "no answer in time"},
     "the submission's sandbox was stopped (no answer in time)",
     "제출물의 샌드박스가 중단되었습니다 (no answer in time)"),
    ({"code": "not_run"}, "not run", "실행되지 않았습니다"),
    ({"code": "not_run_unloaded", "reason": {"code": "load_timeout", "seconds": 5.0}},
     "not run: the submission could not be loaded (time limit while loading the submission)",
     "실행되지 않음: 제출물을 불러오지 못했습니다 (제출물을 불러오는 중에 시간 제한을 넘었습니다)"),
    ({"code": "during_call", "reason": {"code": "wall_timeout", "seconds": 10}},
     "time limit exceeded (10 s wall clock): the submission was stopped after 10 s during this "
     "call", "시간 제한 초과(실제 시간 10초): 제출물을 10초 후에 중단했습니다 (이 호출 중)"),
    ({"code": "array_subclass", "type": "MaskedArray"}, "MaskedArray (an ndarray subclass)",
     "MaskedArray (ndarray의 하위 클래스)"),
    ({"code": "array_dtype", "dtype": "<U1"}, "ndarray of dtype <U1", "dtype이 <U1인 ndarray"),
    ({"code": "array_too_large", "bytes": 24000000}, "ndarray of 24000000 bytes (too large)",
     "너무 큰 24000000바이트 ndarray"),
    ({"code": "unsupported_type", "type": "dict"}, "dict", "dict"),  # a type name, as it is
    ({"code": "malformed_value"}, "a malformed value", "형식이 잘못된 값"),
]


@pytest.mark.parametrize(("wire", "english", "korean"), REASONS, ids=[r[0]["code"] for r in REASONS])
def test_each_sandbox_reason_in_both_languages(wire: dict, english: str, korean: str) -> None:
    text = render(decode_reason(wire))
    assert (text.en, text.ko) == (english, korean)
    if wire["code"] not in (codes.EXCEPTION, codes.UNSUPPORTED_TYPE):
        assert HANGUL.search(text.ko) and not ENGLISH.search(text.ko.replace("SIGSEGV", ""))


def test_every_code_has_words() -> None:
    assert set(CATALOG) == set(codes.ALL) == {wire["code"] for wire, _, _ in REASONS}


@pytest.mark.parametrize(("body", "korean"), [
    ("return np.ma.masked_array(W)", "MaskedArray (ndarray의 하위 클래스)입니다"),
    ("return np.array(['a'])", "dtype이 <U1인 ndarray입니다"),
    ("return np.zeros(3_000_000)", "너무 큰 24000000바이트 ndarray입니다"),
])
def test_returned_values_that_cannot_cross_are_described_in_korean(body: str,
                                                                   korean: str) -> None:
    source = f"import numpy as np\ndef weight_decay_update(W, dW, lr, lambd, m):\n    {body}\n"
    result = grade_source("weight_decay", source, language="ko")
    assert result.cases[0].message.endswith(f"ndarray여야 하는데 {korean}"), result.cases[0].message


def test_malformed_reasons_are_shown_as_text() -> None:
    """The sandbox's reasons are untrusted: anything else is shown as an exception's text."""
    for wire in ({"code": "format_disk"}, "a string", {"no": "code"}, ["call_timeout"]):
        reason = decode_reason(wire)
        assert reason.code == codes.EXCEPTION and render(reason).en == str(wire)
    deep = {"code": "during_call", "reason": {"code": "during_call", "reason": {
        "code": "during_call", "reason": {"code": "ended_early"}}}}
    assert render(decode_reason(deep)).en.count("during this call") == 3
