"""Each isolation layer really holds inside a child, per tier; levels, refusal, cold mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import replace

import numpy as np
import pytest
from sandbox_support import CORRECT, SMALL, assert_full_marks, grade, require, require_tier

from quizsvc import settings as app_settings
from quizsvc.grading import grade_source, registry
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.subprocess_runner import SubprocessRunner
from quizsvc.grading.selfcheck import reference_source
from quizsvc.sandbox.capabilities import detect
from quizsvc.sandbox.pool import WarmPool
from quizsvc.sandbox.status import (
    SandboxUnavailable,
    choose_tier,
    enforce,
    expected_status,
    probed_status,
)

REPORT = """import os, json, ctypes, resource
libc = ctypes.CDLL(None)
print(json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "no_new_privs": libc.prctl(39, 0, 0, 0, 0), "seccomp": libc.prctl(21, 0, 0, 0, 0),
    "dumpable": libc.prctl(3, 0, 0, 0, 0), "nproc": resource.getrlimit(resource.RLIMIT_NPROC),
    "cpu": resource.getrlimit(resource.RLIMIT_CPU), "fsize": resource.getrlimit(resource.RLIMIT_FSIZE),
    "nofile": resource.getrlimit(resource.RLIMIT_NOFILE), "env": sorted(os.environ),
    "pid": os.getpid(), "cwd": os.getcwd(), "hostname": os.uname().nodename,
}))
def f(x):
    return x
