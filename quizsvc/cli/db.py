"""``quizsvc db``: schema migrations (Alembic is the only way the schema changes)."""

from __future__ import annotations

import click

from quizsvc.cli import main
from quizsvc.cli.context import app_session


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
def upgrade() -> None:
    """Bring the database up to the newest schema."""
    from quizsvc import migrate
    from quizsvc.db import get_engine

    with app_session(migrate=False):
        migrate.upgrade(get_engine())
        click.echo(f"database at revision {migrate.current_revision(get_engine())}")


@db_group.command("current")
def current() -> None:
    """Show the database's schema revision and the newest one."""
    from quizsvc import migrate
    from quizsvc.db import get_engine

    with app_session(migrate=False):
        engine = get_engine()
        click.echo(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision(engine)}")
