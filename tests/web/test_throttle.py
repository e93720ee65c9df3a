"""Login and registration throttles: per account, per client address (behind a configured number
of trusted proxies), per known browser; counters shared through the database, exact under
concurrent increments. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from helpers import IN_CI, csrf_token, login
from sqlalchemy import select
from world import USERS

from quizsvc.app import create_app
from quizsvc.db import get_engine
from quizsvc.models import RateLimitCounter
from quizsvc.settings import build
from quizsvc.web.throttle import storage_url
from quizsvc.web.throttle_storage import DatabaseStorage


def client_at(app: Any, address: str, *, forwarded_for: str | None = None) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def fail_logins(client: Any, email: str, n: int) -> list[int]:
    return [login(client, email, "not-the-password").status_code for _ in range(n)]


def test_an_account_locks_after_ten_failures_from_anywhere_but_not_its_address(w, app):
    attacker = client_at(app, "203.0.113.7")
    assert fail_logins(attacker, USERS["alice"], 10) == [401] * 10
    # the 11th guess is refused before the password is checked, from any address, even a right one
    r = login(client_at(app, "198.51.100.9"), USERS["alice"])
    assert r.status_code == 429
    assert 840 <= int(r.headers["Retry-After"]) <= 900
    assert "15분 뒤에 다시 시도하세요" in r.get_data(as_text=True)
    # nobody else is locked out: not another user at the attacker's address, not one elsewhere
    assert login(client_at(app, "203.0.113.7"), USERS["bob"]).status_code == 302
    assert login(client_at(app, "198.51.100.9"), USERS["ta"]).status_code == 302


def test_the_real_user_on_a_known_browser_is_not_locked_out_by_a_guesser(w, app):
    alices_laptop = client_at(app, "198.51.100.20")
    assert login(alices_laptop, USERS["alice"]).status_code == 302  # sets the device cookie
    alices_laptop.post("/logout", data={"csrf_token": csrf_token(alices_laptop, "/")})
    assert fail_logins(client_at(app, "203.0.113.7"), USERS["alice"], 12)[-1] == 429
    assert login(alices_laptop, USERS["alice"]).status_code == 302
    # the known browser has its own limit for that account
    alices_laptop.post("/logout", data={"csrf_token": csrf_token(alices_laptop, "/")})
    assert fail_logins(alices_laptop, USERS["alice"], 11) == [401] * 10 + [429]


def test_one_address_is_stopped_after_fifty_failures_but_known_browsers_there_are_not(w, app):
    bob = client_at(app, "192.0.2.50")
    assert login(bob, USERS["bob"]).status_code == 302
    bob.post("/logout", data={"csrf_token": csrf_token(bob, "/")})
    sprayer = client_at(app, "192.0.2.50")  # the same NAT address as bob
    statuses = [login(sprayer, f"user{i}@example.com", "Password123!").status_code for i in range(50)]
    assert statuses == [401] * 50
    assert login(sprayer, "user99@example.com", "Password123!").status_code == 429
    assert login(client_at(app, "192.0.2.50"), USERS["ta"]).status_code == 429  # a new browser there
    assert login(bob, USERS["bob"]).status_code == 302  # bob has logged in from this browser before
    assert login(client_at(app, "192.0.2.51"), USERS["ta"]).status_code == 302


def test_successful_logins_do_not_count(w, app):
    classroom = "192.0.2.99"  # a class behind one NAT logs in again and again
    for _ in range(60):
        assert login(client_at(app, classroom), USERS["alice"]).status_code == 302


def test_guessing_the_current_password_counts_against_the_account(w, app):
    alice = client_at(app, "198.51.100.4")
    assert login(alice, USERS["alice"]).status_code == 302
    token = csrf_token(alice, "/account/password")
    body = {"current": "wrong-guess-here", "password": "a-brand-new-passphrase",
            "confirm": "a-brand-new-passphrase", "csrf_token": token}
    assert [alice.post("/account/password", data=body).status_code for _ in range(11)] == [401] * 10 + [429]


def register(client: Any, email: str, password: str = "long-enough-pw") -> Any:
    token = csrf_token(client, "/register")
    return client.post("/register", data={"name": "x", "email": email, "password": password,
                                          "csrf_token": token})


def test_register_does_not_say_an_address_has_an_account_and_probing_is_throttled(w, app):
    prober = client_at(app, "203.0.113.66")
    r = register(prober, USERS["alice"])
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "입력한 정보로 계정을 만들 수 없습니다" in page and "이미 등록된" not in page
    assert [register(prober, f"u{i}@example.com", "short").status_code for i in range(3)] == [400] * 3
    # refused registrations count (10 per hour per address); form errors and successes do not
    statuses = [register(client_at(app, "203.0.113.66"), USERS["bob"]).status_code for _ in range(10)]
    assert statuses == [400] * 9 + [429]
    assert register(client_at(app, "203.0.113.67"), "new.student@example.com").status_code == 302
    for i in range(12):  # a class registering from one address
        assert register(client_at(app, "203.0.113.68"), f"student{i}@example.com").status_code == 302


# --- the proxy setting ----------------------------------------------------------------------


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    apps: list[Any] = []

    def make(**overrides: Any) -> Any:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                          "PASSWORD_HASH_FAST": True, **overrides},
                         instance_path=str(tmp_path / f"instance{len(apps)}"))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["quizsvc.dispatcher"].stop()
        get_engine(app).dispose()


def test_behind_one_trusted_proxy_each_client_is_counted_by_its_forwarded_address(w, make_app):
    proxied = make_app(TRUSTED_PROXIES=1, LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    proxy = "10.0.0.1"  # every request arrives from the proxy
    one = client_at(proxied, proxy, forwarded_for="203.0.113.1")
    assert [login(one, f"x{i}@example.com", "nope-nope-nope").status_code for i in range(4)] == [401] * 3 + [429]
    # another client behind the same proxy is not affected
    assert login(client_at(proxied, proxy, forwarded_for="203.0.113.2"), USERS["alice"]).status_code == 302

    direct = make_app(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")  # default: no proxy trusted
    liar = client_at(direct, "198.51.100.1")
    for i in range(4):  # a forged X-Forwarded-For per request does not escape the limit
        liar.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{i}"
        status = login(liar, f"y{i}@example.com", "nope-nope-nope").status_code
    assert status == 429


# --- the counters ---------------------------------------------------------------------------


def test_storage_defaults_to_a_redis_broker_else_the_database() -> None:
    assert storage_url(build({"BROKER_URL": ""})) == "quizsvc-db://"
    assert storage_url(build({"BROKER_URL": "amqp://guest@rabbit//"})) == "quizsvc-db://"
    assert storage_url(build({"BROKER_URL": "redis://redis:6379/0"})) == "redis://redis:6379/0"
    assert storage_url(build({"BROKER_URL": "redis://r/0", "RATELIMIT_STORAGE_URL": "redis://other/1"})) == "redis://other/1"


def test_database_counters_are_exact_under_concurrent_increments(app):
    storage = DatabaseStorage("quizsvc-db://", engine=get_engine(app))
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: storage.incr("k", 60), range(80)))
    assert sorted(counts) == list(range(1, 81))  # every increment saw its own count
    assert storage.get("k") == 80 and storage.incr("k", 60, amount=-1) == 79
    assert 0 < storage.get_expiry("k") - time.time() <= 60
    storage.clear("k")
    assert storage.get("k") == 0


def test_an_expired_window_starts_again_from_zero(app):
    storage = DatabaseStorage("quizsvc-db://", engine=get_engine(app))
    assert storage.incr("w", 0) == 1  # expires at once
    assert storage.incr("w", 60) == 1
    assert storage.incr("w", 60) == 2


def test_the_counters_hold_no_e_mail_addresses(w, app):
    """Account counters are keyed by an HMAC of the address, not the address itself."""
    fail_logins(client_at(app, "203.0.113.9"), USERS["alice"], 2)
    with w.db() as s:
        keys = list(s.scalars(select(RateLimitCounter.key)))
    assert any("login-account" in k for k in keys)
    assert not any("alice" in k for k in keys)


def test_with_redis_configured_the_counters_live_in_redis(w, make_app):
    url = os.environ.get("QUIZSVC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {url} (CI=true: not skipping)")
        pytest.skip("Redis not reachable")
    app = make_app(RATELIMIT_STORAGE_URL=url)
    storage = app.extensions["quizsvc.throttle"].strategy.storage
    storage.reset()
    try:
        assert fail_logins(client_at(app, "203.0.113.80"), USERS["alice"], 11) == [401] * 10 + [429]
        assert login(client_at(app, "203.0.113.81"), USERS["alice"]).status_code == 429
        assert login(client_at(app, "203.0.113.80"), USERS["bob"]).status_code == 302
        with w.db() as s:
            assert list(s.scalars(select(RateLimitCounter.key))) == []  # nothing in the database
    finally:
        storage.reset()


def test_unreachable_counters_leave_logins_working(w, make_app, caplog):
    app = make_app(RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0")  # nothing listens there
    client = client_at(app, "203.0.113.90")
    assert fail_logins(client, USERS["alice"], 1) == [401]
    assert login(client, USERS["alice"]).status_code == 302
    assert "login throttle storage unreachable" in caplog.text
