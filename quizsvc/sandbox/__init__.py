"""Running untrusted code: a leaf package (it imports nothing else of quizsvc).

Source bytes, a call :class:`~quizsvc.sandbox.program.Program` and :class:`~quizsvc.sandbox.limits.Limits`
in; records, arrays and reasons (codes, not words: ``inside/codes.py``) out, as a
:class:`~quizsvc.sandbox.records.RunOutcome`.

Grader side: ``capabilities`` (what the machine offers), ``status`` (levels,
QUIZSVC_SANDBOX_MIN_LEVEL), ``bwrap`` (what the sandbox sees), ``forkserver`` (one sandboxed
server), ``pool`` (the warm pool), ``outcome`` (untrusted response -> RunOutcome), ``limits``,
``program`` and ``records`` (the data going in and coming out).
Sandbox side: ``inside/`` (the fork server, the per-child layers, the child and its wire format).
"""
