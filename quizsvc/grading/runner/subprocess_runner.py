"""Cold mode: a fresh sandboxed interpreter per submission (the fallback, and the baseline).

Each ``run`` starts a one-shot fork server in the same sandbox the warm pool uses (bubblewrap
namespaces when available; then per child: rlimits, unprivileged uid, no_new_privs,
non-dumpable, Landlock, seccomp), runs the one job and lets it exit. It pays the interpreter
start and the NumPy import every time (~100-250 ms) but shares no process with any other
submission. The child gets only the submission and the inputs, through a pipe, and streams
back ``.npy`` data and JSON records; nothing is unpickled and nothing is compared in the child.
"""

from __future__ import annotations

from quizsvc.sandbox.forkserver import ForkServer, ServerBroken, make_grader_nondumpable
from quizsvc.sandbox.inside import codes
from quizsvc.sandbox.limits import Limits, MiB
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import Reason, RunOutcome
from quizsvc.sandbox.status import SandboxStatus, choose_tier

__all__ = ["Limits", "MiB", "SubprocessRunner"]


class SubprocessRunner:
    def __init__(self, limits: Limits | None = None, *, isolation: str = "auto",
                 min_level: str | None = None, debug: bool = False) -> None:
        self.limits = limits or Limits()
        self.debug = debug
        self.tier = choose_tier(isolation)
        self.min_level = min_level
        self.last_status: SandboxStatus | None = None
        make_grader_nondumpable()

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        server = ForkServer(self.tier, self.limits, mode="once", debug=self.debug)
        try:
            server.start(self.min_level)
            self.last_status = server.status
            return server.run_job(source, program, filename)
        except ServerBroken as exc:
            return RunOutcome(aborted=Reason.of(codes.SANDBOX_STOPPED, detail=str(exc)))
        finally:
            server.close()
