"""Throttling of password guesses and registrations, shared by every worker and machine.

The counters are the ``limits`` library's fixed windows (the library under Flask-Limiter), kept
in Redis when there is one and otherwise in the service's database (throttle_storage). An
attempt is counted *before* the password is checked, with one atomic increment per counter,
and given back when it succeeds; so only failures count, and concurrent guesses cannot all
slip through a check made before any of them was counted (Flask-Limiter's ``deduct_when``
tests first and deducts after the response, which lets a burst through).

Who is counted (README, "Deployment notes"):
- per account: failed logins (and wrong "current password"s) for one e-mail, from anywhere;
- per client address: failed logins from one address (after ``QUIZSVC_TRUSTED_PROXIES``), set
  higher, so a classroom behind one NAT is not stopped by a few typos;
- a browser that has logged in to the account before carries a signed "device" cookie
  (OWASP's device cookies): its attempts count against that device alone, so neither a guesser
  of the account nor one at the same address locks the real user out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.wrappers import Response  # what redirect() and make_response() both give

from quizsvc import settings as app_settings
from quizsvc.db import get_engine
from quizsvc.settings import Settings
from quizsvc.web.throttle_storage import DatabaseStorage

log = logging.getLogger("quizsvc.throttle")
DEVICE_COOKIE = "device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5  # accounts one browser is remembered for (a shared lab machine)


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Counter:
    item: RateLimitItem
    scope: str
    key: str


def storage_url(settings: Settings) -> str:
    """QUIZSVC_RATELIMIT_STORAGE_URL, else a Redis broker, else the database."""
    if settings.ratelimit_storage_url:
        return settings.ratelimit_storage_url
    broker = settings.broker_url
    return broker if broker.startswith(("redis://", "rediss://")) else "quizsvc-db://"


class Throttle:
    def __init__(self, app: Flask) -> None:
        cfg = app_settings.of(app)
        url = storage_url(cfg)
        # Every storage failure arrives as limits' StorageError (see take()).
        storage = (DatabaseStorage(url, engine=get_engine(app), wrap_exceptions=True)
                   if url.startswith("quizsvc-db") else storage_from_string(url, wrap_exceptions=True))
        assert isinstance(storage, Storage)
        self.strategy = FixedWindowRateLimiter(storage)
        self.per_account = parse(cfg.login_limit_per_account)
        self.per_address = parse(cfg.login_limit_per_address)
        self.per_device = parse(cfg.login_limit_per_device)
        self.register_per_address = parse(cfg.register_limit_per_address)
        key = app.secret_key or ""
        self._devices = URLSafeTimedSerializer(key, salt="quizsvc-login-device")
        self._secret = key if isinstance(key, bytes) else key.encode()

    # --- counting -------------------------------------------------------------------------

    def take(self, counters: list[Counter]) -> list[Counter]:
        """Count one attempt on every counter; over any limit: give them back and raise.

        If the counters cannot be reached (Redis down), logins go on unthrottled and the error
        is logged: locking every student out of a quiz is worse than slow guessing for a while
        (passwords are still checked with argon2)."""
        try:
            over = [c for c in counters if not self.strategy.hit(c.item, c.scope, c.key)]
            ends = max((self.strategy.get_window_stats(c.item, c.scope, c.key).reset_time
                        for c in over), default=0.0)
        except StorageError:
            log.exception("login throttle storage unreachable: not counting this attempt")
            return []
        if over:
            self.give_back(counters)
            raise Throttled(max(1, math.ceil(ends - time.time())))
        return counters

    def give_back(self, counters: list[Counter]) -> None:
        """The attempt succeeded (or never happened): it does not count."""
        try:
            for c in counters:
                self.strategy.hit(c.item, c.scope, c.key, cost=-1)
        except StorageError:
            log.exception("login throttle storage unreachable: an attempt stays counted")

    def account_key(self, email: str) -> str:
        # Keyed, so neither Redis nor the counters table holds e-mail addresses.
        return hmac.new(self._secret, email.encode(), hashlib.sha256).hexdigest()[:32]

    def login_counters(self, email: str) -> list[Counter]:
        account = self.account_key(email)
        device = self._device(account)
        if device is not None:
            return [Counter(self.per_device, "login-device", f"{device}:{account}")]
        return [Counter(self.per_account, "login-account", account),
                Counter(self.per_address, "login-address", client_address())]

    def account_counters(self, email: str) -> list[Counter]:
        """Guesses of a password by someone already in the session (changing it)."""
        return [Counter(self.per_account, "login-account", self.account_key(email))]

    def register_counters(self) -> list[Counter]:
        return [Counter(self.register_per_address, "register-address", client_address())]

    # --- device cookies ---------------------------------------------------------------------

    def _device_cookie(self) -> dict[str, Any] | None:
        raw = request.cookies.get(DEVICE_COOKIE)
        if not raw:
            return None
        try:
            data = self._devices.loads(raw, max_age=DEVICE_DAYS * 86400)
        except BadSignature:
            return None
        ok = isinstance(data, dict) and isinstance(data.get("n"), str) and isinstance(data.get("a"), list)
        return data if ok else None

    def _device(self, account: str) -> str | None:
        data = self._device_cookie()
        return data["n"] if data is not None and account in data["a"] else None

    def remember_device(self, response: Response, email: str) -> None:
        """After a successful login: this browser is known for this account from now on."""
        data = self._device_cookie() or {"n": secrets.token_urlsafe(12), "a": []}
        account = self.account_key(email)
        accounts = [a for a in data["a"] if a != account][-(DEVICE_ACCOUNTS - 1):] + [account]
        response.set_cookie(
            DEVICE_COOKIE, self._devices.dumps({"n": data["n"], "a": accounts}),
            max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
            secure=app_settings.current().session_cookie_secure,
        )


def throttled_page(template: str, form: Any, exc: Throttled) -> ResponseReturnValue:
    """429 with the form again, the wait in minutes, and Retry-After for scripts."""
    minutes = max(1, math.ceil(exc.retry_after / 60))
    flash(_("Too many attempts. Try again in %(minutes)d minutes.", minutes=minutes), "error")
    return render_template(template, form=form), 429, {"Retry-After": str(exc.retry_after)}


def client_address() -> str:
    # With QUIZSVC_TRUSTED_PROXIES=n, ProxyFix has already put the client's address here.
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    app.extensions["quizsvc.throttle"] = Throttle(app)


def throttle() -> Throttle:
    return current_app.extensions["quizsvc.throttle"]
