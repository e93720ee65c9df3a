"""The grader's handle on one fork server: start it in its sandbox, hand it jobs, kill it.

Everything the server sends back is read with size caps and deadlines; a server that stops
answering, answers nonsense or dies is killed with its whole process group and reported as
broken, so the pool can start a fresh one.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from typing import Any

from quizsvc.sandbox import bwrap, outcome, spawner
from quizsvc.sandbox.capabilities import detect
from quizsvc.sandbox.inside import wire
from quizsvc.sandbox.inside.arrays import encode_inputs
from quizsvc.sandbox.limits import Limits, MiB
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome
from quizsvc.sandbox.status import SandboxStatus, enforce, expected_status, probed_status

# Children never run as root, whatever the service runs as, and each fork server's children
# get a uid of their own, far above any account: RLIMIT_NPROC counts per uid (one student's
# fork bomb must not starve another's threads, nor the idle child waiting for the next job),
# and without a PID namespace a process could signal others of its uid.
UID_BASE = 1_000_000_000
_slots = itertools.count()


def sandbox_uid(slot: int) -> int:
    return UID_BASE + (os.getpid() & 0x3FFFFF) * 64 + slot % 64
SOURCE_CAP = 1 * MiB
INPUTS_CAP = 64 * MiB
START_SECONDS = 60.0  # bwrap + interpreter + NumPy import + warm-up, on a cold page cache
GRACE_SECONDS = 5.0  # on top of the job's wall limit, for the server's own bookkeeping
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4


class ServerBroken(Exception):
    pass


MAX_PROGRAMS = 32  # programs a fork server keeps decoded (one per assignment and case set)
# Each program's wire bytes, encoded once: every submission to an assignment runs the same
# program object (it is shared, never mutated), so it sends the same bytes, or only the key
# once the fork server holds the program. The entry goes with the program.
_wire_bytes: weakref.WeakKeyDictionary[Program, tuple[int, bytes, bytes]] = (
    weakref.WeakKeyDictionary())


def _encoded(program: Program) -> tuple[int, bytes, bytes]:
    """The program's key (a digest of its bytes), calls (JSON) and input arrays (one blob)."""
    cached = _wire_bytes.get(program)
    if cached is None:
        manifest, blob = encode_inputs(program.arrays)
        spec = json.dumps({"calls": program.calls, "arrays": manifest}).encode()
        digest = hashlib.blake2b(spec, digest_size=8)
        digest.update(blob)
        cached = _wire_bytes[program] = (int.from_bytes(digest.digest(), "big"), spec, blob)
    return cached


def read_answer(fd: int, lim: Limits, deadline: float) -> tuple[dict[str, Any], bytes, bytes]:
    """The server's answer: chunks of printed output (``o``) and of the result stream (``r``),
    then the header (``h``); within the caps the server enforces, or the server is broken."""
    caps = {b"o": lim.output_bytes, b"r": lim.results_bytes + lim.arrays_bytes}
    parts: dict[bytes, list[bytes]] = {b"o": [], b"r": []}
    sizes = dict.fromkeys(caps, 0)
    while True:
        kind, size = wire.CHUNK.unpack(wire.read_exact(fd, wire.CHUNK.size, deadline))
        if kind == b"h":
            if size > 1 * MiB:
                raise wire.WireError("oversized answer header")
            try:
                header = json.loads(wire.read_exact(fd, size, deadline))
            except ValueError:
                raise wire.WireError("malformed answer header") from None
            if not isinstance(header, dict) or "error" in header:
                raise wire.WireError(str(header)[:200])
            return header, b"".join(parts[b"o"]), b"".join(parts[b"r"])
        if kind not in caps or sizes[kind] + size > caps[kind]:
            raise wire.WireError(f"unexpected chunk {kind!r} of {size} bytes")
        sizes[kind] += size
        parts[kind].append(wire.read_exact(fd, size, deadline))


