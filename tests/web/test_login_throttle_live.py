"""``quizsvc serve`` with 2 worker processes: 30 concurrent wrong guesses at one account get
exactly 10 password checks between them (the counter is shared by the workers, and counted
before the check), and nobody else at that address is locked out. Runs on SQLite and, with
QUIZSVC_TEST_DB=postgresql, on PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from live import seed_course, served

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
    with served(tmp_path, fresh_db_url, workers=2, secret="live-throttle") as (base, env, _log):
        seed_course({k: v for k, v in env.items() if k.startswith("QUIZSVC_")})
        with ThreadPoolExecutor(16) as clients:
            statuses = Counter(clients.map(lambda _: attempt(base, STUDENT, "a-wrong-guess"), range(30)))
        assert statuses == Counter({401: 10, 429: 20})  # per-process counters let 19-23 through
        assert attempt(base, STUDENT, PASSWORD) == 429  # the account waits out its window
        assert attempt(base, PROF, PASSWORD) == 302  # another user at the same address does not
