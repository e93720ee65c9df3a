"""Celery wiring, the pallets way: tasks run inside an app context; nothing builds the app at
import time. The worker entry point is ``quizsvc worker`` (``quizsvc.queue.worker``)."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from quizsvc.settings import Settings


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    if "celery" in app.extensions:
        return app.extensions["celery"]

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():  # the session is removed when the context ends
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.broker_url,
        task_default_queue=settings.celery_queue,
        task_acks_late=True,  # a job is acknowledged only after it ran ...
        task_reject_on_worker_lost=True,  # ... and goes back to the queue if its worker dies
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # the database row is the result
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    from quizsvc.queue import tasks  # noqa: F401  (registers the shared tasks)

    return celery
