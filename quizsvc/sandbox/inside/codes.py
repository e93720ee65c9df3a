"""What the sandbox reports instead of words: a reason is ``{"code": CODE, **params}``.

The sandbox knows no language; the trusted side renders each code, with its parameters, in
the student's language from one catalog (``quizsvc.grading.catalog``). Only ``exception``
carries text: the Python exception's own, from the submission, shown as it is.
"""

from __future__ import annotations

# From the child, for a call or for loading the submission.
EXCEPTION = "exception"  # text
CALL_TIMEOUT = "call_timeout"  # seconds: the per-call limit
LOAD_TIMEOUT = "load_timeout"  # seconds: the limit on running the submission's top level
MEMORY_LIMIT = "memory_limit"  # mib
IMPORT_BLOCKED = "import_blocked"  # module: a package submissions may not import
MISSING_FUNCTION = "missing_function"  # name
NEEDS_FAILED_RESULT = "needs_failed_result"  # call: the earlier call whose result is missing
NOT_RUN_STOPPED = "not_run_stopped"  # the process had stopped before this call
# From the fork server, for the whole run (the header's ``aborted``).
WALL_TIMEOUT = "wall_timeout"  # seconds
CPU_TIMEOUT = "cpu_timeout"  # seconds
KILLED = "killed"  # signal: its name (SIGSEGV), or its number
EXITED = "exited"  # exit_code
NOT_CONFINED = "not_confined"  # the child could not be confined: nothing ran
# From the grader's side of the sandbox.
ENDED_EARLY = "ended_early"  # the process ended before it had reported every call
SANDBOX_STOPPED = "sandbox_stopped"  # detail: why (operator's words, English)
NOT_RUN = "not_run"  # no record of the call at all
NOT_RUN_UNLOADED = "not_run_unloaded"  # reason: why the submission could not be loaded
DURING_CALL = "during_call"  # reason: what ended the run while this call ran
# What a returned value is when it cannot cross the boundary (``{"unsupported": REASON}``).
ARRAY_SUBCLASS = "array_subclass"  # type (its name)
ARRAY_DTYPE = "array_dtype"  # dtype: not numeric
ARRAY_TOO_LARGE = "array_too_large"  # bytes
UNSUPPORTED_TYPE = "unsupported_type"  # type (its name): no array, number, None or container
MALFORMED_VALUE = "malformed_value"  # the record does not follow the format (a forged one)

ALL = (EXCEPTION, CALL_TIMEOUT, LOAD_TIMEOUT, MEMORY_LIMIT, IMPORT_BLOCKED, MISSING_FUNCTION,
       NEEDS_FAILED_RESULT, NOT_RUN_STOPPED, WALL_TIMEOUT, CPU_TIMEOUT, KILLED, EXITED,
       NOT_CONFINED, ENDED_EARLY, SANDBOX_STOPPED, NOT_RUN, NOT_RUN_UNLOADED, DURING_CALL,
       ARRAY_SUBCLASS, ARRAY_DTYPE, ARRAY_TOO_LARGE, UNSUPPORTED_TYPE, MALFORMED_VALUE)
TIME_LIMITS = (CALL_TIMEOUT, LOAD_TIMEOUT, WALL_TIMEOUT, CPU_TIMEOUT)
