"""``quizsvc worker``: a Celery worker that owns a warm grading pool and sweeps for lost jobs.

Threads (not prefork): each job waits on a sandboxed child, so threads keep the pool busy
and one process owns one pool.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

from quizsvc import settings as app_settings

log = logging.getLogger("quizsvc.worker")
QUEUED_GRACE_SECONDS = 30.0  # a queued row younger than this is presumably still in the broker


def sweep(app: Any) -> int:
    """Re-publish jobs whose message may be lost: old queued rows and expired claims."""
    from quizsvc.db import get_session
    from quizsvc.queue.tasks import grade_submission
    from quizsvc.services.submissions.claims import pending_ids

    with app.app_context():
        ids = pending_ids(get_session(), queued_older_than=QUEUED_GRACE_SECONDS)
    for sid in ids:
        grade_submission.delay(sid)
    if ids:
        log.info("sweep re-published %d submissions", len(ids))
    return len(ids)


def run_worker(app: Any, concurrency: int, loglevel: str = "INFO") -> None:
    from quizsvc.db import get_engine
    from quizsvc.queue.celery_app import celery_init_app
    from quizsvc.services.assignment_versions import install_loader

    settings = app_settings.of(app)
    install_loader(get_engine(app))  # a job's grader may be a version only this database has
    celery = celery_init_app(app, settings)
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.wait(settings.sweep_seconds):
            try:
                sweep(app)
            except Exception:
                log.exception("sweep failed")

    @worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        from quizsvc.grading.runner import default_runner
        from quizsvc.queue import warm_grading

        warm_grading(default_runner(settings), app)  # the grading caches and the pool, before the first job
        sweep(app)  # jobs stuck when the previous workers died
        threading.Thread(target=sweeper, name="sweeper", daemon=True).start()

    @worker_shutdown.connect(weak=False)
    def _shutdown(**_: Any) -> None:
        stop.set()

    celery.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
                        "-Q", settings.celery_queue, "--without-gossip", "--without-mingle", "--without-heartbeat"])
