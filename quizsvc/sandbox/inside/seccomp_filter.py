"""A seccomp deny-list for submissions: compiled once to BPF with libseccomp, loaded per child.

Why ctypes over ``libseccomp.so.2`` rather than a PyPI binding: the five C functions we need are
a stable ABI shipped by Debian (``libseccomp2``), while ``pyseccomp`` is the same ctypes wrapper
kept by one person, and the official ``seccomp`` binding is not on PyPI. Compiling once and
loading the exported BPF with ``prctl`` keeps libseccomp out of the per-child path (~0.1 ms).

Policy: allow by default (Python and NumPy need a long tail of ordinary syscalls), deny what a
numeric function never needs and an escape would: sockets other than AF_UNIX, tracing and other
processes' memory, namespaces and mounts, kernel keyrings, BPF, perf, modules, io_uring (it
bypasses seccomp), new sessions or process groups (so the grader's process-group kill reaches
every process a submission starts), and clone() with namespace flags. clone3 answers ENOSYS so
libc falls back to clone(), whose flags we can inspect.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import tempfile

ACT_ALLOW = 0x7FFF0000
CMP_EQ, CMP_NE, CMP_MASKED_EQ = 4, 1, 7
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_GET_SECCOMP = 22, 2, 21
AF_UNIX = 1

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsmount",
    "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "open_by_handle_at",
    "name_to_handle_at", "keyctl", "add_key", "request_key", "acct", "swapon", "swapoff",
    "syslog", "quotactl", "vhangup", "iopl", "ioperm", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "personality", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "setsid", "setpgid", "migrate_pages", "move_pages", "lookup_dcookie",
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
    return lib


def compile_filter() -> bytes:
    """The deny-list as raw BPF (an array of ``struct sock_filter``), for :func:`load`."""
    lib = _libseccomp()
    ctx = lib.seccomp_init(ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        def rule(action: int, name: str, *cmps: tuple[int, int, int, int]) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                return  # not a syscall on this architecture
            array = (_ArgCmp * max(1, len(cmps)))(*[_ArgCmp(*c) for c in cmps])
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
            if rc < 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")

        for name in DENIED:
            rule(_errno_action(errno.EPERM), name)
        rule(_errno_action(errno.EAFNOSUPPORT), "socket", (0, CMP_NE, AF_UNIX, 0))
        rule(_errno_action(errno.EAFNOSUPPORT), "socketpair", (0, CMP_NE, AF_UNIX, 0))
        rule(_errno_action(errno.ENOSYS), "clone3")
        for flag in _clone_namespace_flags():
            rule(_errno_action(errno.EPERM), "clone", (0, CMP_MASKED_EQ, flag, flag))
        with tempfile.TemporaryFile() as fh:
            rc = lib.seccomp_export_bpf(ctx, fh.fileno())
            if rc < 0:
                raise OSError(-rc, "seccomp_export_bpf failed")
            fh.seek(0)
            return fh.read()
    finally:
        lib.seccomp_release(ctx)


def _clone_namespace_flags() -> tuple[int, ...]:
    # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
    return (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
            0x40000000, 0x00000080)


def load(program: bytes) -> None:
    """Install ``program`` on the calling thread; needs no_new_privs (or CAP_SYS_ADMIN) first."""
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"loading the seccomp filter: {os.strerror(code)}")


def mode() -> int:
    """0 = no filter, 2 = a filter is installed (on this thread)."""
    return int(ctypes.CDLL(None).prctl(PR_GET_SECCOMP, 0, 0, 0, 0))
