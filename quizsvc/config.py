"""The Flask configuration: fixed defaults, the typed settings (``quizsvc.settings``) and a
test's overrides."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from quizsvc.settings import Settings


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


def build_config(instance_path: Path, settings: Settings,
                 overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "DATABASE_URL": settings.database_url or f"sqlite:///{instance_path / 'quizsvc.db'}",
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.session_cookie_secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.session_cookie_secure,
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "ko",
    }
    # Flask's own keys a test may set (TESTING, WTF_CSRF_ENABLED...); settings are not repeated here.
    cfg.update({k: v for k, v in (overrides or {}).items() if k.lower() not in Settings.model_fields})
    cfg["SECRET_KEY"] = settings.secret_key or _secret_key(instance_path)
    return cfg
