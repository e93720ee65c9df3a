"""``quizsvc user`` and ``quizsvc token``: accounts and API tokens from the shell."""

from __future__ import annotations

import click

from quizsvc.cli import main
from quizsvc.cli.context import app_session, domain_errors


@main.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(["student", "instructor", "admin"]), default="student",
              help="instructor: may create courses; admin: everything.")
@click.option("--password", default=None, help="Default: a generated password, printed once.")
@domain_errors
def create_user(email: str, name: str, role: str, password: str | None) -> None:
    from quizsvc.services import accounts

    with app_session() as (_app, session):
        pw = password or accounts.generate_password()
        user = accounts.create_user(session, email, name, pw, is_admin=role == "admin",
                                    can_create_courses=role in ("instructor", "admin"))
        click.echo(f"created {user.email} ({role})")
        if password is None:
            click.echo(f"password: {pw}")


@user_group.command("reset-link")
@click.option("--email", required=True)
@click.option("--hours", type=int, default=None, help="Valid for  [default: QUIZSVC_PASSWORD_RESET_HOURS, 24]")
@domain_errors
def reset_link(email: str, hours: int | None) -> None:
    """Print a one-time link that sets a new password (and signs the account out everywhere).

    It starts with QUIZSVC_BASE_URL; a newer link for the account replaces it."""
    from quizsvc import settings as app_settings
    from quizsvc.services import accounts, password_resets

    with app_session() as (app, session):
        user = accounts.find_by_email(session, email)
        settings = app_settings.of(app)
        valid = hours if hours is not None else settings.password_reset_hours
        secret = password_resets.issue(session, user, hours=valid)
        click.echo(f"{settings.base_url.rstrip('/')}/reset/{secret}")
        click.echo(f"one-time link for {user.email}, valid for {valid} hours", err=True)


@user_group.command("signout")
@click.option("--email", required=True)
@domain_errors
def signout(email: str) -> None:
    """End every browser session of the account (API tokens are revoked with `token revoke`)."""
    from quizsvc.services import accounts

    with app_session() as (_app, session):
        user = accounts.find_by_email(session, email)
        accounts.end_sessions(session, user)
        click.echo(f"signed out {user.email} everywhere")


@main.group("token")
def token_group() -> None:
    """API tokens for CI pipelines and scripts."""


@token_group.command("create")
@click.option("--user", "email", required=True, help="E-mail of the token's owner.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="read, answer, submit or manage; repeat or separate with commas.")
@click.option("--name", default="cli")
@click.option("--days", type=int, default=None, help="Expire after this many days.")
@domain_errors
def create_token(email: str, scopes: tuple[str, ...], name: str, days: int | None) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from quizsvc.services import accounts, tokens

    with app_session() as (_app, session):
        user = accounts.find_by_email(session, email)
        token, secret = tokens.create_token(session, user, name, ",".join(scopes), days)
        click.echo(secret)
        click.echo(f"token {token.id} for {user.email}, scopes {', '.join(token.scope_list)}", err=True)


@token_group.command("list")
@click.option("--user", "email", required=True)
@domain_errors
def list_tokens(email: str) -> None:
    from quizsvc.services import accounts, tokens

    with app_session() as (_app, session):
        for t in tokens.tokens_of(session, accounts.find_by_email(session, email)):
            state = "revoked" if t.revoked_at else "active"
            click.echo(f"{t.id}\t{t.prefix}…\t{t.name}\t{','.join(t.scope_list)}\t{state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--user", "email", required=True)
@domain_errors
def revoke_token(token_id: int, email: str) -> None:
    from quizsvc.services import accounts, tokens

    with app_session() as (_app, session):
        tokens.revoke(session, accounts.find_by_email(session, email), token_id)
        click.echo(f"token {token_id} revoked")
