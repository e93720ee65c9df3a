"""``quizsvc assignment``: assignment packages as course content (check in CI, import, export)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizsvc.cli import main

if TYPE_CHECKING:
    from quizsvc.grading.package import Package


@main.group("assignment")
def assignment_group() -> None:
    """Programming assignments as packages: a folder (or .zip) per assignment
    (docs/assignment-format.md)."""


def read_package(path: Path) -> Package:
    """The package at ``path``, or exit 1 with its problems."""
    from quizsvc.grading.package import PackageError, load_dir, load_zip

    try:
        return load_dir(path) if path.is_dir() else load_zip(path.read_bytes())
    except PackageError as exc:
        for problem in exc.problems:
            click.echo(problem.line(), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(1)


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
    from quizsvc.grading.package.check import check_package
    from quizsvc.sandbox.status import SandboxUnavailable

    package = read_package(path)
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
