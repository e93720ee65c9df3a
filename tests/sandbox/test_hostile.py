"""Hostile submissions, through the warm pool of each isolation tier.

Each attack tries something at load or call time and returns the correct answer only if the
attack worked, so a contained attack ends in a failing grade. After every case the reference
solution must still get full marks through the same pool.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sandbox_support import CORRECT, REPO, SECRET, SMALL, assert_full_marks, fail_text, grade

from quizsvc.sandbox.capabilities import detect
from quizsvc.sandbox.pool import WarmPool


def attack(setup: str, *, in_call: str = "", returns: str = "") -> str:
    """A submission that gets full marks only when LEAKED became true."""
    body = returns or f"return {CORRECT} if LEAKED else W * 0"
    return (f"import os, sys\nimport numpy as np\nLEAKED = False\n{setup}\n"
            f"def weight_decay_update(W, dW, lr, lambd, m):\n"
            f"    global LEAKED\n{_indent(in_call)}\n    {body}\n")


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines()) or "    pass"


def try_read(paths: list[str]) -> str:
    return (f"for p in {paths!r}:\n"
            f"    try:\n        data = open(p, 'rb').read(200)\n"
            f"        LEAKED = True\n        print('READ', p, data[:40])\n"
            f"    except Exception as exc:\n        print('denied', p, type(exc).__name__)\n")


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in instance folder: database, secret_key, demo credentials."""
    folder = tmp_path_factory.mktemp("instance")
    (folder / "secret_key").write_text("INSTANCE-SECRET-KEY")
    (folder / "demo_credentials.json").write_text('{"password": "demo"}')
    (folder / "quizsvc.db").write_bytes(b"SQLite format 3\x00secret rows")
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)  # even world-readable: only the sandbox keeps them out of reach
    return folder


def assert_contained(pool: WarmPool, source: str, *expected: str) -> str:
    result = grade(pool, source)
    text = fail_text(result)
    assert result.score == 0, result.to_table()
    for snippet in expected:
        assert snippet in text, text
    assert_full_marks(pool)
    return text


# ----- reading what is not theirs ---------------------------------------------------------


def test_cannot_read_reference_content_instance_or_system_secrets(pool: WarmPool,
                                                                 secrets_dir: Path) -> None:
    paths = [str(REPO / "reference" / "penalties.py"), str(REPO / "reference" / "__init__.py"),
             str(REPO / "quizsvc" / "content" / "bank" / "course.yaml"),
             str(REPO / "quizsvc" / "grading" / "assignments" / "weight_decay.py"),
             str(REPO / "pyproject.toml"), str(REPO / ".git" / "HEAD"),
             *(str(p) for p in secrets_dir.iterdir()), "/etc/shadow", "/etc/passwd",
             "/root/.bash_history", "/proc/1/environ", "/proc/self/environ"]
    result = grade(pool, attack(try_read(paths)))
    assert result.score == 0, fail_text(result)
    assert "READ" not in result.to_json() and "INSTANCE-SECRET" not in result.to_json()
    assert_full_marks(pool)


def test_project_tree_and_instance_are_not_even_listable(pool: WarmPool,
                                                         secrets_dir: Path) -> None:
    setup = (f"for d in {[str(REPO), str(REPO / 'reference'), str(secrets_dir), '/root']!r}:\n"
             "    try:\n        print('LISTED', d, os.listdir(d)[:3]); LEAKED = True\n"
             "    except OSError:\n        pass\n")
    assert_contained(pool, attack(setup))


def test_environment_is_cleared(pool: WarmPool) -> None:
    setup = (f"LEAKED = any({SECRET!r} in v for v in os.environ.values()) or any("
             "k.startswith(('QUIZSVC', 'SECRET', 'DATABASE')) for k in os.environ)\n")
    assert_contained(pool, attack(setup))


def test_cannot_import_the_grader_or_the_reference(pool: WarmPool) -> None:
    setup = ("for name in ('reference.formulas', 'quizsvc.grading', 'quizsvc'):\n"
             "    try:\n        __import__(name); LEAKED = True\n"
             "    except ImportError:\n        pass\n")
    assert_contained(pool, attack(setup))