"""


def report(pool: WarmPool) -> dict:  # type: ignore[type-arg]
    b = ProgramBuilder("c")
    b.call("f", b.array(np.ones(2)))
    outcome = pool.run(REPORT, b.program)
    assert outcome.outcomes["c/call0"].ok, outcome
    return json.loads(outcome.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_every_layer_holds_in_the_child(pool: WarmPool) -> None:
    seen, other = report(pool), report(pool)  # one from each of the pool's two servers
    assert seen["uid"] == seen["euid"] == seen["gid"] >= 1_000_000_000 and seen["groups"] == []
    assert other["uid"] != seen["uid"]  # per-server uids: no shared RLIMIT_NPROC, no signals
    assert seen["no_new_privs"] == 1 and seen["seccomp"] == 2 and seen["dumpable"] == 0
    assert seen["nproc"] == [SMALL.processes] * 2
    assert seen["cpu"] == [2, 2] and seen["fsize"] == [SMALL.file_size_bytes] * 2
    assert seen["nofile"] == [SMALL.open_files] * 2
    assert not any(k.startswith(("QUIZSVC", "SECRET")) for k in seen["env"])
    assert set(seen["env"]) <= {"PATH", "LC_ALL", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE",
                                "PYTHONHASHSEED", "HOME", "PWD", "TMPDIR", "OPENBLAS_NUM_THREADS",
                                "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                                "VECLIB_MAXIMUM_THREADS"}
    status = pool.status()
    if pool.tier == "bwrap":
        assert status.level == "full" and status.missing == []
        assert seen["pid"] < 10 and seen["cwd"] == "/tmp/job"  # a private PID namespace
    else:
        assert status.level == "reduced" and status.missing == ["namespaces"]
        assert seen["pid"] != os.getpid()


def test_the_grader_is_non_dumpable(pool: WarmPool) -> None:
    import ctypes

    grade(pool, f"def weight_decay_update(W, dW, lr, lambd, m):\n    return {CORRECT}\n")
    assert ctypes.CDLL(None).prctl(3, 0, 0, 0, 0) == 0


def test_rng_is_reseeded_for_every_job_like_the_cold_runner(pool: WarmPool) -> None:
    source = ("import numpy as np\ndef f(x):\n    return np.random.rand(3)\n")
    b = ProgramBuilder("c")
    b.call("f", b.array(np.ones(2)))
    draws = [pool.run(source, b.program).outcomes["c/call0"].value for _ in range(3)]
    cold = SubprocessRunner(SMALL, isolation=pool.tier).run(source, b.program)
    np.random.seed(0)
    expected = np.random.rand(3)
    for draw in [*draws, cold.outcomes["c/call0"].value]:
        np.testing.assert_array_equal(draw, expected)


def test_a_killed_fork_server_is_respawned(pool: WarmPool) -> None:
    assert_full_marks(pool)  # the servers are up (they start lazily)
    before = pool.respawns
    for server in pool._servers:
        if server.alive:
            assert server.proc is not None
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
    assert_full_marks(pool)
    assert_full_marks(pool)
    assert pool.respawns > before


@pytest.mark.parametrize("tier", ["bwrap", "fallback"])
def test_cold_runner_same_layers_same_grades(tier: str) -> None:
    require_tier(tier)
    runner = SubprocessRunner(SMALL, isolation=tier)
    for slug in ("batchnorm", "dropout"):
        result = grade_source(slug, reference_source(registry.get(slug)), runner=runner)
        assert result.all_passed and result.score == result.max_score
    assert runner.last_status is not None
    assert runner.last_status.level == ("full" if tier == "bwrap" else "reduced")
    hostile = "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\n"
    assert "could not be loaded" in " ".join(grade_source("weight_decay", hostile,
                                                          runner=runner).notes)


def test_warm_and_cold_grades_are_identical() -> None:
    assignment = registry.get("batchnorm")
    sources = [reference_source(assignment), assignment.mistakes[0].source]
    with WarmPool(1, SMALL) as warm:
        cold = SubprocessRunner(SMALL)
        for source in sources:
            a = grade_source("batchnorm", source, runner=warm)
            b = grade_source("batchnorm", source, runner=cold)
            assert [(c.name, c.passed, c.message) for c in a.cases] == \
                   [(c.name, c.passed, c.message) for c in b.cases]
            assert a.mistake_keys == b.mistake_keys


def test_grades_are_the_same_whether_the_waiting_child_rehearsed_or_not() -> None:
    """A job sent right after the previous one finds a child that skipped its rehearsal; one
    sent after a pause finds a child that rehearsed with stand-ins. Neither may change a grade."""
    limits = replace(SMALL, rehearse_after_seconds=0.05)
    assignment = registry.get("batchnorm")
    sources = [reference_source(assignment), assignment.mistakes[0].source]
    with WarmPool(1, limits) as warm:
        grade_source("batchnorm", sources[0], runner=warm)  # the server knows the program now
        for source in sources:
            eager = grade_source("batchnorm", source, runner=warm)
            time.sleep(limits.rehearse_after_seconds * 4)
            rehearsed = grade_source("batchnorm", source, runner=warm)
            assert [(c.name, c.passed, c.message, c.points) for c in eager.cases] == \
                   [(c.name, c.passed, c.message, c.points) for c in rehearsed.cases]
            assert eager.mistake_keys == rehearsed.mistake_keys
    assert eager.score < eager.max_score  # the mistake really failed (and the reference passed)


def test_minimum_level_refuses_with_a_clear_error() -> None:
    b = ProgramBuilder("c")
    b.call("f", b.array(np.ones(2)))
    with WarmPool(1, SMALL, isolation="fallback", min_level="full") as weak, \
            pytest.raises(SandboxUnavailable, match="requires 'full'"):
        weak.run("def f(x):\n    return x\n", b.program)
    with pytest.raises(SandboxUnavailable, match="requires 'full'"):
        SubprocessRunner(SMALL, isolation="fallback", min_level="full").run(
            "def f(x):\n    return x\n", b.program)
    with WarmPool(1, SMALL, isolation="fallback", min_level="reduced") as ok:
        assert ok.run("def f(x):\n    return x\n", b.program).outcomes["c/call0"].ok


@pytest.mark.parametrize(("missing", "threat"), [
    ({"landlock_abi": 0}, "without landlock the project's files"),
    ({"seccomp": False}, "without seccomp the host's Unix sockets"),
], ids=["no_landlock", "no_seccomp"])
def test_the_fallback_tier_refuses_to_grade_without_the_layer_a_threat_needs(
        monkeypatch: pytest.MonkeyPatch, missing: dict[str, object], threat: str) -> None:
    """Without namespaces, Landlock alone keeps the project's files unreadable and seccomp
    alone keeps the host's sockets out of reach: missing either, grading is refused at any
    level, with the reason; the bubblewrap tier's namespaces cover both."""
    caps = replace(detect(), **missing)  # type: ignore[arg-type]
    for module in ("status", "forkserver"):
        monkeypatch.setattr(f"quizsvc.sandbox.{module}.detect", lambda: caps)
    b = ProgramBuilder("c")
    b.call("f", b.array(np.ones(2)))
    with WarmPool(1, SMALL, isolation="fallback") as weak, \
            pytest.raises(SandboxUnavailable, match=f"grading refused: .*{threat}"):
        weak.run("def f(x):\n    return x\n", b.program)
    with pytest.raises(SandboxUnavailable, match=threat):
        SubprocessRunner(SMALL, isolation="fallback").run("def f(x):\n    return x\n", b.program)
    assert expected_status("fallback", caps).unsafe
    assert expected_status("bwrap", caps).unsafe == []
    enforce(expected_status("bwrap", caps))  # not refused
    layer = "landlock" if "landlock_abi" in missing else "seccomp"
    probe = {"uid": 1_000_000_000, "groups": [], "no_new_privs": 1, "dumpable": 0, "nproc": 8,
             "seccomp_mode": 2, "landlock": True}
    probe["seccomp_mode" if layer == "seccomp" else "landlock"] = 0
    assert probed_status("fallback", probe).unsafe  # a layer that fails in the child counts too


