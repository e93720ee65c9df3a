"""quizsvc: quizzes and autograded NumPy assignments for a course on regularization and
normalization."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(config: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
    from quizsvc.app import create_app as _create

    return _create(config)