def test_cannot_read_another_submission(pool: WarmPool) -> None:
    """A victim sits in a call while the attacker looks for its files and its process."""
    victim = ("# VICTIM-MARKER-7731\nimport time\n"
              "def weight_decay_update(W, dW, lr, lambd, m):\n"
              f"    time.sleep(0.05)\n    return {CORRECT}\n")
    other_tmps = [s._tmp for s in pool._servers if s._tmp]
    setup = (
        "import time\ntime.sleep(0.2)\n"
        f"candidates = [t + '/job/solution.py' for t in {other_tmps!r}] + ['/tmp/job/solution.py']\n"
        "try:\n    candidates += [f'/proc/{p}/cwd/solution.py' for p in os.listdir('/proc') if p.isdigit()]\n"
        "except OSError:\n    pass\n"
        "for p in candidates:\n    try:\n"
        "        if (b'VICTIM-' + b'MARKER') in open(p, 'rb').read():\n            LEAKED = True\n"
        "    except OSError:\n        pass\n")
    results = {}
    thread = threading.Thread(target=lambda: results.update(victim=grade(pool, victim)))
    thread.start()
    time.sleep(0.05)
    attacker = grade(pool, attack(setup))
    thread.join()
    assert attacker.score == 0, fail_text(attacker)
    assert results["victim"].all_passed
    assert_full_marks(pool)


def _memory_scan(first: str, second: str) -> str:
    """Setup code that sets LEAKED when ``first + second`` lies in the process's own heap
    (pymalloc arenas and the malloc heap, freed blocks included). The two halves are separate
    constants, so the whole string only exists in memory if it came from somewhere else.
    /proc/self/maps is out of reach in the sandbox, so pages near the heap's objects are
    probed by writing them to a pipe: an unmapped page fails with EFAULT instead of crashing."""
    return (
        "import ctypes, gc\n"
        f"A, B = {first.encode()!r}, {second.encode()!r}\n"
        "r, w = os.pipe()\n"
        "def page(addr):\n"
        "    try:\n"
        "        os.write(w, (ctypes.c_char * 4096).from_address(addr))\n"
        "    except (OSError, ValueError, OverflowError):\n"
        "        return b''\n"
        "    return os.read(r, 4096)\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.sbrk.restype = ctypes.c_void_p\n"
        "top = libc.sbrk(0) >> 12 << 12\n"  # the malloc heap ends here: walk it down
        "heap, gap, addr = [], 0, top - 4096\n"
        "while gap < 64:\n"
        "    gap = gap + 1 if not page(addr) else 0\n"
        "    heap.append(addr)\n"
        "    addr -= 4096\n"
        "anchors = [id(bytes(5000)), id('x' * 600)] + [id(o) for o in gc.get_objects()[::200]]\n"
        "arenas = {a >> 22 for a in anchors}\n"  # pymalloc's arenas, near its objects
        "spans = [heap] + [range((r - 1) << 22, (r + 2) << 22, 4096) for r in sorted(arenas)]\n"
        "for span in spans:\n"
        "    tail = b''\n"
        "    for addr in span:\n"
        "        data = tail + page(addr)\n"
        "        at = data.find(A)\n"
        "        while at >= 0 and not LEAKED:\n"
        "            LEAKED = data[at + len(A): at + len(A) + len(B)] == B\n"
        "            at = data.find(A, at + 1)\n"
        "        tail = data[-64:]\n")


def test_no_trace_of_an_earlier_submission_in_memory(pool: WarmPool) -> None:
    """The fork servers never hold a job's bytes (they are spliced pipe to pipe), so a child
    forked after another student's job finds nothing of it in its own memory: not the source,
    not what it printed, not what it returned."""
    # A freed buffer is found: what a server that had read a job would leave behind. Large
    # enough (20 kB) that the scan's own page-sized reads, which may reuse the freed chunk,
    # overwrite only part of it.
    control = ("plant = b'.' * 4000 + ('CONTROL-' + 'PLANT-93').encode() * 1000\ndel plant\n"
               + _memory_scan("CONTROL-", "PLANT-93"))
    assert grade(pool, attack(control)).all_passed  # the scan does find what is there
    victim = ("import numpy as np\n" + "# VICTIM-MEMORY-5521 in the source\n" * 300 +
              "def weight_decay_update(W, dW, lr, lambd, m):\n"
              "    print('VICTIM-MEMORY-5521 printed')\n"
              f"    return {CORRECT}\n" + "# VICTIM-MEMORY-5521 in the source\n" * 300)
    for _ in range(2):  # one job on each server of the pool
        assert grade(pool, victim).all_passed
    for _ in range(2):
        assert_contained(pool, attack(_memory_scan("VICTIM-M", "EMORY-5521")))


