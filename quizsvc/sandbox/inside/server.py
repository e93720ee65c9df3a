"""The fork server: runs inside the sandbox and turns each job into one confined child.

Started as ``python -I -S server.py`` with fd 0/1 as the channel to the grader (see wire.py).
It reads one config frame, imports NumPy and exercises it once, compiles the seccomp filter and
the Landlock rule set, checks with a probe child that every layer really holds, and answers
``hello``. Then, per job::

    server ──fork──> job handler ──fork──> child (setsid, rlimits, uid, NNP, Landlock, seccomp)

The job handler (trusted, short-lived) is forked as soon as the previous job is done, and forks
the child straight away: the child confines itself while nobody waits. The handler
then takes the next request off the grader channel, pipes the job to the waiting child,
supervises it (wall clock, output caps) and relays the child's result stream; as soon as that
stream ends with its final record, the answer goes out and the child is killed and reaped
afterwards, off the clock. The long-lived server never reads a job, so no fork can find a
submission's bytes in memory. Between jobs the server wipes the temp dir, so no file survives
for the next student either. In ``once`` mode (the cold runner) it serves a single job and exits.
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

if __name__ == "__main__":  # run as a script under -I: its own folder is not on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # type: ignore[import-not-found]  # noqa: E402 - flat import, see inside/__init__.py

CONFIG_CAP = 1 << 20
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
SETUP_FAILED = 71  # exit code of a child that could not be confined (it never ran the code)
HANDLER_STOP, HANDLER_FAILED = 80, 81  # job handler exit codes (0: answered a job)
TAKEN, ANSWERED = b"t", b"a"  # what a job handler tells the server through its status pipe
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
        failures = 0
        while True:
            self._wipe()
            status_r, status_w = os.pipe()
            handler = os.fork()
            if handler == 0:
                os.close(status_r)
                code = HANDLER_FAILED
                try:
                    code = JobHandler(self, status_w).run()
                finally:
                    os._exit(code)
            os.close(status_w)
            _, status = os.waitpid(handler, 0)
            marks = _read_marks(status_r)
            self._reap()
            code = os.waitstatus_to_exitcode(status)
            if code == HANDLER_STOP:
                return
            if TAKEN in marks and ANSWERED not in marks:
                wire.write_json(self.proto_out, {"error": "the job handler failed"})
            if TAKEN not in marks:
                failures += 1  # failed before taking a request: the request is still unread
                if failures > 3:
                    return  # the grader sees the channel close and starts a fresh server
                continue
            failures = 0
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

    def __init__(self, server: Server, status_fd: int) -> None:
        self.server = server
        self.limits = server.limits
        self.status_fd = status_fd
        import child  # type: ignore[import-not-found]  # already imported, before any fork

        self.done_frame: bytes = child.DONE_FRAME

    def run(self) -> int:
        srv = self.server
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the server dies: the job goes with it
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans come back to us, to be killed and reaped
        os.mkdir(srv.jobdir, 0o700)
        if srv.uid is not None:
            os.chown(srv.jobdir, srv.uid, srv.uid)
        out_r, out_w = os.pipe()
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self._child({0: os.open("/dev/null", os.O_RDWR), 1: out_w, 2: out_w, 3: job_r,
                         4: res_w})
        for fd in (out_w, job_r, res_w):
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        try:
            request = wire.read_json(srv.proto_in, CONFIG_CAP)
        except wire.WireError:
            request = {"stop": True}  # the grader closed the channel: shut down
        if request.get("stop"):
            _kill_group(pid)
            os.waitpid(pid, 0)
            return HANDLER_STOP
        os.write(self.status_fd, TAKEN)
        lim = self.limits
        frames = [wire.read_frame(srv.proto_in, cap) for cap in (
            CONFIG_CAP, CONFIG_CAP * 16, lim["source_cap"], lim["inputs_cap"])]
        started = time.monotonic()
        try:
            for frame in frames:
                wire.write_frame(job_w, frame)
        except OSError:
            pass  # the child is gone: _supervise reports how it ended
        os.close(job_w)
        del frames
        header, blob, done = self._supervise(pid, pidfd, out_r, res_r, started)
        wire.write_json(srv.proto_out, header)
        wire.write_frame(srv.proto_out, blob)
        os.write(self.status_fd, ANSWERED)
        if done:  # answered without waiting: now kill and reap, off the clock
            _kill_group(pid)
            os.waitpid(pid, 0)
            self._sweep()
        return 0

    def _supervise(self, pid: int, pidfd: int, out_r: int, res_r: int,
                   started: float) -> tuple[dict[str, Any], bytes, bool]:
        lim = self.limits
        out, res = _Capped(out_r, lim["output_bytes"]), _Capped(res_r, lim["results_bytes"]
                                                                 + lim["arrays_bytes"])
        readers, deadline = [out_r, res_r, pidfd], started + lim["wall_seconds"]
        timed_out = done = exited = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready = select.select(readers, [], [], left)[0]
            if out_r in ready and not out.read():
                readers.remove(out_r)
            if res_r in ready and not res.read():
                readers.remove(res_r)
                if res.ends_with(self.done_frame):  # the child sent everything: answer now
                    done = True
                    break
            if pidfd in ready:
                exited = True
                break
        wall = time.monotonic() - started
        header: dict[str, Any] = {"wall": round(wall, 6), "aborted": None, "exit_code": None}
        if done:
            out.drain(0.0)
        else:
            _kill_group(pid)
            _, status, usage = os.wait4(pid, 0)
            self._sweep()
            for stream in (res, out):
                stream.drain(0.5 if exited else 0.05)
            cpu = usage.ru_utime + usage.ru_stime
            header.update(cpu=round(cpu, 6), exit_code=os.waitstatus_to_exitcode(status),
                          aborted=self._verdict(status, cpu, timed_out))
        os.close(pidfd)
        os.close(out_r)
        os.close(res_r)
        header["stdout_total"] = out.total
        header["sizes"] = {"stdout": len(out.kept), "results": len(res.kept)}
        return header, bytes(out.kept) + bytes(res.kept), done

    def _child(self, fds: dict[int, int]) -> None:
        """The submission's process: confine, wait for the job and run it, with
        child.py's protocol on fds 3 (job in) and 4 (results out). Never returns."""
        code = SETUP_FAILED
        try:
            os.setsid()  # its own process group, so the kill reaches everything it starts
            _install_fds(fds)
            jobdir = self.server.jobdir
            os.chdir(jobdir)
            os.environ.update(HOME=jobdir, TMPDIR=jobdir)
            if "tempfile" in sys.modules:  # it cached the server's temp dir: use the job's
                tempfile_module: Any = sys.modules["tempfile"]  # ModuleType: .tempdir is untyped
                tempfile_module.tempdir = None
            self.server.confine.apply(self.server.conf, self.server.confine.mapped_bytes())
            os.closerange(len(fds), MAXFD)  # the grader channel above all: no forged answers
            import child  # type: ignore[import-not-found]

            code = SETUP_FAILED + 1
            code = child.main(3, 4)
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


class _Capped:
    """One of the child's output pipes: keeps the first ``cap`` bytes, counts the rest."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.cap = fd, cap
        self.kept = bytearray()
        self.total = 0

    def read(self) -> bool:
        """Read what is there; False at end of stream."""
        chunk = os.read(self.fd, 1 << 16)
        if len(self.kept) < self.cap:
            self.kept += chunk[: self.cap - len(self.kept)]
        self.total += len(chunk)
        return bool(chunk)

    def ends_with(self, suffix: bytes) -> bool:
        return self.total == len(self.kept) and self.kept.endswith(suffix)

    def drain(self, seconds: float) -> None:
        """Read what is left once the writers are dead or done (bounded wait: a grandchild
        that escaped the kill could hold the pipe open)."""
        deadline = time.monotonic() + seconds
        while select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            if not self.read() or time.monotonic() >= deadline:
                break


def _install_fds(fds: dict[int, int]) -> None:
    """Put each source fd at its target number (0, 1, 2...), whatever numbers they had."""
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 256) for target, source in fds.items()}
    for target, source in high.items():
        os.dup2(source, target)
        os.close(source)


def _read_marks(fd: int) -> bytes:
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 16)
    except BlockingIOError:
        return b""
    finally:
        os.close(fd)


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
