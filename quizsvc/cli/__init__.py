"""The ``quizsvc`` command. Each sub-module adds its commands to :data:`main`."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="quizsvc")
def main() -> None:
    """quizsvc: quizzes and autograded NumPy assignments (regularization & normalization)."""


def _register() -> None:
    # Imported for their side effect of adding commands to ``main``.
    from quizsvc.cli import assignment_packages, bank, db, grading, server, submit, users  # noqa: F401


_register()