def make_grader_nondumpable() -> None:
    """No ptrace of the grader, no /proc/<pid>/mem, no core dump with expected outputs in it."""
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _die_with_parent() -> None:  # preexec_fn of the fallback tier (bwrap has --die-with-parent)
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class ForkServer:
    def __init__(self, tier: str, limits: Limits, *, mode: str = "warm",
                 debug: bool = False) -> None:
        self.tier, self.limits, self.mode = tier, limits, mode
        self.debug = debug  # let the server's stderr through
        self.proc: subprocess.Popen[bytes] | None = None
        self.status: SandboxStatus | None = None
        self.hello: dict[str, Any] = {}
        self.jobs = 0
        self._tmp: str | None = None  # the fallback tier's private temp dir on the host
        self.uid = sandbox_uid(next(_slots))
        self.programs: set[int] = set()  # program keys the running server holds

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, minimum: str | None = None) -> None:
        caps = detect()
        enforce(expected_status(self.tier, caps), minimum)
        self.programs = set()
        lay = bwrap.layout()
        in_bwrap = self.tier == "bwrap"
        if in_bwrap:
            assert caps.bwrap is not None
            argv = bwrap.bwrap_argv(caps.bwrap, lay, self.limits.tmp_bytes,
                                    bwrap.server_command(lay))
            tmp, sys_path, preexec = bwrap.TMP, [bwrap.SITE], None
        else:
            self._tmp = tempfile.mkdtemp(prefix="quizsvc-sandbox-tmp-")
            os.chmod(self._tmp, 0o711)  # children may enter their job dir, not list or write
            argv = bwrap.fallback_argv(lay)
            tmp, sys_path, preexec = self._tmp, [lay.site_dir], _die_with_parent
        self.proc = spawner.popen(  # forked by a thread that outlives the server (PDEATHSIG)
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=None if self.debug else subprocess.DEVNULL, env=bwrap.thread_env(),
            cwd=tmp, start_new_session=True, preexec_fn=preexec)  # noqa: PLW1509
        config = {
            "mode": self.mode, "sys_path": sys_path, "tmp": tmp,
            "uid": self.uid if caps.root else None, "pid_namespace": in_bwrap,
            "seccomp": caps.seccomp,
            "landlock": bwrap.landlock_paths(lay, in_bwrap) if caps.landlock_abi else None,
            "limits": {**self.limits.to_wire(), "source_cap": SOURCE_CAP,
                       "inputs_cap": INPUTS_CAP},
        }
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            wire.write_json(self.proc.stdin.fileno(), config)
            self.hello = wire.read_json(self.proc.stdout.fileno(), 1 * MiB,
                                        time.monotonic() + START_SECONDS)
        except (OSError, wire.WireError) as exc:
            self.kill()
            raise ServerBroken(f"the sandbox did not start ({self.tier} tier): {exc}") from None
        self.status = probed_status(self.tier, self.hello.get("probe") or {})
        self.status.notes.extend(self.hello.get("errors") or [])
        try:
            enforce(self.status, minimum)
        except Exception:
            self.kill()
            raise

    def run_job(self, source: str, program: Program, filename: str) -> RunOutcome:
        """Grade-side of one job; raises ServerBroken (after killing the server) on trouble."""
        if not self.alive:
            raise ServerBroken("the fork server is not running")
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.stdout is not None
        lim = self.limits
        meta: dict[str, Any] = {"filename": filename, "call_seconds": lim.call_seconds,
                "load_seconds": lim.load_seconds, "memory_mib": lim.memory_mib}
        key, spec, inputs = _encoded(program)
        started = time.perf_counter()
        out = self.proc.stdout.fileno()
        try:
            stdin = self.proc.stdin.fileno()
            by_key = key in self.programs
            if not by_key and len(self.programs) < MAX_PROGRAMS:
                # The server decodes the program once; every child it forks from then on
                # inherits the calls and input arrays, ready to use. This job's child was
                # forked before, so it still gets them in full.
                body = [wire.frame(spec), wire.HEADER.pack(len(inputs))]
                size = sum(map(len, body)) + len(inputs)
                wire.write_all(stdin, wire.frame(json.dumps({"program": key, "size": size})
                                                 .encode()) + b"".join(body))
                wire.write_all(stdin, inputs)
                self.programs.add(key)
            source_bytes = source.encode("utf-8", errors="surrogatepass")[:SOURCE_CAP]
            # The child's frames, announced by their total size: the server moves them into
            # the child's pipe unread.
            parts = [wire.frame(source_bytes)]
            if by_key:
                meta["program"] = key
                tail = b""
            else:
                parts += [wire.frame(spec), wire.HEADER.pack(len(inputs))]
                tail = inputs
            parts.insert(0, wire.frame(json.dumps(meta).encode()))
            size = sum(map(len, parts)) + len(tail)
            request = wire.frame(json.dumps({"job": self.jobs, "size": size}).encode())
            wire.write_all(stdin, request + b"".join(parts))
            if tail:
                wire.write_all(stdin, tail)
            deadline = time.monotonic() + lim.wall_seconds + GRACE_SECONDS
            header, printed, results = read_answer(out, lim, deadline)
        except (OSError, wire.WireError) as exc:
            self.kill()
            raise ServerBroken(f"the grading sandbox stopped answering: {exc}") from None
        self.jobs += 1
        return outcome.from_response(header, printed, results, program,
                                     time.perf_counter() - started)

    def close(self, timeout: float = 2.0) -> None:
        """Ask politely (EOF on its channel), then kill the whole process group."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin:
                    self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill()

    def kill(self) -> None:
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    if stream:
                        stream.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

