"""The isolation level: which layers hold, what is missing, and refusing to grade below a floor.

Levels: ``full`` (namespaces + unprivileged uid + no_new_privs + seccomp + Landlock),
``reduced`` (no namespaces or one of seccomp/Landlock missing, but still an unprivileged uid
with no_new_privs and a syscall or file-access filter), ``minimal`` (anything less).

Whatever the level, grading is refused where a threat is left with no layer to stop it: without
namespaces (the fallback tier) only Landlock keeps the project's files unreadable and only
seccomp keeps the host's Unix sockets out of reach (Landlock cannot refuse a connect() to a
named socket), so that tier needs both. What the fallback tier cannot hide even then is listed
in ``exposed`` (and in the README's audit): metadata, never contents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from quizsvc.sandbox.capabilities import Capabilities, detect

log = logging.getLogger("quizsvc.sandbox")
LEVELS = ("minimal", "reduced", "full")
LAYERS = ("process", "rlimits", "namespaces", "unprivileged_uid", "no_new_privs",
          "nondumpable", "seccomp", "landlock")
_warned: set[tuple[str, ...]] = set()


class SandboxUnavailable(RuntimeError):
    """Grading refused: a threat has no layer to stop it here, or the sandbox is weaker than
    QUIZSVC_SANDBOX_MIN_LEVEL demands."""


# Without namespaces, each of these layers is the only one between a submission and a threat.
FALLBACK_NEEDS = {
    "landlock": "the project's files (reference solutions, the database, the secret key) "
                "would be readable",
    "seccomp": "the host's Unix sockets (PostgreSQL, MySQL, Redis...) could be reached",
}
# What a submission still observes with every layer in force: on the fallback tier, and on both.
FALLBACK_EXPOSED = [
    "metadata of host paths it can name (stat: existence, size, owner, times; readlink), "
    "never their contents or directory listings",
    "which host process ids exist and their owners (stat of /proc/<pid>), never their "
    "memory, files or command lines; no call can signal them",
]
HOST_FIGURES = ("host-wide figures: kernel version and host name (uname), load, memory and "
                "process count (sysinfo)")


@dataclass
class SandboxStatus:
    tier: str  # "bwrap" | "fallback"
    layers: dict[str, bool]
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [name for name in LAYERS if not self.layers.get(name)]

    @property
    def level(self) -> str:
        have = self.layers
        if not self.missing:
            return "full"
        if have.get("unprivileged_uid") and have.get("no_new_privs") and (
                have.get("seccomp") or have.get("landlock")):
            return "reduced"
        return "minimal"

    @property
    def unsafe(self) -> list[str]:
        """Threats that no layer in force stops: grading is refused while any is left."""
        if self.tier != "fallback":
            return []  # the namespaces alone keep files, sockets and processes out of sight
        return [f"without {name} {threat}" for name, threat in FALLBACK_NEEDS.items()
                if not self.layers.get(name)]

    @property
    def exposed(self) -> list[str]:
        return [*(FALLBACK_EXPOSED if self.tier == "fallback" else []), HOST_FIGURES]

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "tier": self.tier, "layers": dict(self.layers),
                "missing": self.missing, "unsafe": self.unsafe, "exposed": self.exposed,
                "notes": list(self.notes)}


def choose_tier(isolation: str = "auto", caps: Capabilities | None = None) -> str:
    """"bwrap" or "fallback" for an ``isolation`` of auto | bwrap | fallback."""
    caps = caps or detect()
    if isolation not in ("auto", "bwrap", "fallback"):
        raise ValueError(f"unknown isolation {isolation!r} (auto, bwrap or fallback)")
    if isolation == "fallback":
        return "fallback"
    if caps.bwrap:
        return "bwrap"
    if isolation == "bwrap":
        raise SandboxUnavailable(f"bubblewrap isolation was requested: {caps.bwrap_problem}")
    return "fallback"


def expected_status(tier: str, caps: Capabilities | None = None) -> SandboxStatus:
    """What the layers should be, from detection alone (cheap: for /health and start-up)."""
    caps = caps or detect()
    layers = {"process": True, "rlimits": True, "namespaces": tier == "bwrap",
              "unprivileged_uid": caps.root, "no_new_privs": True, "nondumpable": True,
              "seccomp": caps.seccomp, "landlock": caps.landlock_abi >= 1}
    notes = [p for p in (caps.bwrap_problem, caps.seccomp_problem) if p]
    if caps.landlock_abi < 1:
        notes.append("the kernel has no Landlock")
    if not caps.root:
        notes.append("not running as root: children cannot switch to an unprivileged uid")
    return SandboxStatus(tier, layers, notes)


def probed_status(tier: str, probe: dict[str, Any]) -> SandboxStatus:
    """What a fork server's probe child found really in force."""
    layers = {"process": True, "rlimits": probe.get("nproc", -1) > 0,
              "namespaces": tier == "bwrap",
              "unprivileged_uid": probe.get("uid", 0) != 0 and not probe.get("groups"),
              "no_new_privs": probe.get("no_new_privs") == 1,
              "nondumpable": probe.get("dumpable") == 0,
              "seccomp": probe.get("seccomp_mode") == 2, "landlock": bool(probe.get("landlock"))}
    notes = [f"probe failed: {probe['error']}"] if "error" in probe else []
    return SandboxStatus(tier, layers, notes)


def enforce(status: SandboxStatus, minimum: str | None = None) -> None:
    """Warn (once per kind of gap) about missing layers; refuse if a threat has no layer left
    to stop it, or if below the required level."""
    missing = tuple(status.missing)
    if missing and (status.tier, *missing) not in _warned:
        _warned.add((status.tier, *missing))
        log.warning("sandbox isolation is %s (%s tier): missing %s%s", status.level,
                    status.tier, ", ".join(missing),
                    f" ({'; '.join(status.notes)})" if status.notes else "")
    if status.unsafe:
        raise SandboxUnavailable(
            f"grading refused: the sandbox here has no namespaces ({status.tier} tier) and "
            f"{'; '.join(status.unsafe)}. Install bubblewrap and run the service as root, or "
            f"make seccomp (libseccomp2) and Landlock (kernel 5.13+) available")
    if minimum and LEVELS.index(status.level) < LEVELS.index(minimum):
        raise SandboxUnavailable(
            f"grading refused: the sandbox here is {status.level!r} (missing "
            f"{', '.join(missing)}) but QUIZSVC_SANDBOX_MIN_LEVEL requires {minimum!r}")


def current_status(isolation: str = "auto") -> SandboxStatus:
    """The level new graders get in this process (detection only: cached and cheap)."""
    return expected_status(choose_tier(isolation))
