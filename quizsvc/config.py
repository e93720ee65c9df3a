"""Configuration: defaults, overridden by ``QUIZSVC_*`` environment variables and by tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "QUIZSVC_"


def _secret_key(instance_path: Path) -> str:
    """A per-installation random key kept in the instance folder (never in the repository)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def build_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = dict(overrides or {})
    env = {k[len(ENV_PREFIX) :]: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    cfg: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{instance_path / 'quizsvc.db'}",
        "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,  # 1 MiB: far above any quiz answer or .py file
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,  # set QUIZSVC_SESSION_COOKIE_SECURE=1 behind HTTPS
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "ko",
        "PASSWORD_HASH_FAST": False,  # tests only: cheap argon2 parameters
        # Throttles (``limits`` notation), counted in RATELIMIT_STORAGE_URL (default: a redis://
        # broker, else the database): see quizsvc/web/throttle.py and the README.
        "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",  # failed logins for one e-mail
        "LOGIN_LIMIT_PER_ADDRESS": "50 per 15 minutes",  # failed logins from one client address
        "LOGIN_LIMIT_PER_DEVICE": "10 per 15 minutes",  # failed logins from a known browser
        "REGISTER_LIMIT_PER_ADDRESS": "10 per hour",  # refused registrations from one address
        "RATELIMIT_STORAGE_URL": "",
        "TRUSTED_PROXIES": 0,  # reverse proxies in front that set X-Forwarded-For/-Proto
        "BASE_URL": "http://127.0.0.1:5000",  # how users reach the service (printed reset links)
        "PASSWORD_RESET_HOURS": 24,
        "SUBMIT_RATE_PER_MIN": 30,  # code submissions per student per minute
        "BROKER_URL": "",  # set (redis://, amqp://) to grade on Celery workers
        "POOL_SIZE": 0,  # grading threads/processes; 0: number of cores
    }
    for key, value in env.items():
        if key in ("SESSION_COOKIE_SECURE", "PASSWORD_HASH_FAST"):
            cfg[key] = value.lower() in ("1", "true", "yes")
        elif key in ("MAX_CONTENT_LENGTH", "SUBMIT_RATE_PER_MIN", "POOL_SIZE", "TRUSTED_PROXIES",
                     "PASSWORD_RESET_HOURS"):
            cfg[key] = int(value)
        else:
            cfg[key] = value
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    cfg.update(overrides)
    if "SECRET_KEY" not in cfg:
        cfg["SECRET_KEY"] = _secret_key(instance_path)
    return cfg
