"""A seccomp allow-list for submissions: compiled once to BPF with libseccomp, loaded per child.

Why ctypes over ``libseccomp.so.2`` rather than a PyPI binding: the five C functions we need are
a stable ABI shipped by Debian (``libseccomp2``), while ``pyseccomp`` is the same ctypes wrapper
kept by one person, and the official ``seccomp`` binding is not on PyPI. Compiling once and
loading the exported BPF with ``prctl`` keeps libseccomp out of the per-child path (~0.1 ms).

Policy: only the system calls that Python, NumPy and ordinary numeric code make (files inside
the job dir, memory, threads, signals to itself, clocks, pipes) are allowed; anything else
fails with EPERM. That leaves out, among others: exec, every socket but a connected
``socketpair(AF_UNIX, SOCK_STREAM)`` (so no named or abstract Unix socket of the host, and no
network, can be reached, whatever the file system or the namespaces let through), tracing and
other processes' memory, namespaces and mounts, kernel keyrings, BPF, perf, modules, io_uring
(it bypasses seccomp), new sessions or process groups (so the grader's process-group kill
reaches every process a submission starts), uid/gid changes, and clone() with namespace flags.
Calls that name a process (kill, tgkill, getpgid, getsid, getpriority, sched_get*, prlimit64,
get_robust_list) may name only the caller (0, its own pid, or its own process group for kill):
without a PID namespace they would otherwise signal or probe the host's processes. The pid is
not known when the filter is compiled: the filter holds a placeholder that :func:`load`
replaces with the loading process's pid. clone3 answers ENOSYS so libc falls back to clone(),
whose flags we can inspect; prctl, fcntl and ioctl take only the commands in ``COMMANDS``
(never "dumpable again", nor "signal that process when this pipe is ready"); and where the
children share the service's uid, nothing changes a file's mode, times or length
(``OWNER_CALLS``). The list was taken from strace of every reference, correct and mistaken
solution plus a catalogue of ordinary library calls (threads, temp files, sleep, random,
linear algebra), with some headroom for glibc variants.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
import tempfile
from typing import Any

CMP_EQ, CMP_MASKED_EQ = 4, 7
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_GET_SECCOMP = 22, 2, 21
SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_BINARY_TREE = 8, 2
AF_UNIX, SOCK_STREAM, SOCK_TYPE_MASK = 1, 1, 0xF
# Stands for the loading process's pid in the compiled filter (see load()); above any real pid
# (pid_max is at most 2**22), so an unpatched filter lets these calls name no process at all.
SELF = 0x5E1F0000
LOW_HALF = 0xFFFFFFFF  # pid_t and commands are 32 bits: compare the low half only
BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: the instruction a pid comparison compiles to
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
    "sendfile", "copy_file_range", "dup", "dup2", "dup3", "pipe", "pipe2",
    "select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "eventfd2",
    # memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
    "membarrier",
    # processes and threads (clone: see the flag rule below)
    "fork", "vfork", "wait4", "waitid", "exit", "exit_group", "futex", "set_robust_list",
    "set_tid_address", "rseq", "arch_prctl", "sched_yield", "getcpu", "getpid", "getppid",
    "gettid", "getpgrp", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
    "getgroups", "getrlimit", "setrlimit", "getrusage", "times", "uname", "sysinfo",
    # signals and clocks
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
    "rt_sigsuspend", "sigaltstack", "pause", "alarm",
    "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
    "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "signalfd4", "clock_gettime", "clock_getres", "clock_nanosleep",
    "nanosleep", "gettimeofday", "time", "getrandom", "restart_syscall",
    # on a socketpair (see below), as multiprocessing.Pipe uses it: already connected, and a
    # stream socket refuses any other destination
    "shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg", "getsockname", "getpeername",
    "getsockopt", "setsockopt",
)
# Calls whose command argument (index, values) selects what they do: only these commands. The
# kernel reads the command as 32 bits, so it is compared on the low half (a "not equal" rule on
# all 64 bits would let the forbidden command through with a high bit set). Left out: making
# the process dumpable again (prctl), and F_SETOWN/F_SETSIG/FIOSETOWN/SIOCSPGRP, which would
# have the kernel signal another process (SIGIO, or any signal chosen) when a pipe is ready.
COMMANDS = {
    # PDEATHSIG set/get, GET_DUMPABLE, SET/GET_NAME, GET/SET_SECCOMP, CAPBSET_READ,
    # SET/GET_NO_NEW_PRIVS
    "prctl": (0, (1, 2, 3, 15, 16, 21, 22, 23, 38, 39)),
    # DUPFD, GET/SETFD, GET/SETFL, GET/SETLK(W), GETOWN, GETSIG, GETOWN_EX, OFD locks,
    # DUPFD_CLOEXEC, GET/SETPIPE_SZ, ADD/GET_SEALS
    "fcntl": (1, (0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 16, 36, 37, 38, 1030, 1031, 1032, 1033, 1034)),
    # TCGETS (isatty), TIOCGWINSZ, FIONREAD, FIONBIO, FIONCLEX, FIOCLEX
    "ioctl": (1, (0x5401, 0x5413, 0x541B, 0x5421, 0x5450, 0x5451)),
}
# Left out when the children keep the service's own uid (it does not run as root): Landlock does
# not govern a file's mode or times (nor its length before ABI 3), so these would reach every
# file the service owns (chmod 000 on its database, say). Under a uid of their own they reach
# only the submission's files.
OWNER_CALLS = ("chmod", "fchmod", "fchmodat", "utimensat", "truncate")
# Calls whose first argument names a process: allowed for 0 (the caller) or its own pid.
ABOUT_ITSELF = ("getpgid", "getsid", "sched_getaffinity", "sched_getparam",
                "sched_getscheduler", "prlimit64", "get_robust_list")

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


def compile_filter(*, shared_uid: bool = False) -> bytes:
    """The allow-list as raw BPF (an array of ``struct sock_filter``), for :func:`load`;
    ``shared_uid``: the children run as the service's own uid (see ``OWNER_CALLS``)."""
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
            if not (shared_uid and name in OWNER_CALLS):
                rule(ACT_ALLOW, name)
        rule(ACT_ALLOW, "clone", (0, CMP_MASKED_EQ, CLONE_NAMESPACES, 0))
        rule(_errno_action(errno.ENOSYS), "clone3")
        for name, (arg, commands) in COMMANDS.items():
            for command in commands:
                rule(ACT_ALLOW, name, (arg, CMP_MASKED_EQ, LOW_HALF, command))
        rule(ACT_ALLOW, "socketpair", (0, CMP_EQ, AF_UNIX, 0),
             (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_STREAM))

        def caller(arg: int, *values: int) -> list[tuple[int, int, int, int]]:
            return [(arg, CMP_MASKED_EQ, LOW_HALF, v & LOW_HALF) for v in values]

        for name in ABOUT_ITSELF:
            for cmp in caller(0, 0, SELF):
                rule(ACT_ALLOW, name, cmp)
        for cmp in caller(0, 0, SELF, -SELF):  # itself, its process group, its own group
            rule(ACT_ALLOW, "kill", cmp)
        rule(ACT_ALLOW, "tgkill", *caller(0, SELF))  # raise(), pthread_kill()
        for name in ("getpriority", "setpriority"):  # (which, who): who 0 is the caller
            rule(ACT_ALLOW, name, *caller(1, 0))
            rule(ACT_ALLOW, name, (0, CMP_EQ, 0, 0), *caller(1, SELF))  # PRIO_PROCESS, own pid
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
_prepared: dict[bytes, tuple[Any, _SockFprog, int, list[tuple[ctypes.c_uint32, int]]]] = {}
_K = struct.Struct("=I")  # the k field of a struct sock_filter (code u16, jt u8, jf u8, k u32)


