"""quizsvc: quizzes and autograded NumPy assignments for a course on regularization and
normalization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from quizsvc.app import create_app as _create

    return _create(config)
