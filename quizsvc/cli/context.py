"""Shared CLI plumbing: an app for commands that need the database, errors as exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.orm import Session

from quizsvc.errors import DomainError
from quizsvc.settings import Settings, SettingsError, from_environment

P = ParamSpec("P")
R = TypeVar("R")


def _bad_settings(exc: SettingsError) -> None:
    click.echo(f"error: invalid setting: {exc}", err=True)
    sys.exit(2)


def load_settings() -> Settings:
    """This process's settings, for commands without an app; a bad value exits 2."""
    try:
        return from_environment()
    except SettingsError as exc:
        _bad_settings(exc)
        raise  # unreachable: for type checkers


def make_app() -> Any:
    """The app from this process's settings; a bad value exits 2 with its message."""
    from quizsvc.app import create_app

    try:
        return create_app()
    except SettingsError as exc:
        _bad_settings(exc)


@contextmanager
def app_session(migrate: bool = True) -> Iterator[tuple[Any, Session]]:
    from quizsvc import migrate as migrations
    from quizsvc.db import get_engine, get_session

    app = make_app()
    with app.app_context():
        if migrate:
            migrations.upgrade(get_engine())
        yield app, get_session()


def domain_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a domain error as a one-line message and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            click.echo(f"error: {exc.message.en}", err=True)
            errors = exc.details.get("errors")
            if isinstance(errors, list):
                for e in errors:
                    click.echo(f"  {e}", err=True)
            elif isinstance(errors, dict):
                for k, v in errors.items():
                    click.echo(f"  {k}: {v}", err=True)
            sys.exit(1)

    return wrapper
