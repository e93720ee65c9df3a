"""Every ``QUIZSVC_*`` setting, typed and defaulted once, read from the environment in one place.

:func:`from_environment` is the only reader of the environment: ``create_app`` builds the
settings (with a test's overrides), keeps them on the app, and hands them to the dispatcher,
the grading pool and the Celery workers; the CLI builds them for commands without an app. A bad
value fails at start-up with a message naming the variable (``quizsvc serve`` exits 2).
The README's settings table is generated from this class (``settings_table``), and a test
checks that the two agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PREFIX = "QUIZSVC_"


class SettingsError(ValueError):
    """One or more settings have a value that cannot be used (the message names them)."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- where things are ---------------------------------------------------------------------
    instance_path: str = Field(default="", description="instance folder: SQLite database, secret key, demo logins (empty: ./instance)")
    database_url: str = Field(default="", repr=False, description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (empty: SQLite in the instance folder)")
    secret_key: str = Field(default="", repr=False, description="signs sessions; the same on every web process (empty: generated once, kept in the instance folder)")
    base_url: str = Field(default="http://127.0.0.1:5000", description="how users reach the service; starts the reset links the CLI prints")
    # -- the web tier -------------------------------------------------------------------------
    session_cookie_secure: bool = Field(default=False, description="1 behind HTTPS: cookies only over HTTPS, and HSTS on every response")
    trusted_proxies: int = Field(default=0, ge=0, description="reverse proxies in front that append to X-Forwarded-For (0: X-Forwarded-* ignored)")
    max_content_length: int = Field(default=1024 * 1024, gt=0, description="largest request body in bytes")
    password_reset_hours: int = Field(default=24, gt=0, description="how long a password reset link stays valid")
    password_hash_fast: bool = Field(default=False, description="tests only: cheap argon2 parameters")
    login_limit_per_account: str = Field(default="10 per 15 minutes", description="failed logins for one account, from any address")
    login_limit_per_address: str = Field(default="50 per 15 minutes", description="failed logins from one client address, to any accounts")
    login_limit_per_device: str = Field(default="10 per 15 minutes", description="failed logins to one account from a browser that logged in to it before")
    register_limit_per_address: str = Field(default="10 per hour", description="refused registrations from one client address")
    ratelimit_storage_url: str = Field(default="", repr=False, description="where the login counters live (empty: a redis:// broker, else the database)")
    submit_rate_per_min: int = Field(default=30, gt=0, description="code submissions per student per minute, across assignments")
    # -- grading ------------------------------------------------------------------------------
    broker_url: str = Field(default="", repr=False, description="redis:// or amqp://: grade on `quizsvc worker`s (empty: in the web process)")
    celery_queue: str = Field(default="quizsvc-grading", min_length=1, description="the Celery queue grading jobs go to")
    pool_size: int = Field(default=0, ge=0, description="sandboxed fork servers per grading process, and grading threads to feed them (0: one per core)")
    sweep_seconds: float = Field(default=15.0, gt=0, description="how often queued rows and expired claims are looked for")
    lease_seconds: int = Field(default=60, gt=0, description="a grading claim older than this is presumed dead and taken over")
    runner: Literal["warm", "cold"] = Field(default="warm", description="warm (the pool of fork servers) or cold (a fresh sandboxed interpreter per submission)")
    sandbox_min_level: Literal["", "minimal", "reduced", "full"] = Field(default="", description="refuse to grade below this isolation level: minimal, reduced or full (empty: no floor)")
    sandbox_force_fallback: bool = Field(default=False, description="use the fallback tier even where bubblewrap works (tests)")
    sandbox_debug: bool = Field(default=False, description="let the fork servers' stderr through (debugging the sandbox)")

    @field_validator("instance_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        # Flask takes only an absolute instance path; a relative one means the working directory's.
        return os.path.abspath(value) if value else value

    @field_validator("runner", "sandbox_min_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("login_limit_per_account", "login_limit_per_address", "login_limit_per_device",
                     "register_limit_per_address")
    @classmethod
    def _limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("use limits notation, e.g. '10 per 15 minutes'") from None
        return value

    @property
    def grading_pool_size(self) -> int:
        """``pool_size`` resolved: at least one."""
        return self.pool_size or max(1, os.cpu_count() or 1)

    @property
    def sandbox_isolation(self) -> str:
        return "fallback" if self.sandbox_force_fallback else "auto"

    @property
    def sandbox_floor(self) -> str | None:
        return self.sandbox_min_level or None


DEFAULTS = Settings()


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def build(values: Mapping[str, Any]) -> Settings:
    """Settings from ``{"POOL_SIZE": "4", ...}`` (names without the prefix; an empty string
    counts as unset); raises SettingsError naming every bad value."""
    known = {name.upper(): name for name in Settings.model_fields}
    data = {known[key]: value for key, value in values.items()
            if key in known and not (isinstance(value, str) and value.strip() == "")}
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = [f"{env_name(str(err['loc'][0]))}={data.get(str(err['loc'][0]))!r}: {err['msg']}"
                    for err in exc.errors()]
        raise SettingsError("; ".join(problems)) from None


def from_environment(overrides: Mapping[str, Any] | None = None,
                     environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process: ``QUIZSVC_*`` variables, then ``overrides`` (tests)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {k[len(PREFIX):]: v for k, v in env.items() if k.startswith(PREFIX)}
    values.update(overrides or {})
    return build(values)


def settings_table() -> str:
    """The README's table of settings, generated from the class."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        if isinstance(default, bool):
            shown = "`1`" if default else "`0`"
        elif isinstance(default, float):
            shown = f"`{default:g}`"
        rows.append(f"| `{env_name(name)}` | {shown} | {field.description} |")
    return "\n".join(rows)


def of(app: Any) -> Settings:
    """The settings an app was built with (``create_app`` keeps them)."""
    return app.extensions["quizsvc.settings"]


def current() -> Settings:
    """The settings of the app handling this request or command."""
    from flask import current_app

    return of(current_app)