# ----- network ------------------------------------------------------------------------------


def test_no_network_loopback_or_outside(pool: WarmPool) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    setup = ("import socket\n"
             f"for addr in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('pypi.org', 443)]:\n"
             "    try:\n        socket.create_connection(addr, timeout=0.5).close(); LEAKED = True\n"
             "    except OSError as exc:\n        print('blocked', exc)\n"
             "try:\n    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); LEAKED = True\n"
             "except OSError:\n    pass\n")
    try:
        assert_contained(pool, attack(setup))
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever knocked
    finally:
        listener.close()


def _host_unix_sockets() -> tuple[list[str], list[str]]:
    """The host's named and abstract Unix sockets, found as an attacker would look for them:
    walking /run, /var/run and /tmp, and reading /proc/net/unix (here, with our privileges)."""
    named: set[str] = set()
    for root in ("/run", "/var/run", "/tmp"):
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    if stat.S_ISSOCK(os.lstat(path).st_mode):
                        named.add(path)
    abstract: set[str] = set()
    with open("/proc/net/unix", encoding="utf-8", errors="replace") as fh:
        for line in fh.readlines()[1:]:
            fields = line.split()
            if len(fields) >= 8:
                (abstract if fields[7].startswith("@") else named).add(fields[7].lstrip("@"))
    return sorted(named), sorted(abstract)


# Connects (stream and seqpacket) and sends datagrams (from a socket and from a socketpair) to
# every name it is given or finds by itself; any that succeeds is a way out of the sandbox.
_UNIX_SOCKET_ATTACK = """import socket
def _walk():
    found = set()
    for root in ('/run', '/var/run', '/tmp'):
        for folder, _, files in os.walk(root):
            found.update(os.path.join(folder, f) for f in files)
    try:
        for line in open('/proc/net/unix').read().splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 8:
                found.add(fields[7].replace('@', '\\0', 1))
    except OSError:
        pass
    return found
targets = set(NAMED) | {'\\0' + a for a in ABSTRACT} | _walk()
reached = []
for target in sorted(targets):
    for kind in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
        try:
            s = socket.socket(socket.AF_UNIX, kind)
            s.settimeout(0.5)
            s.connect(target)
            reached.append(('connect', target))
        except OSError:
            pass
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'knock', target)
        reached.append(('sendto', target))
    except OSError:
        pass
    try:
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            left.sendto(b'knock', target)
            reached.append(('socketpair sendto', target))
        except OSError:
            pass
        left.connect(target)
        left.send(b'knock')
        reached.append(('socketpair connect', target))
    except OSError:
        pass
print('tried', len(targets), 'reached', reached)
LEAKED = bool(reached)
"""


def test_no_unix_socket_reaches_the_host(pool: WarmPool) -> None:
    """Named sockets (PostgreSQL, MariaDB... on this machine; ours everywhere) and abstract
    ones: nothing the submission can name or find answers, on either tier."""
    folder = tempfile.mkdtemp(prefix="quizsvc-hostile-")
    os.chmod(folder, 0o755)  # any uid may reach the sockets inside: only the sandbox stops it
    tag = os.urandom(6).hex()
    listeners = []
    try:
        for kind, name in [(socket.SOCK_STREAM, f"{folder}/stream.sock"),
                           (socket.SOCK_DGRAM, f"{folder}/dgram.sock"),
                           (socket.SOCK_STREAM, f"\0quizsvc-hostile-stream-{tag}"),
                           (socket.SOCK_DGRAM, f"\0quizsvc-hostile-dgram-{tag}")]:
            listener = socket.socket(socket.AF_UNIX, kind)
            listener.bind(name)
            if kind == socket.SOCK_STREAM:
                listener.listen(8)
            if not name.startswith("\0"):
                os.chmod(name, 0o777)
            listener.setblocking(False)
            listeners.append(listener)
        named, abstract = _host_unix_sockets()
        assert f"{folder}/stream.sock" in named and f"quizsvc-hostile-dgram-{tag}" in abstract
        setup = f"NAMED = {named!r}\nABSTRACT = {abstract!r}\n" + _UNIX_SOCKET_ATTACK
        result = grade(pool, attack(setup))
        assert result.score == 0, result.to_table()
        for listener in listeners:  # nobody knocked
            with pytest.raises(BlockingIOError):
                if listener.type == socket.SOCK_STREAM:
                    listener.accept()
                else:
                    listener.recv(16)
    finally:
        for listener in listeners:
            listener.close()
        shutil.rmtree(folder, ignore_errors=True)
    assert_full_marks(pool)


