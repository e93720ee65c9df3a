"""Running untrusted code: isolation layers, limits, the warm fork-server pool, wire format.

Grader side (this package): ``capabilities`` (what the machine offers), ``status`` (levels,
QUIZSVC_SANDBOX_MIN_LEVEL), ``bwrap`` (what the sandbox sees), ``forkserver`` (one sandboxed
server), ``pool`` (the warm pool), ``outcome`` (untrusted response -> RunOutcome), ``limits``.
Sandbox side: ``inside/`` (the fork server and the per-child layers: seccomp, Landlock).
"""
