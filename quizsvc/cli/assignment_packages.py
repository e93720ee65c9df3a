"""``quizsvc assignment``: assignment packages (a folder or a .zip) into and out of a course."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from quizsvc.cli import main
from quizsvc.cli.context import app_session, domain_errors


@main.group("assignment")
def assignment_group() -> None:
    """Assignment packages: check, import, export."""


def read_package(source: Path) -> Any:
    """The package in a folder or a .zip; PackageError when it does not read."""
    from quizsvc.grading.package import load_dir, load_zip
    from quizsvc.services.assignment_versions import MAX_PACKAGE_BYTES

    if source.is_dir():
        return load_dir(source)
    if source.stat().st_size > MAX_PACKAGE_BYTES:
        raise click.BadParameter(f"larger than {MAX_PACKAGE_BYTES // (1024 * 1024)} MiB",
                                 param_hint="DIR_OR_ZIP")
    return load_zip(source.read_bytes())


def print_problems(problems: list[dict[str, Any]]) -> None:
    for p in problems:
        where = f"{p.get('file') or ''}" + (f":{p['where']}" if p.get("where") else "")
        click.echo(f"{where}: {p.get('en', '')}", err=True)


def _course(session: Any, slug: str) -> Any:
    from quizsvc.errors import NotFound
    from quizsvc.services.courses import get_course_by_slug

    try:
        return get_course_by_slug(session, slug)
    except NotFound:
        raise click.BadParameter(f"no course {slug!r}", param_hint="--course") from None


@assignment_group.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--language", type=click.Choice(["en", "ko"]), default="en", show_default=True)
@click.option("--no-pairs", is_flag=True, help="Skip the pairs of mistakes (faster).")
@click.option("--isolation", type=click.Choice(["auto", "bwrap", "fallback"]), default="auto",
              show_default=True, help="Sandbox tier the package's code runs in.")
def check(path: Path, as_json: bool, language: str, no_pairs: bool, isolation: str) -> None:
    """Check the package at PATH (a folder or a .zip) without a server: its code runs in the
    sandbox, the reference and every solution must get full marks, every known mistake must
    lose points and be diagnosed as itself, hidden cases must stay hidden, both statements
    must render. Exit 0 when it is ready to import, 1 with a problem per file and case."""
    from quizsvc.cli.grading import _runner
    from quizsvc.grading.package import PackageError
    from quizsvc.grading.package.check import check_package
    from quizsvc.sandbox.status import SandboxUnavailable

    try:
        package = read_package(path)
    except PackageError as exc:
        print_problems([p.as_dict() for p in exc.problems])
        click.echo(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    try:
        runner = _runner(False, isolation)
    except SandboxUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        report = check_package(package, runner, pairs=not no_pairs)
    except SandboxUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        close = getattr(runner, "close", None)
        if close:
            close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        title = report.title.get(language)
        click.echo(f"{report.slug} ({title}), version {report.version[:12]}")
        for row in report.rows:
            click.echo(f"  {'ok' if row.ok else 'WRONG':5}  {row.label}  "
                       f"{row.score:g}/{row.max_score:g}  {row.detail}")
        for problem in report.problems:
            click.echo(problem.line(language), err=True)
        if report.ok:
            n_hidden = sum(1 for c in report.cases if c["hidden"])
            click.echo(f"ok: {len(report.cases)} cases ({n_hidden} hidden), "
                       f"{len(report.rows)} submissions judged right")
        else:
            click.echo(f"{len(report.problems)} problem(s) in {path}", err=True)
    sys.exit(0 if report.ok else 1)


@assignment_group.command("import")
@click.argument("source", metavar="DIR_OR_ZIP", type=click.Path(exists=True, path_type=Path))
@click.option("--course", "course_slug", required=True, help="Slug of the course.")
@click.option("--activate", is_flag=True,
              help="Grade with this version now and regrade every finished submission.")
@click.option("--publish", is_flag=True, help="Publish the assignment to students.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@domain_errors
def import_(source: Path, course_slug: str, activate: bool, publish: bool, as_json: bool) -> None:
    """Check a package in the sandbox and import it into a course: a new (unpublished)
    assignment, or a new version of the assignment of its slug. Exit 1 when the check fails."""
    from quizsvc import settings as app_settings
    from quizsvc.errors import Invalid
    from quizsvc.grading.package import PackageError
    from quizsvc.grading.runner import default_runner
    from quizsvc.services import assignment_versions as svc

    try:
        package = read_package(source)
    except PackageError as exc:
        _refused([p.as_dict() for p in exc.problems], as_json)
    with app_session() as (app, session):
        course = _course(session, course_slug)
        try:
            # No dispatcher: the regrade's rows are queued; the server's workers sweep them up.
            assignment, version, report = svc.import_package(
                session, None, course, package, default_runner(app_settings.of(app)),
                activate_now=activate, publish=publish)
        except Invalid as exc:
            if "problems" not in exc.details:
                raise
            _refused(exc.details["problems"], as_json)
        queued = svc.stale_submissions(session, assignment) if activate else 0
        if as_json:
            click.echo(json.dumps({"assignment": svc.assignment_dict(assignment),
                                   "version": svc.version_dict(version, assignment.version_id),
                                   "report": report.as_dict()}, ensure_ascii=False, indent=2))
            return
        state = "active" if assignment.version_id == version.id else "not active"
        click.echo(f"imported {package.slug} into course {course.slug}: assignment {assignment.slug}, "
                   f"version {version.number} ({version.digest[:12]}, {state})"
                   + (f"; {queued} submission(s) queued for regrading" if activate else ""))


def _refused(problems: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"problems": problems}, ensure_ascii=False, indent=2))
    print_problems(problems)
    click.echo(f"{len(problems)} problem(s): nothing imported", err=True)
    sys.exit(1)


@assignment_group.command("export")
@click.argument("slug")
@click.option("--course", "course_slug", required=True, help="Slug of the course.")
@click.option("--version", "number", type=int, default=None, help="Version number (default: the active one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the .zip (default: SLUG-vN.zip).")
@domain_errors
def export(slug: str, course_slug: str, number: int | None, output: Path | None) -> None:
    """Write an assignment's package (the active version, or --version N) as a .zip."""
    from quizsvc.services import assignment_versions as svc

    with app_session() as (_app, session):
        assignment = svc.assignment_in(session, _course(session, course_slug), slug)
        version = svc.get_version(session, None, assignment, number) if number is not None else None
        data = svc.export(session, None, assignment, version)
        shown = version or assignment.version
        path = output or Path(f"{assignment.slug}-v{shown.number if shown else 0}.zip")
        path.write_bytes(data)
        click.echo(f"wrote {path} ({len(data)} bytes)")
