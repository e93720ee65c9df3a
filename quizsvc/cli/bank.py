"""``quizsvc bank``: quiz banks as YAML files (check in CI, import, export)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from quizsvc.cli import main
from quizsvc.cli.context import app_session, domain_errors


@main.group("bank")
def bank_group() -> None:
    """Quiz banks as YAML ("quiz as code")."""


@bank_group.command("check")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def check(directory: Path) -> None:
    """Validate a bank without a server: schema, keys, tolerances, computed answers."""
    from quizsvc.quiz.bank import check_dir

    bank, problems = check_dir(directory)
    for p in problems:
        click.echo(str(p), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {directory}", err=True)
        sys.exit(1)
    assert bank is not None
    n_items = sum(len(q.data.get("items", [])) for q in bank.quizzes)
    click.echo(f"ok: {len(bank.quizzes)} quizzes, {n_items} items in {directory}")


@bank_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@domain_errors
def import_(directory: Path) -> None:
    """Create or update a course from a bank directory (matched by slugs and keys)."""
    from quizsvc.services.bank import import_bank

    with app_session() as (_app, session):
        course = import_bank(session, None, directory)
        click.echo(f"imported {len(course.quizzes)} quizzes into course {course.slug} "
                   f"(join code {course.join_code})")


@bank_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--course", "course_slug", default=None,
              help="Slug of the course to export (needed only when there are several).")
@domain_errors
def export(directory: Path, course_slug: str | None) -> None:
    """Write a course's quizzes as YAML, one file per quiz."""
    from sqlalchemy import select

    from quizsvc.models import Course
    from quizsvc.services.bank import export_to_dir
    from quizsvc.services.courses import get_course_by_slug

    with app_session() as (_app, session):
        if course_slug is None:
            slugs = list(session.scalars(select(Course.slug)))
            if len(slugs) != 1:
                click.echo(f"error: name the course with --course (courses: {', '.join(slugs) or 'none'})",
                           err=True)
                sys.exit(2)
            course_slug = slugs[0]
        paths = export_to_dir(session, None, get_course_by_slug(session, course_slug), directory)
        click.echo(f"wrote {len(paths)} files to {directory}")
