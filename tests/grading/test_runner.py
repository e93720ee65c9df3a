"""Untrusted code runs in a child process; whatever it does, the grader reports per case."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quizsvc.grading import grade_source
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.subprocess_runner import Limits, SubprocessRunner
from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.records import Reason

FAST = SubprocessRunner(Limits(call_seconds=0.5, wall_seconds=8.0, load_seconds=1.0))
GOOD_WD = "def weight_decay_update(W, dW, lr, lambd, m):\n    return (1 - lr * lambd / m) * W - lr * dW\n"


def grade(source: str, slug: str = "weight_decay", **kwargs):  # type: ignore[no-untyped-def]
    return grade_source(slug, source, runner=FAST, **kwargs)


def messages(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(c.message for c in result.cases if c.visible)


def test_syntax_error_fails_every_case_with_a_clear_message() -> None:
    result = grade("def weight_decay_update(W:\n")
    assert result.score == 0 and not any(c.passed for c in result.cases)
    assert "SyntaxError" in messages(result)
    assert any("could not be loaded" in n for n in result.notes)


def test_missing_function_and_exceptions() -> None:
    assert "is not defined in the submission" in messages(grade("x = 1\n"))
    raising = grade("def weight_decay_update(W, dW, lr, lambd, m):\n    raise ValueError('boom')\n")
    assert "ValueError: boom" in messages(raising)
    assert 'File "solution.py", line 2' in messages(raising)
    exiting = grade("import sys\ndef weight_decay_update(*a):\n    sys.exit(0)\n")
    assert exiting.score == 0 and "SystemExit" in messages(exiting)


@pytest.mark.parametrize(("body", "expected"), [
    ("return 'W'", "expected an ndarray"),
    ("return W.tolist()", "expected an ndarray"),
    ("return object()", "expected an ndarray"),
    ("return np.ma.masked_array(W)", "ndarray subclass"),
    ("return W[0]", "expected shape"),
    ("return (W > 0)", "real numeric dtype"),
])
def test_wrong_return_types(body: str, expected: str) -> None:
    source = f"import numpy as np\ndef weight_decay_update(W, dW, lr, lambd, m):\n    {body}\n"
    result = grade(source)
    assert result.score == 0 and expected in messages(result)


def test_infinite_loop_hits_the_per_call_time_limit_which_ends_the_run() -> None:
    """The limit ends the submission's process (an exception could be caught and the call go
    on), so the calls after it fail too: the grade says which call ran out."""
    source = ("def weight_decay_update(W, dW, lr, lambd, m):\n"
              "    if W.shape == (3, 3):\n        while True:\n            pass\n"
              "    return (1 - lr * lambd / m) * W - lr * dW\n")
    started = time.perf_counter()
    result = grade(source)
    assert time.perf_counter() - started < 6
    small = next(c for c in result.cases if c.name == "small")
    assert not small.passed and "time limit: the call ran longer than" in small.message
    later = next(c for c in result.cases if c.name == "non_square")
    assert not later.passed and "not run" in later.message


def test_the_sandbox_reports_codes_that_the_grader_renders_in_both_languages() -> None:
    b = ProgramBuilder("c")
    w = b.array(np.ones((2, 2)))
    b.call("weight_decay_update", w, w, b.value(0.1), b.value(1.0), b.value(4))
    b.call("weight_decay_step", w)
    blocked = "def weight_decay_update(*a):\n    import quizsvc.grading\n"
    outcome = FAST.run(blocked, b.program)
    assert outcome.outcomes["c/call0"].error == Reason.of(codes.IMPORT_BLOCKED, module="quizsvc")
    assert outcome.outcomes["c/call1"].error == Reason.of(codes.MISSING_FUNCTION,
                                                          name="weight_decay_step")
    looping = "def weight_decay_update(*a):\n    while True:\n        pass\n"
    outcome = FAST.run(looping, b.program)
    assert outcome.outcomes["c/call0"].error == Reason.of(codes.CALL_TIMEOUT, seconds=0.5)
    assert outcome.outcomes["c/call1"].error == Reason.of(codes.NOT_RUN_STOPPED)
    assert "ImportError: 제출물에서는 'quizsvc' 모듈을 import할 수 없습니다" in messages(
        grade(blocked, language="ko"))
    korean = messages(grade(looping, language="ko"))
    assert "시간 제한: 호출이 0.5초 넘게 실행되었습니다" in korean
    assert "실행되지 않음: 제출물의 프로세스가 이미 멈췄습니다" in korean


def test_wall_clock_kill_when_the_loop_swallows_the_alarm() -> None:
    # Inside the function: top-level statements the graded function does not use are skipped.
    source = ("import signal\n"
              "def weight_decay_update(*a):\n"
              "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
              "    while True:\n        pass\n")
    runner = SubprocessRunner(Limits(call_seconds=0.5, wall_seconds=2.0))
    started = time.perf_counter()
    result = grade_source("weight_decay", source, runner=runner)
    assert time.perf_counter() - started < 5
    assert result.score == 0
    assert "time limit" in result.cases[0].message
    assert any("stopped after 2 s" in n for n in result.notes)


def test_printing_megabytes_is_capped() -> None:
    source = ("import os\ndef weight_decay_update(W, dW, lr, lambd, m):\n"
              "    print('x' * 3_000_000)\n    os.write(1, b'y' * 2_000_000)\n"
              "    return (1 - lr * lambd / m) * W - lr * dW\n")
    result = grade(source)
    assert result.all_passed
    assert len(result.to_json()) < 200_000
    assert "showing 500 of 3000001 characters" in messages(result)
    assert any("output is capped" in n for n in result.notes)


def test_child_cannot_import_the_grader_or_reference_and_sees_only_inputs() -> None:
    for module in ("reference.formulas", "quizsvc.grading"):
        result = grade(f"def weight_decay_update(*args):\n    import {module}\n")
        assert "not allowed" in messages(result)
        # At top level, where no graded function uses it, the import does not even reach the
        # sandbox: it is not available for grading.
        skipped = grade(f"import {module}\n{GOOD_WD}")
        assert skipped.all_passed and f"import {module} (line 1)" in skipped.notes[0]
    spy = ("import os\nprint(sorted(os.listdir('.')))\n"
           "def weight_decay_update(W, dW, lr, lambd, m):\n"
           "    return (1 - lr * lambd / m) * W - lr * dW\n")
    b = ProgramBuilder("c")
    b.call("weight_decay_update", *(b.array(np.ones((2, 2))) for _ in range(2)),
           b.value(0.1), b.value(1.0), b.value(4))
    outcome = FAST.run(spy, b.program)
    assert "[]" in outcome.stdout  # the job came through a pipe: no file of ours to read
    assert outcome.outcomes["c/call0"].ok


def test_one_process_per_submission_and_only_inputs_on_the_wire(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    spawned = []
    real_popen = subprocess.Popen

    def counting_popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        spawned.append(args[0])
        return real_popen(*args, **kwargs)

    from quizsvc.grading.runner.subprocess_runner import SubprocessRunner

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    # The cold runner spawns one process per submission (the warm pool forks inside its sandbox).
    result = grade_source("batchnorm", GOOD_WD, runner=SubprocessRunner())  # wrong functions: all fail
    assert len(spawned) == 1 and result.score == 0
    b = ProgramBuilder("c")
    b.call("f", b.array(np.ones(2)))
    assert set(b.program.arrays) == {"c/a0"} and "expected" not in str(b.program.calls)
