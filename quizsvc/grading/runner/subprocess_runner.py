"""Run a submission in a fresh ``python -I`` child process with rlimits and a wall-clock kill.

One process per submission: all its calls are batched into one job. The child gets only the
submission and the inputs (``calls.json`` + ``inputs.npz``) in a private temp dir and returns
``.npy`` files and JSON lines; nothing is unpickled and nothing is compared in the child.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from quizsvc.grading.protocol import CallOutcome, Program, decode_record
from quizsvc.grading.runner import RunOutcome

CHILD_SCRIPT = Path(__file__).with_name("child.py")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 20.0  # the whole job, start-up included
    call_seconds: float = 3.0  # each call (SIGALRM in the child)
    load_seconds: float = 5.0  # executing the submission's top level
    cpu_seconds: int = 20
    address_space_bytes: int = 2048 * MiB  # a NumPy process already maps ~150 MB
    file_size_bytes: int = 128 * MiB
    output_bytes: int = 64 * 1024  # printed straight to stdout/stderr, kept by the grader
    results_bytes: int = 8 * MiB  # results.jsonl
    arrays_bytes: int = 96 * MiB  # all returned .npy files together


def _child_env(workdir: str) -> dict[str, str]:
    # Set before NumPy is imported in the child: BLAS thread pools are pointless here and can hang.
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LC_ALL": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8", **threads}


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.total = 0

    def run(self) -> None:
        while chunk := self.stream.read(65536):
            if len(self.kept) < self.cap:
                self.kept.extend(chunk[: self.cap - len(self.kept)])
            self.total += len(chunk)

    def text(self) -> str:
        return self.kept.decode("utf-8", errors="replace")


class SubprocessRunner:
    def __init__(self, limits: Limits | None = None, python: str | None = None) -> None:
        self.limits = limits or Limits()
        self.python = python or sys.executable

    def _set_limits(self) -> None:  # runs in the child between fork and exec
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_seconds, lim.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (lim.address_space_bytes, lim.address_space_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_size_bytes, lim.file_size_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    def run(self, source: str, program: Program, *, filename: str = "solution.py") -> RunOutcome:
        workdir = tempfile.mkdtemp(prefix="quizsvc-grade-")
        try:
            return self._run_in(workdir, source, program, filename)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run_in(self, workdir: str, source: str, program: Program, filename: str) -> RunOutcome:
        lim = self.limits
        Path(workdir, "solution.py").write_text(source, encoding="utf-8")
        job = {"calls": program.calls, "filename": filename,
               "call_seconds": lim.call_seconds, "load_seconds": lim.load_seconds}
        Path(workdir, "calls.json").write_text(json.dumps(job), encoding="utf-8")
        np.savez(Path(workdir, "inputs.npz"), **program.arrays)

        started = time.perf_counter()
        proc = subprocess.Popen(
            [self.python, "-I", str(CHILD_SCRIPT), workdir],
            cwd=workdir, env=_child_env(workdir), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes its children too
            preexec_fn=self._set_limits,  # noqa: PLW1509 - rlimits must be set before exec
        )
        assert proc.stdout is not None
        reader = _CappedReader(proc.stdout, lim.output_bytes)
        reader.start()
        aborted: str | None = None
        try:
            proc.wait(timeout=lim.wall_seconds)
        except subprocess.TimeoutExpired:
            aborted = f"time limit: the submission was stopped after {lim.wall_seconds:g} s"
        finally:
            _kill_group(proc)
        reader.join(timeout=2)
        proc.stdout.close()
        if aborted is None and proc.returncode != 0:
            aborted = _describe_exit(proc.returncode)

        outcome = RunOutcome(aborted=aborted, seconds=time.perf_counter() - started,
                             stdout=reader.text(), stdout_chars=reader.total)
        records = _read_records(Path(workdir, "results.jsonl"), lim.results_bytes)
        arrays = _read_arrays(Path(workdir, "out"), lim.arrays_bytes)
        _fill_outcome(outcome, records, arrays, program, aborted)
        return outcome


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _describe_exit(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
        hint = " (CPU time limit)" if name == "SIGXCPU" else ""
        return f"the submission's process was killed by {name}{hint}"
    return f"the submission's process exited with code {code}"


def _read_records(path: Path, cap: int) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open("rb") as fh:
        data = fh.read(cap)
    records = []
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a partial last line, or junk
        if isinstance(record, dict):
            records.append(record)
    return records


def _read_arrays(folder: Path, cap: int) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    total = 0
    if not folder.is_dir():
        return arrays
    for path in sorted(folder.glob("*.npy")):
        size = path.stat().st_size
        if total + size > cap:
            break
        total += size
        try:
            key = bytes.fromhex(path.name[: -len(".npy")]).decode()
            arrays[key] = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError):
            continue
    return arrays


def _fill_outcome(outcome: RunOutcome, records: list[dict[str, Any]],
                  arrays: dict[str, np.ndarray], program: Program, aborted: str | None) -> None:
    wanted = {c["id"] for c in program.calls}
    for record in records:
        if "load_error" in record:
            outcome.load_error = str(record["load_error"])[:2000]
            outcome.load_traceback = str(record.get("traceback", ""))[:2000]
        if "load_error" in record or "loaded" in record:
            outcome.stdout = str(record.get("stdout", "")) + outcome.stdout
            outcome.stdout_chars += int(record.get("stdout_chars", 0) or 0)
        elif record.get("id") in wanted and record["id"] not in outcome.outcomes:
            outcome.outcomes[record["id"]] = decode_record(record, arrays)
    first_missing = True
    for call in program.calls:
        if call["id"] in outcome.outcomes:
            continue
        if outcome.load_error:
            error = f"not run: the submission could not be loaded ({outcome.load_error})"
        elif first_missing and aborted:
            error = f"{aborted} during this call"
        else:
            error = "not run: the submission's process had already stopped"
        kind = "timeout" if first_missing and aborted and "time limit" in aborted else "not_run"
        first_missing = False
        outcome.outcomes[call["id"]] = CallOutcome(call["id"], ok=False, error=error, kind=kind)