def test_health_says_which_threat_refuses_grading(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app.extensions["quizsvc.settings"] = app_settings.of(app).model_copy(
        update={"sandbox_force_fallback": True})
    client = app.test_client()
    body = client.get("/health").get_json()
    assert body["sandbox"]["tier"] == "fallback" and body["sandbox"]["unsafe"] == []
    assert body["sandbox"]["grading_refused"] is None
    assert any("/proc/<pid>" in line for line in body["sandbox"]["exposed"])
    caps = replace(detect(), seccomp=False)
    monkeypatch.setattr("quizsvc.sandbox.status.detect", lambda: caps)
    body = client.get("/health").get_json()
    assert body["status"] == "degraded"
    assert "Unix sockets" in body["sandbox"]["grading_refused"]
    assert body["sandbox"]["unsafe"] == [
        "without seccomp the host's Unix sockets (PostgreSQL, MySQL, Redis...) could be reached"]


def test_force_fallback_setting() -> None:
    forced = app_settings.from_environment(environ={"QUIZSVC_SANDBOX_FORCE_FALLBACK": "1"})
    assert choose_tier(forced.sandbox_isolation) == "fallback"
    assert "namespaces" in expected_status(choose_tier(forced.sandbox_isolation)).missing
    assert app_settings.from_environment(environ={}).sandbox_isolation == "auto"
    assert choose_tier("fallback") == "fallback"


def test_closing_a_pool_leaves_no_process_behind() -> None:
    with WarmPool(2, SMALL) as warm:
        warm.start()
        pids = [s.proc.pid for s in warm._servers if s.proc]
    assert len(pids) == 2
    leftover = subprocess.run(["ps", "-eo", "pid,pgid,cmd"], capture_output=True, text=True,
                              check=True).stdout
    pgids = {line.split()[1] for line in leftover.splitlines()[1:]}
    assert not {str(p) for p in pids} & pgids


def test_health_reports_the_isolation_level(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/health").get_json()
    sandbox = body["sandbox"]
    assert sandbox["level"] in ("full", "reduced", "minimal")
    assert set(sandbox["layers"]) >= {"namespaces", "seccomp", "landlock", "unprivileged_uid"}
    assert isinstance(sandbox["missing"], list) and sandbox["grading_refused"] is None


def test_grade_local_cold_and_isolation_options(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from quizsvc.cli import main

    solution = tmp_path / "solution.py"
    solution.write_text(reference_source(registry.get("weight_decay")))
    cli = CliRunner()
    for extra in (["--cold"], ["--isolation", "fallback"]):
        done = cli.invoke(main, ["grade-local", "--assignment", "weight_decay", *extra,
                                 str(solution)])
        assert done.exit_code == 0, done.output
        assert "score: 7 / 7" in done.output
    refused = cli.invoke(main, ["grade-local", "--assignment", "weight_decay", "--isolation",
                                "fallback", str(solution)],
                         env={"QUIZSVC_SANDBOX_MIN_LEVEL": "full"})
    assert refused.exit_code == 2 and "grading refused" in refused.output


ORDINARY = """import os, sys, time, math, random, statistics, functools, itertools, collections
import json, io, tempfile, threading, socket
import numpy as np
print(time.time() > 0, time.perf_counter() > 0, os.getcwd(), os.cpu_count())
with open('scratch.txt', 'w') as fh:
    fh.write('x')
os.rename('scratch.txt', 'moved.txt')
os.remove('moved.txt')
with tempfile.TemporaryDirectory() as folder:
    with open(os.path.join(folder, 'a'), 'w') as fh:
        fh.write('y')
worker = threading.Thread(target=lambda: sum(range(1000)))
worker.start()
worker.join()
left, right = socket.socketpair()  # AF_UNIX, as multiprocessing uses it
left.sendall(b'ping')
assert right.recv(4) == b'ping'
import fcntl, resource, shutil, signal
with open('locked', 'w') as fh:  # commands the seccomp filter enumerates for fcntl and ioctl
    fcntl.flock(fh, fcntl.LOCK_EX)
    fcntl.lockf(fh, fcntl.LOCK_UN)
    os.set_blocking(fh.fileno(), False)
    os.set_inheritable(fh.fileno(), True)
    assert not os.isatty(fh.fileno())
print(shutil.get_terminal_size(), resource.getrlimit(resource.RLIMIT_NOFILE))
print(os.sched_getaffinity(0), os.getpriority(os.PRIO_PROCESS, 0), os.getpgid(0), os.getsid(0))
os.kill(os.getpid(), 0)  # signals to itself, its process group, its threads
os.kill(0, 0)
signal.signal(signal.SIGUSR1, lambda *a: print('got SIGUSR1'))
signal.raise_signal(signal.SIGUSR1)
signal.pthread_kill(threading.get_ident(), 0)
random.seed(1)
print(random.random(), np.random.default_rng().random(), os.urandom(4).hex())
print(np.linalg.svd(np.ones((5, 5)))[1][0], np.fft.fft(np.arange(4.0))[0])
sys.stderr.write('to stderr\\n')
time.sleep(0.01)
pid = os.fork()
if pid == 0:
    os._exit(3)
assert os.waitpid(pid, 0)[1] >> 8 == 3
def weight_decay_update(W, dW, lr, lambd, m):
    return """ + CORRECT + "\n"


def test_ordinary_library_calls_pass_the_syscall_allow_list(pool: WarmPool) -> None:
    result = grade(pool, ORDINARY)
    assert result.all_passed, result.to_table()


REFUSED = """import os, ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
refused = {}
for name, attempt in {
    "exec": lambda: subprocess.run(["/usr/bin/true"]),
    "setsid": os.setsid,
    "setpgid": lambda: os.setpgid(0, 0),
    "dumpable_again": lambda: libc.prctl(4, 1, 0, 0, 0) and (_ for _ in ()).throw(OSError()),
    # PR_SET_DUMPABLE with a high bit set: the kernel reads a 32-bit option
    "dumpable_high_bits": lambda: libc.syscall(*map(ctypes.c_long, (157, 1 << 32 | 4, 1)))
    and (_ for _ in ()).throw(OSError()),
    "inet_socket": lambda: __import__("socket").socket(),
    "unix_socket": lambda: __import__("socket").socket(1),
    "datagram_socketpair": lambda: __import__("socket").socketpair(1, 2),
}.items():
    try:
        attempt()
        refused[name] = False
    except OSError:
        refused[name] = True
assert libc.prctl(3, 0, 0, 0, 0) == 0, "dumpable again"
print(refused)
LEAKED = not all(refused.values())
def weight_decay_update(W, dW, lr, lambd, m):
    return """ + CORRECT + " if not LEAKED else W * 0\n"


def test_the_allow_list_refuses_exec_sessions_dumpability_and_sockets(pool: WarmPool) -> None:
    require("seccomp" not in pool.status().missing, "no seccomp here")  # never on our machines
    result = grade(pool, REFUSED)
    assert result.all_passed, result.to_table()
