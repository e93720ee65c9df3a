"""``quizsvc serve`` with 2 worker processes: 30 concurrent wrong guesses at one account get
exactly 10 password checks between them (the counter is shared by the workers, and counted
before the check), and nobody else at that address is locked out. Runs on SQLite and, with
QUIZSVC_TEST_DB=postgresql, on PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from live import free_port, seed_course, start_process, wait_for_health, wait_for_log

from quizsvc.cli.server import READY

BIN = Path(sys.executable).parent
STUDENT, PROF, PASSWORD = "s@example.com", "prof@example.com", "correct-horse-battery"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a 302 (logged in) is the answer, not a page to follow


def attempt(base: str, email: str, password: str) -> int:
    """One browser: load the login page (session + CSRF token), then post the form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                         NoRedirect())
    with opener.open(f"{base}/login", timeout=30) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
    assert token
    form = urllib.parse.urlencode({"email": email, "password": password,
                                   "csrf_token": token.group(1)}).encode()
    try:
        with opener.open(f"{base}/login", data=form, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_two_workers_share_the_login_counters(tmp_path: Path, database_url: str, fresh_db_url: str) -> None:
    env = {**os.environ, "QUIZSVC_DATABASE_URL": fresh_db_url, "QUIZSVC_BROKER_URL": "",
           "QUIZSVC_INSTANCE_PATH": str(tmp_path / "inst"), "QUIZSVC_SECRET_KEY": "live-throttle",
           "QUIZSVC_PASSWORD_HASH_FAST": "1", "QUIZSVC_POOL_SIZE": "1"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        start_process(procs, env, [str(BIN / "quizsvc"), "serve", "--no-demo", "--port", str(port),
                                   "--workers", "2"], log)
        wait_for_health(base, 90, log)
        deadline = time.monotonic() + 60
        while log.read_text(errors="replace").count(READY) < 2 and time.monotonic() < deadline:
            wait_for_log(log, READY, 60)
            time.sleep(0.1)
        assert log.read_text(errors="replace").count(READY) == 2, "both workers take requests"
        seed_course({k: v for k, v in env.items() if k.startswith("QUIZSVC_")})

        with ThreadPoolExecutor(16) as clients:
            statuses = Counter(clients.map(lambda _: attempt(base, STUDENT, "a-wrong-guess"), range(30)))
        assert statuses == Counter({401: 10, 429: 20})  # per-process counters let 19-23 through
        assert attempt(base, STUDENT, PASSWORD) == 429  # the account waits out its window
        assert attempt(base, PROF, PASSWORD) == 302  # another user at the same address does not
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
