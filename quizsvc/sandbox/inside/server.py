"""The fork server: runs inside the sandbox and turns each job into one confined child.

Started as ``python -I -S server.py`` with fd 0/1 as the channel to the grader (see wire.py).
It reads one config frame, imports NumPy and exercises it once, compiles the seccomp filter and
the Landlock rule set, checks with a probe child that every layer really holds, and answers
``hello``. Then, per job::

    server ──fork──> job handler ──fork──> child (setsid, rlimits, uid, NNP, Landlock, seccomp)

The job handler (trusted, short-lived) reads the job, writes it into the private temp dir,
supervises the child (wall clock, output cap), packs the outputs and exits; the long-lived
server never holds a submission's bytes, so the next fork cannot find them in memory. Between
jobs the server wipes the temp dir, so no file survives for the next student either.
In ``once`` mode (the cold runner) it serves a single job and exits.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import select
import shutil
import signal
import stat
import sys
import time
import traceback
from typing import Any

if __name__ == "__main__":  # run as a script under -I: its own folder is not on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # type: ignore[import-not-found]  # noqa: E402 - flat import, see inside/__init__.py

CONFIG_CAP = 1 << 20
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
SETUP_FAILED = 71  # exit code of a child that could not be confined (it never ran the code)
MAXFD = 1 << 16
PRELOAD = ("socket", "zipfile", "math", "cmath", "random", "statistics", "collections", "itertools", "functools",
           "operator", "copy", "dataclasses", "typing", "numbers", "decimal", "fractions",
           "numpy.typing", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma",
           "numpy.lib.stride_tricks")


class Server:
    def __init__(self, proto_in: int, proto_out: int, config: dict[str, Any]) -> None:
        self.proto_in, self.proto_out, self.config = proto_in, proto_out, config
        self.limits: dict[str, Any] = config["limits"]
        self.tmp = config["tmp"]
        self.jobdir = os.path.join(self.tmp, "job")
        self.uid: int | None = config.get("uid")
        self.errors: list[str] = []
        import confine  # type: ignore[import-not-found]
        import landlock_rules  # type: ignore[import-not-found]
        import seccomp_filter  # type: ignore[import-not-found]

        self.confine = confine
        program = ruleset = None
        if config.get("seccomp"):
            try:
                program = seccomp_filter.compile_filter()
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
        while True:
            try:
                request = wire.read_json(self.proto_in, CONFIG_CAP)
            except wire.WireError:
                return  # the grader closed the channel: shut down
            if request.get("stop"):
                return
            self._wipe()
            handler = os.fork()
            if handler == 0:
                code = 1
                try:
                    code = JobHandler(self).run()
                finally:
                    os._exit(code)
            _, status = os.waitpid(handler, 0)
            self._reap()
            self._wipe()
            if os.waitstatus_to_exitcode(status) != 0:
                wire.write_json(self.proto_out, {"error": "the job handler failed"})
            if self.config.get("mode") == "once":
                return

    def _reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def _wipe(self) -> None:
        """Empty the private temp dir: nothing one submission wrote is left for the next."""
        for name in os.listdir(self.tmp):
            path = os.path.join(self.tmp, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


class JobHandler:
    """One job, in a process forked from the clean server; exits when the answer is sent."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.limits = server.limits

    def run(self) -> int:
        srv = self.server
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the server dies: the job goes with it
        source = wire.read_frame(srv.proto_in, self.limits["source_cap"])
        job = wire.read_frame(srv.proto_in, CONFIG_CAP * 16)
        inputs = wire.read_frame(srv.proto_in, self.limits["inputs_cap"])
        os.mkdir(srv.jobdir, 0o700)
        if srv.uid is not None:
            os.chown(srv.jobdir, srv.uid, srv.uid)
        for name, data in (("solution.py", source), ("calls.json", job), ("inputs.npz", inputs)):
            fd = os.open(os.path.join(srv.jobdir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o644)
            os.write(fd, data)
            os.close(fd)
        dirfd = os.open(srv.jobdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans come back to us, to be killed and reaped
        header, blob = self._supervise(dirfd)
        wire.write_json(srv.proto_out, header)
        wire.write_frame(srv.proto_out, blob)
        return 0

    def _supervise(self, dirfd: int) -> tuple[dict[str, Any], bytes]:
        lim = self.limits
        r, w = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            self._child(w)
        os.close(w)
        pidfd = os.pidfd_open(pid)
        kept, total, timed_out = bytearray(), 0, False
        readers, deadline = [r, pidfd], started + lim["wall_seconds"]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready = select.select(readers, [], [], left)[0]
            if r in ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    readers.remove(r)
                elif len(kept) < lim["output_bytes"]:
                    kept += chunk[: lim["output_bytes"] - len(kept)]
                total += len(chunk)
            if pidfd in ready:
                break
        wall = time.monotonic() - started
        _kill_group(pid)
        _, status, usage = os.wait4(pid, 0)
        os.close(pidfd)
        self._sweep()
        total += _drain(r, kept, lim["output_bytes"])
        os.close(r)
        cpu = usage.ru_utime + usage.ru_stime
        header: dict[str, Any] = {"wall": round(wall, 6), "cpu": round(cpu, 6),
                                  "minflt": usage.ru_minflt,
                                  "aborted": self._verdict(status, cpu, timed_out),
                                  "exit_code": os.waitstatus_to_exitcode(status),
                                  "stdout_total": total}
        parts = [bytes(kept)]
        results = _read_file(dirfd, "results.jsonl", lim["results_bytes"], self.server.uid)
        parts.append(results)
        arrays, budget = [], lim["arrays_bytes"]
        for name, data in _read_arrays(dirfd, budget, self.server.uid):
            arrays.append([name, len(data)])
            parts.append(data)
        header["sizes"] = {"stdout": len(kept), "results": len(results)}
        header["arrays"] = arrays
        os.close(dirfd)
        return header, b"".join(parts)

    def _child(self, w: int) -> None:
        """The submission's process: confine, then run child.py's protocol. Never returns."""
        code = SETUP_FAILED
        try:
            os.setsid()  # its own process group, so the kill reaches everything it starts
            devnull = os.open("/dev/null", os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(w, 1)
            os.dup2(w, 2)
            jobdir = self.server.jobdir
            os.chdir(jobdir)
            os.environ.update(HOME=jobdir, TMPDIR=jobdir)
            self.server.confine.apply(self.server.conf, self.server.confine.mapped_bytes())
            os.closerange(3, MAXFD)  # the grader channel above all: no forged answers
            import child  # type: ignore[import-not-found]

            code = SETUP_FAILED + 1
            code = child.main(jobdir)
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

    def _verdict(self, status: int, cpu: float, timed_out: bool) -> str | None:
        lim = self.limits
        if timed_out:
            wall = lim["wall_seconds"]
            return (f"time limit exceeded ({wall:g} s wall clock): the submission was stopped "
                    f"after {wall:g} s")
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            sig = signal.Signals(-code) if -code in signal.Signals._value2member_map_ else None
            if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= lim["cpu_seconds"] - 0.05:
                return f"time limit exceeded ({lim['cpu_seconds']:.1f} s CPU)"
            return f"the submission's process was killed by {sig.name if sig else -code}"
        if code == SETUP_FAILED:
            return "the sandbox could not confine the submission; it was not run"
        if code != 0:
            return f"the submission's process exited with code {code}"
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


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _drain(fd: int, kept: bytearray, cap: int) -> int:
    """Read what is left in the output pipe once every writer is dead (bounded wait)."""
    total, deadline = 0, time.monotonic() + 0.5
    while time.monotonic() < deadline and select.select([fd], [], [], 0.05)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        if len(kept) < cap:
            kept += chunk[: cap - len(kept)]
        total += len(chunk)
    return total


def _open_regular(dirfd: int, name: str, uid: int | None) -> int | None:
    """Open a file the child wrote, refusing symlinks, FIFOs, devices and hard links."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or (uid is not None and st.st_uid != uid):
        os.close(fd)
        return None
    return fd


def _read_file(dirfd: int, name: str, cap: int, uid: int | None) -> bytes:
    fd = _open_regular(dirfd, name, uid)
    if fd is None:
        return b""
    try:
        return os.read(fd, cap)
    finally:
        os.close(fd)


def _read_arrays(dirfd: int, budget: int, uid: int | None) -> list[tuple[str, bytes]]:
    try:
        outfd = os.open("out", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
    except OSError:
        return []
    found = []
    try:
        names = sorted(n for n in os.listdir(outfd) if n.endswith(".npy") and len(n) < 250)
        for name in names[:4096]:
            data = _read_file(outfd, name, budget + 1, uid)
            if not data or len(data) > budget:
                continue
            budget -= len(data)
            found.append((name, data))
    finally:
        os.close(outfd)
    return found


def _denied(action: Any) -> bool:
    try:
        action()
    except OSError:
        return True
    return False


def _inet_socket() -> None:
    import socket

    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()


def _prctl(option: int, arg: int) -> None:
    import ctypes

    ctypes.CDLL(None).prctl(option, arg, 0, 0, 0)


def _warm_up(np: Any) -> None:
    """Touch the code paths every job uses, so no child pays for them (or for lazy imports)."""
    import importlib
    import io

    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32))
    mu, var = x.mean(axis=0), x.var(axis=0)
    y = (x - mu) / np.sqrt(var + 1e-5)
    _ = (y @ y.T, np.einsum("ij,ij->j", y, y), np.maximum(y, 0), (rng.random(y.shape) < 0.5))
    buffer = io.BytesIO()
    np.savez(buffer, a=y)
    buffer.seek(0)
    dict(np.load(buffer, allow_pickle=False))
    buffer = io.BytesIO()
    np.save(buffer, y, allow_pickle=False)
    json.dumps({"x": float(y.sum())})


def main() -> None:
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    config = wire.read_json(proto_in, CONFIG_CAP)
    sys.path[:0] = config["sys_path"]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import child  # type: ignore[import-not-found]  # noqa: F401 - imported once, before any fork
    import numpy as np

    _warm_up(np)  # also in "once" mode: its imports are what children may not be able to do
    server = Server(proto_in, proto_out, config)
    # Everything alive now is shared with every child copy-on-write: keep the collector from
    # walking (and so copying) all of it in each child.
    gc.collect()
    gc.freeze()
    server.serve()


if __name__ == "__main__":
    main()
