"""Celery tasks. They carry only a submission id: the database row is the job."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from celery.utils.log import get_task_logger

log = get_task_logger(__name__)  # the worker's configured logger: "graded submission N" is audited


@shared_task(bind=True, name="quizsvc.grade_submission", max_retries=None)
def grade_submission(self: Task, submission_id: int) -> str:
    from quizsvc import settings as app_settings
    from quizsvc.db import get_session
    from quizsvc.grading.runner import default_runner
    from quizsvc.models import Submission, SubmissionStatus, utcnow
    from quizsvc.services.submissions.claims import process

    session = get_session()
    settings = app_settings.current()  # the task runs in the worker's app context
    if process(session, submission_id, default_runner(settings), lease_seconds=settings.lease_seconds):
        log.info("graded submission %s", submission_id)
        return "graded"
    sub = session.get(Submission, submission_id)
    if sub is not None and sub.status == SubmissionStatus.RUNNING and sub.lease_until:
        # Someone else holds a claim: come back when it would have expired, in case they died.
        wait = max(1.0, (sub.lease_until - utcnow()) / timedelta(seconds=1) + 0.5)
        raise self.retry(countdown=wait)
    return "skipped"