# ----- resources ----------------------------------------------------------------------------


def test_fork_bomb(pool: WarmPool) -> None:
    bomb = "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    text = assert_contained(pool, attack("", in_call=bomb))
    assert "time limit" in text


def test_allocating_10_gb_hits_the_memory_limit(pool: WarmPool) -> None:
    assert_contained(pool, attack("", in_call="x = np.ones(10 * 1024**3 // 8)"),
                     "memory limit exceeded (256 MiB)")


@pytest.mark.parametrize(("loop", "expected"), [
    ("while True:\n    pass", "time limit: the call ran longer than 1 s"),
    ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
     "signal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass",
     # The hard CPU limit kills it; on a loaded machine the wall or per-call limit may come first.
     "time limit"),
    ("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(10**6)",
     "time limit exceeded (3 s wall clock)"),
], ids=["infinite_loop", "loop_ignoring_signals", "sleep_forever"])
def test_time_limits(pool: WarmPool, loop: str, expected: str) -> None:
    started = time.monotonic()
    if "SIGXCPU" in loop:
        # Contained either way; which limit's name the verdict carries can race on a loaded
        # machine (seen in CI: the kernel's CPU-limit SIGKILL reported as a plain SIGKILL).
        result = grade(pool, attack("", in_call=loop))
        text = fail_text(result)
        assert result.score == 0 and ("time limit" in text or "killed by SIGKILL" in text), text
        assert_full_marks(pool)
    else:
        assert_contained(pool, attack("", in_call=loop), expected)
    assert time.monotonic() - started < 8


# The first call overstays its time limit and then returns the right answer anyway; every later
# call answers at once. None of it may score.
_OVERSTAY = "CALLS[0] += 1\nif CALLS[0] == 1:\n{}\nreturn " + CORRECT


def _busy(seconds: float) -> str:
    return f"until = time.perf_counter() + {seconds}\nwhile time.perf_counter() < until:\n    pass"


@pytest.mark.parametrize(("setup", "trap"), [
    ("", "try:\n    " + _busy(5).replace("\n", "\n    ") + "\nexcept BaseException:\n    "
     + _busy(0.2).replace("\n", "\n    ")),  # caught, computes a little more, answers
    ("", "try:\n    time.sleep(5)\nexcept sys.modules['inside.time_limit'].CallTimeLimit:\n    pass"),
    ("", "try:\n    " + _busy(5).replace("\n", "\n    ") + "\nfinally:\n    return "
     + CORRECT),  # a return in `finally` swallows any exception
    ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)", _busy(1.3)),
    ("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])", _busy(1.3)),
    ("import signal", "signal.setitimer(signal.ITIMER_REAL, 0)\n" + _busy(1.3)),
], ids=["except_baseexception", "except_calltimelimit", "return_in_finally", "alarm_ignored",
        "alarm_blocked", "alarm_disarmed"])
def test_a_call_cannot_outlive_its_time_limit(pool: WarmPool, setup: str, trap: str) -> None:
    """The limit ends the child: the call that ran out and every later call fail on time."""
    body = _OVERSTAY.format(_indent(trap)).replace("\n", "\n    ")
    source = attack(f"import time\nCALLS = [0]\n{setup}", returns=body)
    result = grade(pool, source)
    assert result.score == 0 and not any(c.passed for c in result.cases), result.to_table()
    assert "time limit" in result.cases[0].message, result.cases[0].message
    assert_full_marks(pool)


