"""A Landlock rule set for submissions, through the three ``landlock_*`` syscalls via ctypes.

Why not the ``landlock`` package on PyPI: it is a development release and does not know the
newer ABIs we want (TCP rules from ABI 4, signal and abstract-socket scoping from ABI 6). The
kernel interface is three syscalls and two structs, stable and versioned, so we call it directly.

The rule set is built once (paths opened ``O_PATH``) and each child calls
:func:`restrict_self` with it: reads and execution only beneath the listed read-only paths,
writes only beneath the private temp dir, no TCP bind/connect, no signals or abstract UNIX
sockets outside the child's own domain (so not to the grader, nor to another submission).
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on every arch
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ_ONLY = EXECUTE | READ_FILE | READ_DIR
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is __attribute__((packed))
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def abi_version() -> int:
    """0 when the kernel has no Landlock (or it is disabled at boot)."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def build_ruleset(read_only: list[str], writable: list[str]) -> tuple[int, int]:
    """Return (ruleset fd, ABI version). Paths that do not exist are skipped."""
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available on this kernel")
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    fd = _check(_libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                              ctypes.c_uint32(0)), "landlock_create_ruleset")
    for paths, access in ((read_only, READ_ONLY), (writable, handled)):
        for path in paths:
            try:
                path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                # A rule on a regular file may only carry file rights (no *_DIR / MAKE_*).
                file_only = EXECUTE | READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV
                rights = access if os.path.isdir(path) else access & file_only & handled
                rule = _PathBeneathAttr(rights, path_fd)
                _check(_libc.syscall(SYS_ADD_RULE, ctypes.c_int(fd),
                                     ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                                     ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(path_fd)
    return fd, abi


def restrict_self(ruleset_fd: int) -> None:
    """Enforce the rule set on the calling thread (no_new_privs must already be set)."""
    _check(_libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)),
           "landlock_restrict_self")
