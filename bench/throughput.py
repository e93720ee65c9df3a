"""Throughput of code submissions through the HTTP API, end to end.

Posts N submissions (a mix of correct and buggy solutions) with concurrent clients, once against
``quizsvc serve`` on SQLite (in-process dispatcher) and once against gunicorn + Celery workers +
PostgreSQL + Redis, and reports accepted/s, graded/s, p50/p99 seconds from POST to graded, and
the number lost (accepted but never graded; must be 0). Last line: one JSON object.

    .venv/bin/python bench/throughput.py [--n 2000] [--clients 16] [--setups default,scaleout]

``--stub-grader runner|all`` (default setup only) measures the ceiling of the web, database and
dispatch path: the server is started through ``bench/stub_serve.py``, which replays sandbox
outcomes (``runner``: judging still runs) or whole grade results (``all``) for repeated sources.
It is a benchmark-only switch: nothing in the service reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("QUIZSVC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("QUIZSVC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def solutions() -> list[str]:
    from quizsvc.grading import registry

    a = registry.get("layernorm")
    good = [s.source for s in a.solutions]
    bad = [m.source for m in a.mistakes][:4] if hasattr(a.mistakes[0], "source") else []
    bad = bad or [good[0] + "\n\ndef layernorm_backward(dout, cache):\n    raise ValueError('todo')\n"]
    return good + bad


def seed(env: dict[str, str]) -> str:
    os.environ.update(env)
    from quizsvc import migrate
    from quizsvc.app import create_app
    from quizsvc.db import get_engine, get_session
    from quizsvc.models import CourseRole
    from quizsvc.services import accounts, courses, tokens
    from quizsvc.services.assignments import ensure_course_assignments

    app = create_app()
    with app.app_context():
        migrate.upgrade(get_engine())
        s = get_session()
        prof = accounts.create_user(s, f"p{uuid.uuid4().hex[:6]}@bench.local", "p", "benchmark-password",
                                    can_create_courses=True)
        course = courses.create_course(s, prof, f"bench-{uuid.uuid4().hex[:6]}", "bench")
        ensure_course_assignments(s, course)
        student = accounts.create_user(s, f"s{uuid.uuid4().hex[:6]}@bench.local", "s", "benchmark-password")
        courses.enroll(s, student, course, CourseRole.STUDENT)
        secret = tokens.create_token(s, student, "bench", "read,submit")[1]
    get_engine(app).dispose()
    return secret


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wait_ready(log: Path, workers: int | None, seconds: float = 60) -> None:
    """Until every worker of ``quizsvc serve`` has logged that it takes requests."""
    from quizsvc.cli.server import READY, default_workers

    workers = workers or default_workers()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count(READY) >= workers:
            return
        time.sleep(0.05)
    raise RuntimeError(f"not every worker of {workers} became ready; see {log}")


class Client:
    """One submitting client on a socket of its own, kept alive between requests (as wrk's
    connections are; ``keep_alive=False``: a new connection per request, as separate CI jobs
    would open). Each distinct request is encoded once, and responses are read with a minimal
    HTTP/1.1 parser: the load generator shares the server's two cores, so its own CPU per
    request is kept small. Never retries: a POST may have been accepted already."""

    def __init__(self, base: str, token: str, keep_alive: bool) -> None:
        url = urllib.parse.urlsplit(base)
        self.address = (url.hostname or "127.0.0.1", url.port or 80)
        self.keep_alive, self.token = keep_alive, token
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.requests: dict[str, bytes] = {}

    def _request(self, code: str) -> bytes:
        raw = self.requests.get(code)
        if raw is None:
            body = json.dumps({"code": code}).encode()
            head = (f"POST /api/v1/assignments/layernorm/submissions HTTP/1.1\r\n"
                    f"Host: {self.address[0]}:{self.address[1]}\r\n"
                    f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    + ("" if self.keep_alive else "Connection: close\r\n") + "\r\n")
            raw = self.requests[code] = head.encode() + body
        return raw

    def post(self, code: str) -> int | None:
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=30)
                self.buffer = b""
            self.sock.sendall(self._request(code))
            status, close, body = self._response()
        except (OSError, ValueError):
            self.close()
            return None
        if close or not self.keep_alive:
            self.close()
        return int(json.loads(body)["id"]) if status == 202 else None

    def _response(self) -> tuple[int, bool, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers.get("connection", "").lower() == "close", body

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ValueError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def run_load(base: str, token: str, db_url: str, n: int, clients: int, timeout: float,
             keep_alive: bool = True) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from quizsvc.db import make_engine
    from quizsvc.models import Submission, SubmissionStatus

    codes = solutions()
    posted: dict[int, float] = {}
    failures = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def client() -> None:
        nonlocal failures
        http_client = Client(base, token, keep_alive)
        for i in counter:
            t = time.time()
            sid = http_client.post(codes[i % len(codes)])
            with lock:
                if sid is None:
                    failures += 1
                else:
                    posted[sid] = t
        http_client.close()

    start = time.time()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    accept_secs = time.time() - start
    engine = make_engine(db_url)
    deadline = time.time() + timeout
    ids = list(posted)
    # Poll with a count the status index answers alone: reading status or finished_at from the
    # rows means reading past each row's source, which costs the server's machine real CPU.
    unfinished = (select(func.count()).select_from(Submission)
                  .where(Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING]),
                         Submission.id.in_(ids)))
    while time.time() < deadline:
        with Session(engine) as s:
            if not s.scalar(unfinished):
                break
        time.sleep(0.5)
    with Session(engine) as s:  # once: when each finished (queued, running or error: not graded)
        rows = s.execute(select(Submission.id, Submission.finished_at, Submission.status)
                         .where(Submission.id.in_(ids))).all()
    done = {r.id: r.finished_at.timestamp() for r in rows if r.status == SubmissionStatus.GRADED}
    engine.dispose()
    latencies = sorted(done[i] - posted[i] for i in done)
    last = max(done.values()) if done else start

    def pct(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3) if latencies else None

    return {"submitted": n, "accepted": len(posted), "refused": failures,
            "accepted_per_s": round(len(posted) / accept_secs, 1),
            "graded": len(done), "graded_per_s": round(len(done) / max(1e-9, last - start), 1),
            "p50_s": pct(0.5), "p99_s": pct(0.99), "lost": len(posted) - len(done)}


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def bench_default(n: int, clients: int, timeout: float, stub: str = "",
                  serve_workers: int | None = None, keep_alive: bool = True,
                  serve_threads: int | None = None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="qz-bench-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    env = {"QUIZSVC_DATABASE_URL": db_url, "QUIZSVC_INSTANCE_PATH": str(tmp), "QUIZSVC_SUBMIT_RATE_PER_MIN": "1000000",
           "QUIZSVC_BROKER_URL": "", "QUIZSVC_PASSWORD_HASH_FAST": "1"}
    token = seed(env)
    port = free_port()
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115
    prog = [str(BIN / "quizsvc")]
    if stub:
        prog = [sys.executable, str(ROOT / "bench" / "stub_serve.py")]
        env["QUIZSVC_BENCH_STUB"] = stub
    opts = ["--workers", str(serve_workers)] if serve_workers else []  # else serve's default
    opts += ["--threads", str(serve_threads)] if serve_threads else []
    procs = [subprocess.Popen([*prog, "serve", "--no-demo", "--port", str(port), *opts],
                              env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)]
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        # /health answers as soon as one worker is warm; clients that connect before the others
        # are would all keep their connection to that one. Measure the steady state instead.
        wait_ready(tmp / "serve.log", serve_workers)
        return run_load(f"http://127.0.0.1:{port}", token, db_url, n, clients, timeout, keep_alive)
    finally:
        stop(procs)
        log.close()


def bench_scaleout(n: int, clients: int, timeout: float, workers: int,
                   keep_alive: bool = True) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    name = f"quizsvc_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="qz-bench-"))
    env = {"QUIZSVC_DATABASE_URL": db_url, "QUIZSVC_INSTANCE_PATH": str(tmp), "QUIZSVC_SUBMIT_RATE_PER_MIN": "1000000",
           "QUIZSVC_BROKER_URL": REDIS, "QUIZSVC_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:6]}",
           "QUIZSVC_SECRET_KEY": "bench", "QUIZSVC_PASSWORD_HASH_FAST": "1"}
    token = seed(env)
    port = free_port()
    full_env = {**os.environ, **env}
    log = open(tmp / "procs.log", "wb")  # noqa: SIM115
    procs = [subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "--threads", "8", "-b", f"127.0.0.1:{port}",
                               "quizsvc.wsgi:app"], env=full_env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)]
    procs += [subprocess.Popen([str(BIN / "quizsvc"), "worker", "--loglevel", "WARNING"], env=full_env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True) for _ in range(workers)]
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        time.sleep(3)  # workers connect
        return run_load(f"http://127.0.0.1:{port}", token, db_url, n, clients, timeout, keep_alive)
    finally:
        stop(procs)
        log.close()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="Celery worker processes (scale-out setup)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for grading to finish")
    ap.add_argument("--setups", default="default,scaleout")
    ap.add_argument("--serve-workers", type=int, default=None,
                    help="default setup: 'quizsvc serve --workers N' (default: serve's own default)")
    ap.add_argument("--serve-threads", type=int, default=None,
                    help="default setup: 'quizsvc serve --threads T' (default: serve's own default)")
    ap.add_argument("--stub-grader", choices=["runner", "all"], default="",
                    help="benchmark only (default setup): replay sandbox outcomes ('runner') or whole "
                         "grades ('all') to measure the web/database/dispatch ceiling")
    ap.add_argument("--new-connections", action="store_true",
                    help="each request on a new connection (as separate CI jobs), instead of one "
                         "kept-alive connection per client")
    args = ap.parse_args()
    keep_alive = not args.new_connections
    out: dict[str, Any] = {"benchmark": "submission_throughput", "n": args.n, "clients": args.clients,
                           "cores": os.cpu_count(), "keep_alive": keep_alive}
    if args.stub_grader:
        out["stub_grader"] = args.stub_grader
    for setup in args.setups.split(","):
        res = (bench_default(args.n, args.clients, args.timeout, args.stub_grader, args.serve_workers,
                             keep_alive, args.serve_threads)
               if setup == "default"
               else bench_scaleout(args.n, args.clients, args.timeout, args.workers, keep_alive))
        print(f"{setup:9} {res}", flush=True)
        out[setup] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main()