def _pid_slots(program: bytes) -> list[tuple[int, int]]:
    """(offset of k, sign) of every comparison with SELF or -SELF in the filter."""
    slots = []
    for at in range(0, len(program), 8):
        code, k = struct.unpack_from("=H", program, at)[0], _K.unpack_from(program, at + 4)[0]
        if code == BPF_JEQ_K and k in (SELF, -SELF & LOW_HALF):
            slots.append((at + 4, 1 if k == SELF else -1))
    if not slots:
        raise OSError("seccomp: the filter has no pid comparison to fill in")
    return slots


def prepare(program: bytes) -> None:
    """Build the kernel's view of ``program`` now (in the fork server, before any fork), so
    that :func:`load` in each child is a single prctl: every ctypes object a child creates
    or touches costs it copy-on-write page faults."""
    if program not in _prepared:
        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        base = ctypes.addressof(buffer)
        slots = [(ctypes.c_uint32.from_address(base + offset), sign)
                 for offset, sign in _pid_slots(program)]
        _prepared[program] = (buffer, fprog, ctypes.addressof(fprog), slots)


def load(program: bytes) -> None:
    """Install ``program`` on the calling thread, with SELF replaced by the caller's pid; needs
    no_new_privs (or CAP_SYS_ADMIN) first. Costs the child one copy-on-write page fault."""
    prepare(program)
    _, _, address, slots = _prepared[program]
    pid = os.getpid()
    for k, sign in slots:
        k.value = sign * pid & LOW_HALF
    if _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, address, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"loading the seccomp filter: {os.strerror(code)}")


def mode() -> int:
    """0 = no filter, 2 = a filter is installed (on this thread)."""
    return int(ctypes.CDLL(None).prctl(PR_GET_SECCOMP, 0, 0, 0, 0))
