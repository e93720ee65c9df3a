"""Dispatching grading jobs: in-process threads (default) or Celery workers (scale-out).

Both only carry submission ids; the database row is the job. Choosing is configuration:
``QUIZSVC_BROKER_URL`` set -> Celery, else the in-process dispatcher.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from quizsvc import settings as app_settings

log = logging.getLogger("quizsvc.queue")


def init_app(app: Flask) -> Any:
    settings = app_settings.of(app)
    if settings.broker_url:
        from quizsvc.queue.celery_dispatch import CeleryDispatcher

        dispatcher: Any = CeleryDispatcher(app, settings)
    else:
        from quizsvc.queue.inprocess import InProcessDispatcher

        dispatcher = InProcessDispatcher(app, settings)
    app.extensions["quizsvc.dispatcher"] = dispatcher
    return dispatcher


def get_dispatcher(app: Flask) -> Any:
    return app.extensions["quizsvc.dispatcher"]


def warm_grading(runner: Any, app: Flask | None = None) -> None:
    """Before a process grades its first submission: the grading caches (the demo packages and,
    given the app, every version its database grades with) and, for the warm pool, every fork
    server (a server's start costs ~0.2 s of CPU)."""
    from quizsvc.grading import registry

    registry.warm_up()
    if app is not None:
        from quizsvc.db import get_engine
        from quizsvc.services.assignment_versions import active_graders

        registry.warm_up(active_graders(get_engine(app)))
    start = getattr(runner, "start", None)  # the warm pool; the cold runner has none
    if start is not None:
        try:
            start()
        except Exception:  # each job reports it too; /health names the missing layer
            log.exception("the grading sandbox did not start")