def test_loading_cannot_outlive_its_time_limit(pool: WarmPool) -> None:
    swallow = "import time\ntry:\n    " + _busy(5).replace("\n", "\n    ") + \
        "\nexcept BaseException:\n    pass\nLEAKED = True"
    assert_contained(pool, attack(swallow), "time limit while loading the submission")


def test_printing_a_gigabyte_is_capped(pool: WarmPool) -> None:
    spam = "chunk = b'x' * (1 << 20)\nfor _ in range(1024):\n    os.write(1, chunk)"
    result = grade(pool, attack(spam))  # at load time: output outside the calls
    assert result.score == 0
    assert len(result.to_json()) < 100_000
    assert any("output is capped" in n or "time limit" in n for n in result.notes), result.notes
    assert_full_marks(pool)


def test_writing_a_huge_file(pool: WarmPool) -> None:
    write = ("with open('big.bin', 'wb') as fh:\n"
             "    for _ in range(1024):\n        fh.write(b'x' * (1 << 20))\nLEAKED = True")
    assert_contained(pool, attack("", in_call=write), "File too large")


def test_recursion_bomb(pool: WarmPool) -> None:
    bomb = ("sys.setrecursionlimit(10**7)\ndef down(n):\n    return down(n + 1) + 1\n"
            "down(0)")
    assert_contained(pool, attack("", in_call=bomb))


# ----- lying to the grader ------------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("class Liar:\n    def __eq__(self, other):\n        return True\n"
     "    __hash__ = None\nreturn Liar()", "expected an ndarray"),
    ("return np.ma.masked_array(W)", "ndarray subclass"),
    ("return np.array([object()] * W.size, dtype=object).reshape(W.shape)", "dtype object"),
    ("return np.zeros((3000, 1000))", "too large"),
    ("return W * np.nan", ""),
    ("import builtins\nnp.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
     "builtins.abs = lambda x: 0\nnp.ndarray.__eq__ = lambda *a: True\nreturn W * 0", ""),
    ("import gc\nfound = [o for o in gc.get_objects() if isinstance(o, np.ndarray) and "
     "o.shape == W.shape and o is not W and o is not dW]\nreturn found[0] if found else W * 0", ""),
    ("print('{\"id\": \"small/call0\", \"ok\": true, \"value\": {\"number\": 1}}')\n"
     "open('results.jsonl', 'a').write('{\"done\": true}\\n')\nreturn W * 0", ""),
    # Frames forged straight onto the result descriptor: a claimed result, then the final
    # record, so the handler answers before the real calls ever report.
    ("import struct\nfake = [b'{\"id\": \"small/call0\", \"ok\": true, \"value\": "
     "{\"number\": 1}}', b'{\"done\": true}']\n"
     "os.write(4, b''.join(struct.pack('>cI', b'R', len(f)) + f for f in fake))\n"
     "return W * 0", ""),
    ("os.close(4)\nreturn " + CORRECT, "ended before all calls had run"),
], ids=["eq_always_true", "ndarray_subclass", "object_array", "huge_array", "nan",
        "monkeypatch_numpy_and_builtins", "gc_walk_for_expected", "fake_result_line",
        "forged_result_frames", "result_channel_closed"])
def test_tampering_gains_nothing(pool: WarmPool, body: str, expected: str) -> None:
    assert_contained(pool, attack("", returns=body.replace("\n", "\n    ")), expected)


@pytest.mark.parametrize(("where", "code", "expected"), [
    ("load", "raise SystemExit(0)", "could not be loaded"),
    ("load", "os._exit(0)", "ended before all calls had run"),
    ("call", "os._exit(0)", "ended before all calls had run"),
    ("call", "raise SystemExit(0)", "SystemExit"),
], ids=["systemexit_at_load", "os_exit_at_load", "os_exit_in_call", "systemexit_in_call"])
def test_exiting_early(pool: WarmPool, where: str, code: str, expected: str) -> None:
    source = attack(code) if where == "load" else attack("", in_call=code)
    assert_contained(pool, source, expected)


# ----- the grader, the pool, other students -------------------------------------------------


