"""The fork server: runs inside the sandbox and turns each job into one confined child.

Started (``bwrap.server_command``) as :func:`main` of this package, staged as ``inside`` in
the sandbox, with fd 0/1 as the channel to the grader (see wire.py).
It reads one config frame, imports NumPy and exercises it once, compiles the seccomp filter and
the Landlock rule set, checks with a probe child that every layer really holds, and answers
``hello``. Then, per job::

    server ──fork──> child (setsid, rlimits, uid, NNP, Landlock, seccomp) ── waits for its job

The child is forked as soon as the previous job is done and confines itself while nobody
waits. When a request arrives, the server moves the job's bytes from the grader channel into
the child's job pipe with ``splice(2)``, supervises the child (wall clock, output caps) and
moves its result stream and printed output back to the grader the same way, in chunks. So a
submission's bytes (its source, what it prints, what it returns) pass through kernel pipe
buffers only and never enter the long-lived server's memory, where a later child could find
them. As soon as the child signals that its stream is complete, the answer goes out; the child
is killed and reaped afterwards, off the clock. Between jobs the server wipes the temp dir, so
no file survives for the next student either. In ``once`` mode (the cold runner) it serves a
single job and exits.

One fork per job matters: in a VM every page fault is expensive, and a forked Python process
takes hundreds of them, so a per-job helper process cost ~5 ms of CPU per submission.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
from typing import Any

from . import confine, landlock_rules, seccomp_filter, wire
from .codes import CPU_TIMEOUT, EXITED, KILLED, NOT_CONFINED, WALL_TIMEOUT

CONFIG_CAP = 1 << 20
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
SETUP_FAILED = 71  # exit code of a child that could not be confined (it never ran the code)
MAXFD = 1 << 16
F_SETPIPE_SZ, F_GETPIPE_SZ, FIONREAD = 1031, 1032, 0x541B
PIPE_BYTES = 1 << 20  # the child's result pipe: a whole job's stream fits without a wakeup
TICK = 0.005  # how often the pipes are emptied while the child runs
# What submissions commonly import, imported once here rather than in each child (where the
# fallback tier cannot even read the standard library). Not more: every module adds to the
# memory each fork copies page tables for and each exit tears down (zipfile and numpy.ma
# added 2.3 MB, ~0.1 ms per job); numpy.ma still imports, from NumPy's own folder, if used.
# The statements promise exactly the standard-library modules listed in
# grading/texts/submission_rules.*.md (tests/sandbox/test_solution_styles.py checks them on
# both tiers); the ones not named here are loaded by NumPy or by this server anyway.
PRELOAD = ("socket", "math", "cmath", "random", "statistics", "collections", "itertools",
           "functools", "operator", "copy", "dataclasses", "typing", "numbers", "decimal",
           "fractions", "heapq", "bisect", "string", "json", "numpy.typing", "numpy.linalg",
           "numpy.random", "numpy.fft", "numpy.lib.stride_tricks")


class Server:
    def __init__(self, proto_in: int, proto_out: int, config: dict[str, Any]) -> None:
        self.proto_in, self.proto_out, self.config = proto_in, proto_out, config
        self.limits: dict[str, Any] = config["limits"]
        self.tmp = config["tmp"]
        self.jobdir = os.path.join(self.tmp, "job")
        self.uid: int | None = config.get("uid")
        self.errors: list[str] = []
        self.programs: dict[int, tuple[list[Any], dict[str, Any]]] = {}
        self.devnull = os.open("/dev/null", os.O_RDWR)
        self.confine = confine
        program = ruleset = None
        if config.get("seccomp"):
            try:
                program = seccomp_filter.compile_filter(shared_uid=self.uid is None)
                seccomp_filter.prepare(program)
            except OSError as exc:
                self.errors.append(f"seccomp: {exc}")
        if config.get("landlock"):
            try:
                ruleset, _ = landlock_rules.build_ruleset(config["landlock"]["read_only"],
                                                          [self.tmp, *config["landlock"]["writable"]])
            except OSError as exc:
                self.errors.append(f"landlock: {exc}")
        self.conf = confine.Confinement(
            uid=self.uid, cpu_seconds=self.limits["cpu_seconds"],
            memory_bytes=self.limits["memory_bytes"],
            file_size_bytes=self.limits["file_size_bytes"], processes=self.limits["processes"],
            open_files=self.limits["open_files"], seccomp_program=program, landlock_fd=ruleset)
        # What every child would otherwise set up after the fork, at a few hundred page
        # faults each time: its environment and temp dir are always the same job dir.
        os.environ.update(HOME=self.jobdir, TMPDIR=self.jobdir)
        if "tempfile" in sys.modules:  # it cached the server's temp dir: use the job's
            tempfile_module: Any = sys.modules["tempfile"]  # ModuleType: .tempdir is untyped
            tempfile_module.tempdir = self.jobdir

    # ----- start-up ---------------------------------------------------------------------

    def probe(self) -> dict[str, Any]:
        """Fork a child, confine it, and let it report what is in force (and what is refused)."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                self.confine.apply(self.conf, self.confine.mapped_bytes())
                report: dict[str, Any] = self.confine.report()
                report["landlock"] = _denied(lambda: os.listdir("/"))
                report["network"] = _denied(_inet_socket)
                data = json.dumps(report).encode()
            except BaseException as exc:  # noqa: BLE001 - reported to the grader
                data = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
            os.write(w, data)
            os._exit(0)
        os.close(w)
        chunks = []
        while chunk := os.read(r, 65536):
            chunks.append(chunk)
        os.close(r)
        os.waitpid(pid, 0)
        result: dict[str, Any] = json.loads(b"".join(chunks) or b"{}")
        return result

    def serve(self) -> None:
        hello = {"hello": True, "pid": os.getpid(), "probe": self.probe(), "errors": self.errors,
                 "python": sys.version.split()[0]}
        wire.write_json(self.proto_out, hello)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans come back to us, to be killed and reaped
        # RLIMIT_AS is relative to what a child maps when it is forked: measured once here,
        # not by every child (reading /proc costs each of them dozens of page faults).
        self.baseline_bytes = self.confine.mapped_bytes()
        while True:
            self._wipe()
            job = Job(self)
            request = self._request()
            if "program" in request:
                # The grader sends the next job in full (this child was forked before the
                # program was known); the children forked after it start with the program.
                self._learn(int(request["program"]), int(request["size"]))
                request = self._request()
            if request.get("stop"):
                job.discard()
                return
            job.run(int(request["size"]))
            self._reap()
            if self.config.get("mode") == "once":
                return

    def _request(self) -> dict[str, Any]:
        try:
            request: dict[str, Any] = wire.read_json(self.proto_in, CONFIG_CAP)
        except wire.WireError:
            return {"stop": True}  # the grader closed the channel: shut down
        return request

    def _learn(self, key: int, size: int) -> None:
        """Decode a program (calls and input arrays: the grader's bytes, never a student's)
        once, so that every child forked from now on starts with it."""
        from .arrays import decode_inputs  # imported by main(), with NumPy

        lim = self.limits
        if size > CONFIG_CAP * 16 + lim["inputs_cap"] + 16:
            raise wire.WireError(f"program of {size} bytes")
        spec = json.loads(wire.read_frame(self.proto_in, CONFIG_CAP * 16))
        blob = wire.read_frame(self.proto_in, lim["inputs_cap"])
        self.programs[key] = (spec["calls"], decode_inputs(spec["arrays"], blob))
        gc.freeze()  # keep the collector from walking (and so copying) it in every child

    def _reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def _wipe(self) -> None:
        """Empty the private temp dir: nothing one submission wrote is left for the next.
        Usually the job dir is all there is, and empty: one rmdir, not a tree walk."""
        with contextlib.suppress(OSError):
            os.rmdir(self.jobdir)  # fails if the submission left something: walked below
        for name in os.listdir(self.tmp):
            path = os.path.join(self.tmp, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


class Job:
    """One submission's child: forked and confined before its job exists, then fed by splice."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.limits = server.limits
        os.mkdir(server.jobdir, 0o700)
        if server.uid is not None:
            os.chown(server.jobdir, server.uid, server.uid)
        out_r, out_w = os.pipe()
        job_r, self.job_w = os.pipe()
        res_r, res_w = os.pipe()
        done_r, done_w = os.pipe()
        for fd in (self.job_w, res_w):
            with contextlib.suppress(OSError):  # a smaller pipe only means more wakeups
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
        self.pid = _fork()
        if self.pid == 0:
            self._child({0: server.devnull, 1: out_w, 2: out_w, 3: job_r, 4: res_w, 5: done_w})
        for fd in (out_w, job_r, res_w, done_w):
            os.close(fd)
        self.pidfd = os.pidfd_open(self.pid)
        out = server.proto_out
        lim = self.limits
        self.out = _Relay(out_r, b"o", lim["output_bytes"], out, server.devnull)
        self.res = _Relay(res_r, b"r", lim["results_bytes"] + lim["arrays_bytes"], out,
                          server.devnull)
        self.done_r = done_r

    def discard(self) -> None:
        os.close(self.job_w)  # a child not yet in its own group reads EOF, or is killed
        _kill_group(self.pid)
        os.waitpid(self.pid, 0)
        self._close()

    def run(self, size: int) -> None:
        srv = self.server
        started = time.monotonic()
        # The job's bytes (meta, calls, source, inputs: the child's frames) go straight from
        # the grader channel into the child's pipe; if the child is gone, into /dev/null, so
        # the channel stays in step either way.
        moved = _splice_all(srv.proto_in, self.job_w, size)
        if moved < size:
            _splice_all(srv.proto_in, srv.devnull, size - moved)
        os.close(self.job_w)
        header, done = self._supervise(started)
        wire.write_all(srv.proto_out, _chunk(b"h", json.dumps(header).encode()))
        if done:  # answered without waiting: now kill and reap, off the clock
            _kill_group(self.pid)
            os.waitpid(self.pid, 0)
            self._sweep()
        self._close()

    def _supervise(self, started: float) -> tuple[dict[str, Any], bool]:
        lim = self.limits
        deadline = started + lim["wall_seconds"]
        readers = [self.done_r, self.pidfd, self.out.fd]
        if not self.res.large:
            readers.append(self.res.fd)
        timed_out = done = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready = select.select(readers, [], [], min(left, TICK))[0]
            self.res.pump()
            self.out.pump()
            if self.done_r in ready:
                if os.read(self.done_r, 1):  # the child sent everything: answer now
                    done = True
                    break
                readers.remove(self.done_r)  # closed without a word: it is ending
            if self.pidfd in ready:  # it ended (or crashed) without finishing its stream
                break
        wall = time.monotonic() - started
        header: dict[str, Any] = {"wall": round(wall, 6), "aborted": None, "exit_code": None}
        if not done:
            _kill_group(self.pid)
            _, status, usage = os.wait4(self.pid, 0)
            self._sweep()
            self.res.pump()  # what it wrote before it ended is still in the pipes
            self.out.pump()
            cpu = usage.ru_utime + usage.ru_stime
            header.update(cpu=round(cpu, 6), exit_code=os.waitstatus_to_exitcode(status),
                          aborted=self._verdict(status, cpu, timed_out))
        header["stdout_total"] = self.out.total
        return header, done

    def _close(self) -> None:
        for fd in (self.pidfd, self.out.fd, self.res.fd, self.done_r):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _child(self, fds: dict[int, int]) -> None:
        """The submission's process: confine, wait for the job and run it, with
        ``child``'s protocol on fds 3 (job in), 4 (results out) and 5 (done). Never returns."""
        code = SETUP_FAILED
        try:
            os.setsid()  # its own process group, so the kill reaches everything it starts
            _install_fds(fds)
            srv = self.server
            os.chdir(srv.jobdir)
            srv.confine.apply(srv.conf, srv.baseline_bytes)
            os.closerange(len(fds), MAXFD)  # the grader channel above all: no forged answers
            from . import child  # imported by main() before any fork

            code = SETUP_FAILED + 1
            code = child.main(3, 4, 5, srv.programs, srv.limits["rehearse_after_seconds"])
        except BaseException:  # noqa: BLE001 - the process ends here in any case
            if code == SETUP_FAILED:
                os.write(2, f"sandbox setup failed: {traceback.format_exc()[-800:]}".encode())
        finally:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                try:
                    if stream is not None:
                        stream.flush()
                except BaseException:  # noqa: BLE001, S110 - nothing left to report to
                    pass
            os._exit(code)

    def _verdict(self, status: int, cpu: float, timed_out: bool) -> dict[str, Any] | None:
        """Why the child ended before its stream was complete (a reason, see codes.py)."""
        lim = self.limits
        if timed_out:
            return {"code": WALL_TIMEOUT, "seconds": lim["wall_seconds"]}
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            sig = signal.Signals(-code) if -code in signal.Signals._value2member_map_ else None
            if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= lim["cpu_seconds"] - 0.05:
                return {"code": CPU_TIMEOUT, "seconds": lim["cpu_seconds"]}
            return {"code": KILLED, "signal": sig.name if sig else str(-code)}
        if code == SETUP_FAILED:
            return {"code": NOT_CONFINED}
        if code != 0:
            return {"code": EXITED, "exit_code": code}
        return None

    def _sweep(self) -> None:
        """Without seccomp a process could leave the group (setsid): in our own PID namespace,
        kill everything running as the sandbox uid, from a helper with that uid."""
        srv = self.server
        if srv.conf.seccomp_program is not None or not srv.config.get("pid_namespace"):
            return
        if srv.uid is None:
            return
        helper = os.fork()
        if helper == 0:
            try:
                os.setresgid(srv.uid, srv.uid, srv.uid)
                os.setresuid(srv.uid, srv.uid, srv.uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(helper, 0)


def _kill_group(pid: int) -> None:
    """Kill the child and its process group (the child may not have called setsid yet)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return wire.CHUNK.pack(kind, len(payload)) + payload


def _available(fd: int) -> int:
    return int.from_bytes(fcntl.ioctl(fd, FIONREAD, b"\0\0\0\0"), sys.byteorder)


def _splice_all(src: int, dst: int, size: int) -> int:
    """Move ``size`` bytes from pipe ``src`` to ``dst`` inside the kernel; returns how many
    moved (fewer when ``dst`` is a closed pipe or ``src`` ends early)."""
    moved = 0
    while moved < size:
        try:
            n = os.splice(src, dst, size - moved)
        except BrokenPipeError:
            return moved
        if not n:
            return moved
        moved += n
    return moved


class _Relay:
    """One of the child's output pipes, moved to the grader channel as chunks by splice: the
    first ``cap`` bytes go out, the rest to /dev/null (counted)."""

    def __init__(self, fd: int, kind: bytes, cap: int, sink: int, devnull: int) -> None:
        self.fd, self.kind, self.cap, self.sink, self.devnull = fd, kind, cap, sink, devnull
        self.sent = self.total = 0
        try:
            self.large = fcntl.fcntl(fd, F_GETPIPE_SZ) >= PIPE_BYTES
        except OSError:
            self.large = False

    def pump(self) -> None:
        """Move what the pipe holds now (never waits for more)."""
        size = _available(self.fd)
        if not size:
            return
        keep = min(size, self.cap - self.sent)
        if keep:
            wire.write_all(self.sink, wire.CHUNK.pack(self.kind, keep))
            if _splice_all(self.fd, self.sink, keep) != keep:
                raise OSError("the grader channel broke in the middle of a chunk")
            self.sent += keep
        if size > keep:
            _splice_all(self.fd, self.devnull, size - keep)
        self.total += size


def _install_fds(fds: dict[int, int]) -> None:
    """Put each source fd at its target number (0, 1, 2...), whatever numbers they had."""
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 256) for target, source in fds.items()}
    for target, source in high.items():
        os.dup2(source, target)
        os.close(source)


def _denied(action: Any) -> bool:
    try:
        action()
    except OSError:
        return True
    return False


def _inet_socket() -> None:
    import socket

    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()


def _fork() -> int:
    """fork(2) through libc, without os.fork's interpreter bookkeeping: the server has one
    thread and holds no lock when it forks, and the bookkeeping (thread states, import lock,
    at-fork hooks) cost each child ~220 page faults, over 1 ms of CPU in a VM. The GIL stays
    held across the call (PyDLL), so the child resumes as the same, only, thread."""
    import ctypes

    pid = int(_LIBC.fork())
    if pid < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return pid


def _prctl(option: int, arg: int) -> None:
    import ctypes

    ctypes.CDLL(None).prctl(option, arg, 0, 0, 0)


def _warm_up(np: Any) -> None:
    """Touch the code paths every job uses, so no child pays for them (or for lazy imports)."""
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32))
    mu, var = x.mean(axis=0), x.var(axis=0)
    y = (x - mu) / np.sqrt(var + 1e-5)
    _ = (y @ y.T, np.einsum("ij,ij->j", y, y), np.maximum(y, 0), (rng.random(y.shape) < 0.5))
    json.dumps({"x": float(y.sum())})


_LIBC: Any = None


def main() -> None:
    global _LIBC
    import ctypes

    _LIBC = ctypes.PyDLL(None, use_errno=True)
    _LIBC.fork.restype = ctypes.c_int
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    config = wire.read_json(proto_in, CONFIG_CAP)
    sys.path += config["sys_path"]  # NumPy's: after the standard library, which it cannot shadow
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import numpy as np

    from . import child  # imported once, with everything it uses, before any fork


    _warm_up(np)  # also in "once" mode: its imports are what children may not be able to do
    child.prepare_process()  # after the warm-up: nothing here draws from np.random again
    server = Server(proto_in, proto_out, config)
    # Everything alive now is shared with every child copy-on-write: keep the collector from
    # walking (and so copying) all of it in each child.
    gc.collect()
    gc.freeze()
    server.serve()

