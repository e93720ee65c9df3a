"""Resource limits for one submission, and where the defaults come from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 20.0  # the whole job (loading + every call), enforced by the parent
    call_seconds: float = 3.0  # each call (SIGALRM in the child)
    load_seconds: float = 5.0  # executing the submission's top level
    cpu_seconds: float = 10.0  # RLIMIT_CPU, soft = hard: SIGKILL at the limit
    memory_bytes: int = 512 * MiB  # RLIMIT_AS on top of what the forked process already maps
    file_size_bytes: int = 16 * MiB  # RLIMIT_FSIZE
    processes: int = 16  # RLIMIT_NPROC (for the sandbox uid; meaningless for root)
    open_files: int = 64  # RLIMIT_NOFILE
    tmp_bytes: int = 64 * MiB  # size of the private tmpfs (bubblewrap tier)
    output_bytes: int = 64 * 1024  # printed straight to stdout/stderr, kept by the grader
    results_bytes: int = 8 * MiB  # the result stream's JSON records ...
    arrays_bytes: int = 96 * MiB  # ... plus its .npy arrays: together, the stream's cap
    # Not a limit: how long a pre-forked child waits for its job before rehearsing the protocol
    # (faster answers on an idle server; wasted CPU on a busy one).
    rehearse_after_seconds: float = 1.0

    @property
    def memory_mib(self) -> int:
        return self.memory_bytes // MiB

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