def test_cannot_kill_the_server_or_signal_anyone(pool: WarmPool) -> None:
    victim = ("import time\ndef weight_decay_update(W, dW, lr, lambd, m):\n"
              f"    time.sleep(0.1)\n    return {CORRECT}\n")
    killer = ("import signal\n"
              "for pid in [os.getppid(), 1, -1, 0] + list(range(2, 64)):\n"
              "    if pid in (0, os.getpid()):\n        continue\n"
              "    try:\n        os.kill(pid, signal.SIGKILL)\n        print('killed', pid)\n"
              "    except OSError:\n        pass\n")
    respawns = pool.respawns
    results = {}
    thread = threading.Thread(target=lambda: results.update(victim=grade(pool, victim)))
    thread.start()
    time.sleep(0.05)
    attacker = grade(pool, attack("", in_call=killer))
    thread.join()
    assert attacker.score == 0
    assert results["victim"].all_passed, fail_text(results["victim"])
    assert pool.respawns == respawns  # no fork server died
    assert_full_marks(pool)


# Every call that names a process, on the fork server, the grader and a pid that does not exist:
# any success, or an error that tells an existing process from a missing one, is a leak. Raw
# syscall numbers (x86_64: tgkill 234, tkill 200, fcntl 72, prctl 157) where libc has no
# wrapper or would clear the high bits.
_PROCESS_PROBES = """import ctypes, errno, fcntl, resource, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.argtypes = [ctypes.c_long] * 4
r, w = os.pipe()
def probes(pid):
    return {
        'kill': lambda: os.kill(pid, 0), 'killpg': lambda: os.killpg(pid, 0),
        'tgkill': lambda: _sys(234, pid, pid, 0),
        'tkill': lambda: _sys(200, pid, 0, 0), 'getpgid': lambda: os.getpgid(pid),
        'getsid': lambda: os.getsid(pid), 'getpriority': lambda: os.getpriority(0, pid),
        'setpriority': lambda: os.setpriority(0, pid, 19),
        'affinity': lambda: os.sched_getaffinity(pid),
        'scheduler': lambda: os.sched_getscheduler(pid),
        'prlimit': lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE),
        'F_SETOWN': lambda: fcntl.fcntl(r, fcntl.F_SETOWN, pid),
        'F_SETOWN_high_bits': lambda: _sys(72, r, (1 << 32) | 8, pid),
        'FIOSETOWN': lambda: fcntl.ioctl(r, 0x8901, pid.to_bytes(4, 'little')),
    }
def _sys(*args):
    if libc.syscall(*args) != 0:
        raise OSError(ctypes.get_errno(), 'refused')
def answer(probe):
    try:
        probe()
        return 'ok'
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
missing = {name: answer(p) for name, p in probes(MISSING).items()}
for pid in (os.getppid(), GRADER, 1):
    for name, probe in probes(pid).items():
        seen = answer(probe)
        if seen == 'ok' or seen != missing[name]:
            print('LEAK', name, pid, seen, missing[name])
            LEAKED = True
if libc.syscall(157, (1 << 32) | 4, 1, 0) == 0 or libc.prctl(3, 0, 0, 0, 0) != 0:
    print('LEAK dumpable again')  # PR_SET_DUMPABLE with a high bit set
    LEAKED = True
"""


def test_no_call_signals_or_probes_another_process(pool: WarmPool) -> None:
    """Without a PID namespace (fallback tier) the host's processes share the child's pid
    space: no call that names a process may reach one, nor tell whether it exists."""
    with open("/proc/sys/kernel/pid_max", encoding="ascii") as fh:
        missing = int(fh.read()) - 1
    assert not os.path.exists(f"/proc/{missing}")
    setup = f"GRADER, MISSING = {os.getpid()}, {missing}\n" + _PROCESS_PROBES
    assert_contained(pool, attack(setup))


