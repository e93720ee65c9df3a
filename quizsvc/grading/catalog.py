"""The words for what the sandbox reports: one catalog of its codes, in English and Korean.

The sandbox sends reasons, a code and its parameters (``quizsvc/sandbox/inside/codes.py``),
never sentences: why a call, the loading or the whole run failed, and what a returned value
that cannot cross the boundary is (an ndarray subclass, a string dtype). Each is rendered here
in both languages. Only an exception's own text (the submission's, Python's words) and a type
name are shown as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.records import Reason
from quizsvc.text import Text


def _seconds(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _quoted(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _exception(r: Reason) -> Text:
    text = str(r.get("text", ""))
    return Text(en=text, ko=text)


def _call_timeout(r: Reason) -> Text:
    s = _seconds(r.get("seconds"))
    return Text(en=f"time limit: the call ran longer than {s} s",
                ko=f"시간 제한: 호출이 {s}초 넘게 실행되었습니다")


def _load_timeout(r: Reason) -> Text:
    return Text(en="time limit while loading the submission",
                ko="제출물을 불러오는 중에 시간 제한을 넘었습니다")


def _memory_limit(r: Reason) -> Text:
    mib = r.get("mib")
    return Text(en=f"memory limit exceeded ({mib} MiB)", ko=f"메모리 제한({mib} MiB)을 넘었습니다")


def _import_blocked(r: Reason) -> Text:
    module = _quoted(r.get("module"))
    return Text(en=f"ImportError: importing {module} is not allowed in a submission",
                ko=f"ImportError: 제출물에서는 {module} 모듈을 import할 수 없습니다")


def _missing_function(r: Reason) -> Text:
    name = _quoted(r.get("name"))
    return Text(en=f"LookupError: function {name} is not defined in the submission",
                ko=f"LookupError: 제출물에 {name} 함수가 정의되어 있지 않습니다")


def _needs_failed_result(r: Reason) -> Text:
    call = _quoted(r.get("call"))
    return Text(en=f"LookupError: this call needs the result of {call}, which failed",
                ko=f"LookupError: 이 호출에 필요한 {call}의 결과가 없습니다 (그 호출이 실패했습니다)")


def _not_run_stopped(r: Reason) -> Text:
    return Text(en="not run: the submission's process had already stopped",
                ko="실행되지 않음: 제출물의 프로세스가 이미 멈췄습니다")


def _wall_timeout(r: Reason) -> Text:
    s = _seconds(r.get("seconds"))
    return Text(en=f"time limit exceeded ({s} s wall clock): the submission was stopped after {s} s",
                ko=f"시간 제한 초과(실제 시간 {s}초): 제출물을 {s}초 후에 중단했습니다")


def _cpu_timeout(r: Reason) -> Text:
    seconds = r.get("seconds")
    s = f"{seconds:.1f}" if isinstance(seconds, int | float) else str(seconds)
    return Text(en=f"time limit exceeded ({s} s CPU)", ko=f"시간 제한 초과(CPU 시간 {s}초)")


def _killed(r: Reason) -> Text:
    signal = r.get("signal")
    return Text(en=f"the submission's process was killed by {signal}",
                ko=f"제출물의 프로세스가 {signal} 신호로 종료되었습니다")


def _exited(r: Reason) -> Text:
    code = r.get("exit_code")
    return Text(en=f"the submission's process exited with code {code}",
                ko=f"제출물의 프로세스가 종료되었습니다 (종료 코드 {code})")


def _not_confined(r: Reason) -> Text:
    return Text(en="the sandbox could not confine the submission; it was not run",
                ko="샌드박스가 제출물을 격리하지 못해 실행하지 않았습니다")


def _ended_early(r: Reason) -> Text:
    return Text(en="the submission's process ended before all calls had run",
                ko="모든 호출이 실행되기 전에 제출물의 프로세스가 끝났습니다")


def _sandbox_stopped(r: Reason) -> Text:
    detail = r.get("detail")  # the operator's words: English in both
    return Text(en=f"the submission's sandbox was stopped ({detail})",
                ko=f"제출물의 샌드박스가 중단되었습니다 ({detail})")


def _not_run(r: Reason) -> Text:
    return Text(en="not run", ko="실행되지 않았습니다")


def _not_run_unloaded(r: Reason) -> Text:
    why = _nested(r)
    return Text(en=f"not run: the submission could not be loaded ({why.en})",
                ko=f"실행되지 않음: 제출물을 불러오지 못했습니다 ({why.ko})")


def _during_call(r: Reason) -> Text:
    why = _nested(r)
    return Text(en=f"{why.en} during this call", ko=f"{why.ko} (이 호출 중)")


def _array_subclass(r: Reason) -> Text:
    kind = r.get("type")
    return Text(en=f"{kind} (an ndarray subclass)", ko=f"{kind} (ndarray의 하위 클래스)")


def _array_dtype(r: Reason) -> Text:
    dtype = r.get("dtype")
    return Text(en=f"ndarray of dtype {dtype}", ko=f"dtype이 {dtype}인 ndarray")


def _array_too_large(r: Reason) -> Text:
    size = r.get("bytes")
    return Text(en=f"ndarray of {size} bytes (too large)", ko=f"너무 큰 {size}바이트 ndarray")


def _unsupported_type(r: Reason) -> Text:
    kind = str(r.get("type"))
    return Text(en=kind, ko=kind)


def _malformed_value(r: Reason) -> Text:
    return Text(en="a malformed value", ko="형식이 잘못된 값")


def _nested(r: Reason) -> Text:
    inner = r.get("reason")
    return render(inner) if isinstance(inner, Reason) else Text(en=str(inner), ko=str(inner))


CATALOG: dict[str, Callable[[Reason], Text]] = {
    codes.EXCEPTION: _exception,
    codes.CALL_TIMEOUT: _call_timeout,
    codes.LOAD_TIMEOUT: _load_timeout,
    codes.MEMORY_LIMIT: _memory_limit,
    codes.IMPORT_BLOCKED: _import_blocked,
    codes.MISSING_FUNCTION: _missing_function,
    codes.NEEDS_FAILED_RESULT: _needs_failed_result,
    codes.NOT_RUN_STOPPED: _not_run_stopped,
    codes.WALL_TIMEOUT: _wall_timeout,
    codes.CPU_TIMEOUT: _cpu_timeout,
    codes.KILLED: _killed,
    codes.EXITED: _exited,
    codes.NOT_CONFINED: _not_confined,
    codes.ENDED_EARLY: _ended_early,
    codes.SANDBOX_STOPPED: _sandbox_stopped,
    codes.NOT_RUN: _not_run,
    codes.NOT_RUN_UNLOADED: _not_run_unloaded,
    codes.DURING_CALL: _during_call,
    codes.ARRAY_SUBCLASS: _array_subclass,
    codes.ARRAY_DTYPE: _array_dtype,
    codes.ARRAY_TOO_LARGE: _array_too_large,
    codes.UNSUPPORTED_TYPE: _unsupported_type,
    codes.MALFORMED_VALUE: _malformed_value,
}


@functools.lru_cache(maxsize=256)  # a failing call is read by several checks and cases
def render(reason: Reason) -> Text:
    """The reason in both languages (records.decode_reason admits only catalogued codes)."""
    return CATALOG[reason.code](reason)
