"""Which isolation layers this machine offers, detected once per process."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from quizsvc.sandbox import bwrap


@dataclass(frozen=True)
class Capabilities:
    bwrap: str | None  # path of a bubblewrap that really starts our sandbox here
    bwrap_problem: str | None
    seccomp: bool
    seccomp_problem: str | None
    landlock_abi: int
    root: bool  # we can switch children to an unprivileged uid

    def as_dict(self) -> dict[str, object]:
        return {"bwrap": bool(self.bwrap), "bwrap_problem": self.bwrap_problem,
                "seccomp": self.seccomp, "seccomp_problem": self.seccomp_problem,
                "landlock_abi": self.landlock_abi, "root": self.root}


def _probe_bwrap() -> tuple[str | None, str | None]:
    path = shutil.which("bwrap")
    if path is None:
        return None, "bubblewrap (bwrap) is not installed"
    if os.geteuid() != 0:
        # Unprivileged bwrap needs a user namespace, and then the child's uid maps back to ours:
        # our layout relies on the privileged mode (uid 0 outside, an unprivileged uid per fork server for children).
        return None, "bubblewrap needs the grader to run as root here"
    lay = bwrap.layout()
    check = f"import sys; sys.path[:0] = [{bwrap.SITE!r}]; import numpy"
    argv = bwrap.bwrap_argv(path, lay, 1 << 20, [lay.python, "-I", "-S", "-c", check])
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap failed to start: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return None, f"bubblewrap cannot create the sandbox here: {reason[0][:200]}"
    return path, None


def _probe_seccomp() -> tuple[bool, str | None]:
    from quizsvc.sandbox.inside import seccomp_filter

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            if "Seccomp:" not in fh.read():
                return False, "the kernel has no seccomp support"
        seccomp_filter.compile_filter()
    except OSError as exc:
        return False, f"libseccomp is unusable: {exc}"
    return True, None


@cache
def detect() -> Capabilities:
    from quizsvc.sandbox.inside import landlock_rules

    path, problem = _probe_bwrap()
    seccomp, seccomp_problem = _probe_seccomp()
    return Capabilities(path, problem, seccomp, seccomp_problem, landlock_rules.abi_version(),
                        os.geteuid() == 0)
