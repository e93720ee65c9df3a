"""Dispatching grading jobs: in-process threads (default) or Celery workers (scale-out).

Both only carry submission ids; the database row is the job. Choosing is configuration:
``QUIZSVC_BROKER_URL`` set -> Celery, else the in-process dispatcher.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> Any:
    if app.config.get("BROKER_URL"):
        from quizsvc.queue.celery_dispatch import CeleryDispatcher

        dispatcher: Any = CeleryDispatcher(app)
    else:
        from quizsvc.queue.inprocess import InProcessDispatcher

        dispatcher = InProcessDispatcher(app)
    app.extensions["quizsvc.dispatcher"] = dispatcher
    return dispatcher


def get_dispatcher(app: Flask) -> Any:
    return app.extensions["quizsvc.dispatcher"]
