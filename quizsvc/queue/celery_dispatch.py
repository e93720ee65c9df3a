"""The scale-out dispatcher: publish submission ids to the broker for ``quizsvc worker``s."""

from __future__ import annotations

import logging

from flask import Flask

from quizsvc.queue.celery_app import celery_init_app
from quizsvc.settings import Settings

log = logging.getLogger("quizsvc.queue")


class CeleryDispatcher:
    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        celery_init_app(app, settings)

    def warm_up(self) -> None:
        """Nothing to warm in the web tier: workers warm their own pools."""

    def start(self) -> None:
        """Nothing to start in the web tier: workers sweep for stale jobs themselves."""

    def stop(self, wait: bool = True) -> None:
        pass

    def enqueue(self, submission_id: int) -> None:
        from quizsvc.queue.tasks import grade_submission

        try:
            grade_submission.apply_async((submission_id,), retry=True,
                                         retry_policy={"max_retries": 3, "interval_start": 0.2})
        except Exception:  # broker down: the row stays queued and a worker's sweep picks it up
            log.exception("could not publish submission %s; a sweep will retry", submission_id)
