"""The per-child layers, applied right after fork and before any untrusted byte runs.

Order matters: rlimits and the uid switch need privileges the later layers take away;
no_new_privs must precede Landlock and seccomp; seccomp goes last because it forbids things
(setsid) the earlier steps do.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass

from . import landlock_rules, seccomp_filter

PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 3, 4
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Confinement:
    uid: int | None  # None: keep the current uid (not root, or told not to switch)
    cpu_seconds: float
    memory_bytes: int  # on top of what the process already maps at fork time
    file_size_bytes: int
    processes: int
    open_files: int
    seccomp_program: bytes | None
    landlock_fd: int | None


def prctl(option: int, arg: int = 0) -> int:
    result = _libc.prctl(option, arg, 0, 0, 0)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(result)


def mapped_bytes() -> int:
    """Virtual memory mapped by this process: RLIMIT_AS counts it, so limits are relative."""
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def apply(conf: Confinement, baseline_bytes: int) -> None:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the server dies: so do we
    cpu = max(1, int(conf.cpu_seconds + 0.999))
    # soft == hard: the kernel sends SIGKILL at the limit (a SIGXCPU alone could be ignored).
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    address_space = baseline_bytes + conf.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (conf.file_size_bytes, conf.file_size_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (conf.open_files, conf.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (conf.processes, conf.processes))
    if conf.uid is not None:
        # RLIMIT_NPROC does nothing for uid 0, and root could undo every other layer.
        os.setgroups([])
        os.setresgid(conf.uid, conf.uid, conf.uid)
        os.setresuid(conf.uid, conf.uid, conf.uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/mem, no core
    if conf.landlock_fd is not None:
        landlock_rules.restrict_self(conf.landlock_fd)
        os.close(conf.landlock_fd)
    if conf.seccomp_program is not None:
        seccomp_filter.load(conf.seccomp_program)


def report() -> dict[str, object]:
    """What is actually in force in this process: the server's start-up probe sends it home."""
    return {
        "uid": os.getuid(),
        "groups": os.getgroups(),
        "no_new_privs": prctl(PR_GET_NO_NEW_PRIVS),
        "dumpable": prctl(PR_GET_DUMPABLE),
        "seccomp_mode": seccomp_filter.mode(),
        "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
    }
