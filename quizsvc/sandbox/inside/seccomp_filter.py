"""A seccomp allow-list for submissions: compiled once to BPF with libseccomp, loaded per child.

Why ctypes over ``libseccomp.so.2`` rather than a PyPI binding: the five C functions we need are
a stable ABI shipped by Debian (``libseccomp2``), while ``pyseccomp`` is the same ctypes wrapper
kept by one person, and the official ``seccomp`` binding is not on PyPI. Compiling once and
loading the exported BPF with ``prctl`` keeps libseccomp out of the per-child path (~0.1 ms).

Policy: only the system calls that Python, NumPy and ordinary numeric code make (files inside
the job dir, memory, threads, signals, clocks, pipes, local sockets) are allowed; anything else
fails with EPERM. That leaves out, among others: exec, other address families than AF_UNIX,
tracing and other processes' memory, namespaces and mounts, kernel keyrings, BPF, perf,
modules, io_uring (it bypasses seccomp), new sessions or process groups (so the grader's
process-group kill reaches every process a submission starts), uid/gid changes, and clone()
with namespace flags. clone3 answers ENOSYS so libc falls back to clone(), whose flags we can
inspect; prctl may not make the process dumpable again. The list was taken from strace of
every reference, correct and mistaken solution plus a catalogue of ordinary library calls
(threads, temp files, sleep, random, linear algebra), with some headroom for glibc variants.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import tempfile
from typing import Any

CMP_NE, CMP_EQ, CMP_MASKED_EQ = 1, 4, 7
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_GET_SECCOMP = 22, 2, 21
PR_SET_DUMPABLE = 4
SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_BINARY_TREE = 8, 2
AF_UNIX = 1
ACT_ALLOW = 0x7FFF0000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NAMESPACES = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                    | 0x20000000 | 0x40000000 | 0x00000080)

ALLOWED = (
    # files and directories (Landlock decides which)
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
    "pwritev2", "open", "openat", "openat2", "close", "close_range", "creat", "lseek", "stat",
    "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat",
    "faccessat2", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
    "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "umask", "truncate",
    "ftruncate", "fallocate", "fadvise64", "fsync", "fdatasync", "flock", "utimensat",
    "sendfile", "copy_file_range", "dup", "dup2", "dup3", "fcntl", "ioctl", "pipe", "pipe2",
    "select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "eventfd2",
    # memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
    "membarrier",
    # processes and threads (clone: see the flag rule below)
    "fork", "vfork", "wait4", "waitid", "exit", "exit_group", "futex", "set_robust_list",
    "get_robust_list", "set_tid_address", "rseq", "arch_prctl", "sched_yield",
    "sched_getaffinity", "sched_getparam", "sched_getscheduler", "getcpu", "getpid", "getppid",
    "gettid", "getpgrp", "getpgid", "getsid", "getuid", "geteuid", "getgid", "getegid",
    "getresuid", "getresgid", "getgroups", "getpriority", "setpriority", "getrlimit",
    "setrlimit", "prlimit64", "getrusage", "times", "uname", "sysinfo", "capget",
    # signals and clocks
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
    "rt_sigsuspend", "sigaltstack", "kill", "tkill", "tgkill", "pause", "alarm",
    "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
    "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "signalfd4", "clock_gettime", "clock_getres", "clock_nanosleep",
    "nanosleep", "gettimeofday", "time", "getrandom", "restart_syscall",
    # local (AF_UNIX) sockets, as multiprocessing uses them; socket() itself: see below
    "bind", "listen", "accept", "accept4", "connect", "shutdown", "sendto", "recvfrom",
    "sendmsg", "recvmsg", "getsockname", "getpeername", "getsockopt", "setsockopt",
)

class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


def _libseccomp() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    return lib


def compile_filter() -> bytes:
    """The allow-list as raw BPF (an array of ``struct sock_filter``), for :func:`load`."""
    lib = _libseccomp()
    ctx = lib.seccomp_init(_errno_action(errno.EPERM))
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        # A binary search over syscall numbers instead of a linear chain: every syscall the
        # submission makes walks the filter, and so does the kernel once per load, for each
        # syscall number, to build its cache of always-allowed calls. Older libseccomp
        # (< 2.5) lacks the attribute and keeps the linear chain: same policy, only slower.
        lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_BINARY_TREE)

        def rule(action: int, name: str, *cmps: tuple[int, int, int, int]) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                return  # not a syscall on this architecture
            array = (_ArgCmp * max(1, len(cmps)))(*[_ArgCmp(*c) for c in cmps])
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
            if rc < 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")

        for name in ALLOWED:
            rule(ACT_ALLOW, name)
        rule(ACT_ALLOW, "clone", (0, CMP_MASKED_EQ, CLONE_NAMESPACES, 0))
        rule(_errno_action(errno.ENOSYS), "clone3")
        rule(ACT_ALLOW, "prctl", (0, CMP_NE, PR_SET_DUMPABLE, 0))
        for name in ("socket", "socketpair"):
            rule(ACT_ALLOW, name, (0, CMP_EQ, AF_UNIX, 0))
            rule(_errno_action(errno.EAFNOSUPPORT), name, (0, CMP_NE, AF_UNIX, 0))
        with tempfile.TemporaryFile() as fh:
            rc = lib.seccomp_export_bpf(ctx, fh.fileno())
            if rc < 0:
                raise OSError(-rc, "seccomp_export_bpf failed")
            fh.seek(0)
            return fh.read()
    finally:
        lib.seccomp_release(ctx)


_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
_prepared: dict[bytes, tuple[Any, _SockFprog, int]] = {}


def prepare(program: bytes) -> None:
    """Build the kernel's view of ``program`` now (in the fork server, before any fork), so
    that :func:`load` in each child is a single prctl: every ctypes object a child creates
    or touches costs it copy-on-write page faults."""
    if program not in _prepared:
        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        _prepared[program] = (buffer, fprog, ctypes.addressof(fprog))


def load(program: bytes) -> None:
    """Install ``program`` on the calling thread; needs no_new_privs (or CAP_SYS_ADMIN) first."""
    prepare(program)
    if _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, _prepared[program][2], 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"loading the seccomp filter: {os.strerror(code)}")


def mode() -> int:
    """0 = no filter, 2 = a filter is installed (on this thread)."""
    return int(ctypes.CDLL(None).prctl(PR_GET_SECCOMP, 0, 0, 0, 0))
