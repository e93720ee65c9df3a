"""Fault test of the default setup: ``quizsvc serve`` (SQLite, in-process dispatcher, batched
grading) is killed with -9 in the middle of a burst, while grading threads hold claimed
batches, and started again; every accepted submission must end graded exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from live import (
    free_port,
    post_submission,
    seed_course,
    start_process,
    wait_all_graded,
    wait_for_health,
)

from quizsvc.cli.server import READY
from quizsvc.grading import registry

BIN = Path(sys.executable).parent
# Each takes a tenth of a second to load, so a burst leaves claimed batches behind.
# Loading takes 0.1 s, so a burst leaves claims in flight when the server is killed. The sleep
# sits in a default argument (run when the module loads): top-level statements that the graded
# functions do not use are skipped before grading.
_HEAD = "def layernorm_forward(x, gamma, beta, ln_param):\n"
_SOURCE = registry.get("layernorm").solutions[0].source
assert _HEAD in _SOURCE
GOOD = "import time\n" + _SOURCE.replace(
    _HEAD, "def layernorm_forward(x, gamma, beta, ln_param, _slow=time.sleep(0.1)):\n")
BAD = GOOD + "\n\ndef layernorm_backward(dout, cache):\n    raise ValueError('todo')\n"


def test_serve_killed_mid_burst_loses_nothing_and_grades_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    env = {**os.environ, "QUIZSVC_DATABASE_URL": url, "QUIZSVC_BROKER_URL": "",
           "QUIZSVC_INSTANCE_PATH": str(tmp_path / "inst"), "QUIZSVC_SECRET_KEY": "faults",
           "QUIZSVC_LEASE_SECONDS": "2", "QUIZSVC_SWEEP_SECONDS": "1",
           "QUIZSVC_SUBMIT_RATE_PER_MIN": "100000", "QUIZSVC_PASSWORD_HASH_FAST": "1"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    procs: list[subprocess.Popen[bytes]] = []
    argv = [str(BIN / "quizsvc"), "serve", "--no-demo", "--port", str(port), "--workers", "1"]

    def serve() -> subprocess.Popen[bytes]:
        before = log.read_text(errors="replace").count(READY) if log.exists() else 0
        p = start_process(procs, env, argv, log)
        wait_for_health(base, 60, log)
        # The worker said it was warm (sandbox pool up) before it answered anything.
        assert log.read_text(errors="replace").count(READY) == before + 1
        return p

    try:
        serve()  # migrates the new database first
        token = seed_course({k: v for k, v in env.items() if k.startswith("QUIZSVC_")})
        codes = [GOOD if i % 3 else BAD for i in range(45)]
        with ThreadPoolExecutor(8) as clients:  # a burst: a backlog, batches claimed
            accepted = list(clients.map(lambda code: post_submission(base, token, code), codes[:30]))
        os.killpg(procs[-1].pid, signal.SIGKILL)  # no goodbye
        procs[-1].wait(10)
        serve()  # its start-up sweep takes the queued rows, later ones the expired claims
        accepted += [post_submission(base, token, code) for code in codes[30:]]
        assert None not in accepted
        rows = wait_all_graded(url, accepted, 90)  # type: ignore[arg-type]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
    by_id = {r.id: r for r in rows}
    for i, sid in enumerate(accepted):
        assert (by_id[sid].score == by_id[sid].max_score) == bool(i % 3), sid  # type: ignore[index]
    assert [r.id for r in rows if r.grade_count != 1] == []  # graded exactly once
    assert any(r.deliveries > 1 for r in rows), "the kill left no claim to take over"
