"""Grading commands (grade-local, assignments, selfcheck), added to the ``quizsvc`` group."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from quizsvc.cli import main
from quizsvc.grading import grade_source, registry
from quizsvc.grading.intake import Unreadable, read_submission
from quizsvc.grading.registry import UnknownAssignment
from quizsvc.grading.runner import Runner


@main.command("grade-local")
@click.option("--assignment", "slug", required=True, help="Assignment slug (see `assignments`).")
@click.argument("solution", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "junit", "gradescope"]),
              default="table", show_default=True)
@click.option("--min-score", type=float, default=None,
              help="Exit 0 when the score reaches this value (default: full marks).")
@click.option("--language", type=click.Choice(["en", "ko"]), default="en", show_default=True)
@click.option("--visible-only", is_flag=True, help="Run only the visible cases.")
@click.option("--cold", is_flag=True,
              help="Start a fresh sandboxed interpreter instead of a warm fork server.")
@click.option("--isolation", type=click.Choice(["auto", "bwrap", "fallback"]), default="auto",
              show_default=True,
              help="Sandbox tier: bubblewrap namespaces, or the per-process layers without it.")
def grade_local(slug: str, solution: Path, fmt: str, min_score: float | None, language: str,
                visible_only: bool, cold: bool, isolation: str) -> None:
    """Grade SOLUTION (.py or .ipynb) for one assignment; exit 0 only on full marks.

    The submission runs in the same sandbox as on the server; exit status 2 when grading is
    refused (the sandbox here is below QUIZSVC_SANDBOX_MIN_LEVEL) or the file is one the
    server would refuse (a malformed notebook, code nested too deeply for Python's parser).
    """
    from quizsvc.sandbox.status import SandboxUnavailable

    try:
        text = solution.read_text(encoding="utf-8")
        read_submission(text, solution.name)
    except UnicodeDecodeError:
        raise click.BadParameter("not UTF-8 text", param_hint="SOLUTION") from None
    except Unreadable as exc:  # what the server refuses with 422 is a usage error here
        raise click.BadParameter(exc.text.get(language), param_hint="SOLUTION") from None
    try:
        runner = _runner(cold, isolation)
    except SandboxUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        result = grade_source(slug, text, filename=solution.name, include_hidden=not visible_only,
                              language=language, runner=runner)
    except UnknownAssignment:
        raise click.BadParameter(f"unknown assignment {slug!r}",
                                 param_hint="--assignment") from None
    except SandboxUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        close = getattr(runner, "close", None)
        if close:
            close()  # no sandbox outlives the command
    if fmt == "json":
        click.echo(result.to_json())
    elif fmt == "junit":
        click.echo(result.to_junit())
    elif fmt == "gradescope":
        click.echo(json.dumps(result.to_gradescope(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.to_table())
    threshold = result.max_score if min_score is None else min_score
    sys.exit(0 if result.score >= threshold else 1)


def _runner(cold: bool, isolation: str) -> Runner:
    from quizsvc.cli.context import load_settings

    settings = load_settings()
    if isolation == "auto":
        isolation = settings.sandbox_isolation
    floor, debug = settings.sandbox_floor, settings.sandbox_debug
    if cold:
        from quizsvc.grading.runner.subprocess_runner import SubprocessRunner

        return SubprocessRunner(isolation=isolation, min_level=floor, debug=debug)
    from quizsvc.sandbox.pool import WarmPool

    # One submission: one server is enough.
    return WarmPool(size=1, isolation=isolation, min_level=floor, debug=debug)


@main.command("assignments")
def list_assignments() -> None:
    """One assignment per line: its slug, then the functions it asks for."""
    for slug, assignment in sorted(registry.all_assignments().items(),
                                   key=lambda item: item[1].order):
        click.echo(" ".join([slug, *assignment.function_names]))


@main.command("selfcheck")
@click.option("--assignment", "slugs", multiple=True, help="Limit to these slugs.")
@click.option("--database", "database", is_flag=True,
              help="Check every published assignment of the database (its active version) "
              "instead of the demo packages.")
@click.option("--no-pairs", is_flag=True, help="Skip the pairs of mistakes (faster).")
def selfcheck(slugs: tuple[str, ...], database: bool, no_pairs: bool) -> None:
    """Grade the reference, the correct solutions and every known mistake of each assignment,
    alone and in pairs; exit 0 only when every one is judged right (full marks / loses points
    and is diagnosed as exactly itself)."""
    from quizsvc.cli.context import load_settings
    from quizsvc.grading.runner import default_runner
    from quizsvc.grading.selfcheck import check_assignment, run_selfcheck

    runner = default_runner(load_settings())
    if database:
        rows = []
        for label, assignment in _published(list(slugs)):
            click.echo(f"{label}: version {assignment.version[:12]}")
            rows += check_assignment(assignment, runner, pairs=not no_pairs)
    else:
        rows = run_selfcheck(list(slugs) or None, runner, pairs=not no_pairs)
    if not rows:
        click.echo("nothing to check", err=True)
        sys.exit(1)
    width = max(len(r.label) for r in rows)
    for row in rows:
        mark = "ok" if row.ok else "WRONG"
        click.echo(f"{row.label.ljust(width)}  {mark:5}  {row.score:g}/{row.max_score:g}  "
                   f"{row.detail}")
    bad = sum(1 for r in rows if not r.ok)
    click.echo(f"{len(rows) - bad} of {len(rows)} judged right")
    sys.exit(0 if bad == 0 else 1)


def _published(slugs: list[str]) -> list[tuple[str, Any]]:
    """(course/slug, the built version) of every published assignment, each version once."""
    from sqlalchemy import select

    from quizsvc.cli.context import app_session
    from quizsvc.models import Assignment

    found: list[tuple[str, Any]] = []
    seen: set[str] = set()
    with app_session() as (_app, session):
        rows = session.scalars(select(Assignment).where(Assignment.published.is_(True))
                               .order_by(Assignment.course_id, Assignment.position)).all()
        for a in rows:
            if slugs and a.slug not in slugs or a.grader in seen:
                continue
            seen.add(a.grader)
            try:
                found.append((f"{a.course.slug}/{a.slug}", registry.get(a.grader)))
            except UnknownAssignment:
                click.echo(f"{a.course.slug}/{a.slug}: its grader {a.grader!r} is unknown", err=True)
                sys.exit(1)
    return found