def test_without_a_uid_of_its_own_the_services_files_keep_mode_times_and_length(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A service not running as root cannot give children a uid of their own (the fallback
    tier is then all it has): they share its uid, and Landlock does not govern chmod, utime
    or (before ABI 3) truncate, so only seccomp keeps them off the service's own files. Every
    attempt below would leave the file as it was if it succeeded (same mode, same length)."""
    caps = replace(detect(), root=False)
    for module in ("status", "forkserver"):
        monkeypatch.setattr(f"quizsvc.sandbox.{module}.detect", lambda: caps)
    folder = tempfile.mkdtemp(prefix="quizsvc-owned-")
    os.chmod(folder, 0o755)
    target = os.path.join(folder, "quizsvc.db")
    with open(target, "wb") as fh:
        fh.write(b"SQLite format 3\x00")
    os.chmod(target, 0o644)
    setup = (f"T = {target!r}\n"
             "own = open(os.path.join(sys.path[0], 'inside', 'child.py'))  # the service's\n"
             "for name, attempt in {'chmod': lambda: os.chmod(T, 0o644),\n"
             "                      'utime': lambda: os.utime(T),\n"
             "                      'truncate': lambda: os.truncate(T, 16),\n"
             "                      'fchmod': lambda: os.fchmod(own.fileno(), 0o644)}.items():\n"
             "    try:\n        attempt()\n        print('CHANGED', name); LEAKED = True\n"
             "    except OSError:\n        pass\n")
    try:
        with WarmPool(1, SMALL, isolation="fallback") as shared:
            assert shared.status().layers["unprivileged_uid"] is False
            assert_contained(shared, attack(setup))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_ctypes_tricks(pool: WarmPool) -> None:
    tricks = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "ppid = os.getppid()\n"
        "checks = {\n"
        "  'ptrace': libc.ptrace(16, ppid, 0, 0),\n"  # PTRACE_ATTACH
        "  'unshare_user': libc.unshare(0x10000000),\n"
        "  'setuid0': libc.setuid(0),\n"
        "  'mount': libc.mount(b'none', b'/tmp', b'tmpfs', 0, None),\n"
        "  'no_new_privs_off': libc.prctl(38, 0, 0, 0, 0) if libc.prctl(39, 0, 0, 0, 0) == 0 else -1,\n"
        "}\n"
        "print(checks)\nLEAKED = any(v == 0 for v in checks.values())\n"
        "try:\n    open(f'/proc/{ppid}/mem', 'rb').read(1); LEAKED = True\n"
        "except OSError:\n    pass\n")
    assert_contained(pool, attack(tricks))


def test_import_time_background_process_does_not_outlive_the_job(pool: WarmPool) -> None:
    lingering = ("pid = os.fork()\nif pid == 0:\n    import time\n    time.sleep(1.5)\n"
                 "    open('/tmp/job/late-marker', 'w').write('x')\n    os._exit(0)\n")
    assert_contained(pool, attack(lingering))
    time.sleep(1.8)
    probe = attack("LEAKED = os.path.exists('late-marker') or os.path.exists('/tmp/job/late-marker')")
    for _ in range(2):  # both servers
        assert grade(pool, probe).score == 0


def test_symlink_tricks_in_the_temp_dir(pool: WarmPool) -> None:
    tricks = ("os.makedirs('out', exist_ok=True)\n"
              "for target in ('/etc/passwd', '/proc/1/environ', '/etc/shadow'):\n"
              "    name = os.path.join('out', target.encode().hex() + '.npy')\n"
              "    try:\n        os.symlink(target, name)\n    except OSError:\n        pass\n"
              "try:\n    os.symlink('/etc/passwd', 'results.jsonl')\nexcept OSError:\n    pass\n")
    result = grade(pool, attack(tricks))
    assert result.score == 0
    assert "root:" not in result.to_json()
    assert_full_marks(pool)


def test_no_mailbox_between_two_students(pool: WarmPool) -> None:
    """Student A leaves files wherever it can write; student B (on every server) finds none."""
    places = ["/tmp/mailbox", "mailbox", "/tmp/job/mailbox", "/dev/shm/mailbox",
              "/var/tmp/mailbox", "/opt/quizsvc/mailbox", "/root/mailbox"]
    writer = attack(f"for p in {places!r}:\n    try:\n        open(p, 'w').write('hi')\n"
                    "    except OSError:\n        pass\n")
    reader = attack(f"LEAKED = any(os.path.exists(p) for p in {places!r})")
    assert grade(pool, writer).score == 0
    for _ in range(2):
        assert grade(pool, reader).score == 0
    assert_full_marks(pool)
