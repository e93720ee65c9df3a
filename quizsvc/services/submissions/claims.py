"""Grading a submission exactly once: the claim/lease protocol.

A worker claims a job with a conditional UPDATE (queued -> running, or a running claim whose
lease expired), grades it, and stores the result only while it still holds the claim. Grading
that fails (the infrastructure, not the student's code) puts the submission back in the
queue, or marks it ``error`` after ``MAX_DELIVERIES``. The statements live in
:mod:`quizsvc.services.fast.claims`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quizsvc.grading import grade_source, registry
from quizsvc.grading.runner import Runner
from quizsvc.models import Submission, SubmissionStatus, utcnow
from quizsvc.services.fast import claims as fast_claims
from quizsvc.settings import DEFAULTS

MAX_DELIVERIES = 3  # grading attempts before a submission is marked ``error``
# A claim older than this is presumed dead (grading takes milliseconds; the sandbox's wall limit
# is seconds); the dispatcher and the workers pass QUIZSVC_LEASE_SECONDS.
LEASE_SECONDS = DEFAULTS.lease_seconds


def late_days(due_at: datetime | None, at: datetime) -> int:
    if due_at is None or at <= due_at:
        return 0
    return math.ceil((at - due_at) / timedelta(days=1))


def late_score(raw: float, penalty_per_day: float, days: int) -> float:
    factor = max(0.0, 1.0 - penalty_per_day * days)
    return raw if factor == 1.0 else round(raw * factor, 6)


def claim(session: Session, submission_id: int, lease_seconds: int = LEASE_SECONDS) -> str | None:
    """Take the job if nobody holds it; returns the claim id, or None if it is not ours to run."""
    return fast_claims.claim_one(session, submission_id, lease_seconds)


def process(session: Session, submission_id: int, runner: Runner | None = None, *,
            lease_seconds: int = LEASE_SECONDS) -> bool:
    """Claim, grade and finish one submission. Returns whether this call graded it."""
    return submission_id in process_batch(session, [submission_id], runner, lease_seconds=lease_seconds)


def process_batch(session: Session, submission_ids: list[int], runner: Runner | None = None, *,
                  lease_seconds: int = LEASE_SECONDS) -> set[int]:
    """Claim, grade and finish submissions (those nobody else holds) with one claim statement
    and one finishing transaction; returns the ids this call graded.

    A failure retries only its own submission: the rest of the batch is still finished, then
    the first retryable failure is raised for the caller to log.
    """
    graded: list[fast_claims.Graded] = []
    failed: list[fast_claims.Failed] = []
    retry: Exception | None = None
    for job in fast_claims.take(session, submission_ids, lease_seconds):
        try:
            result = grade_source(job.grader, job.source, filename=job.filename, runner=runner,
                                  language=job.language)
        except Exception as exc:  # grading infrastructure failed: retry, then report
            final = job.deliveries >= MAX_DELIVERIES
            failed.append(fast_claims.Failed(job, f"{type(exc).__name__}: {exc}"[:2000], final))
            retry = retry or (None if final else exc)
            continue
        days = late_days(job.due_at, job.created_at)
        graded.append(fast_claims.Graded(job, result, late_score(result.score, job.late_penalty_per_day, days),
                                         days, _version_of(job.grader)))
    done = fast_claims.finish(session, graded, failed)
    if retry is not None:
        raise retry
    return done


def _version_of(grader: str) -> str | None:
    """The package digest behind a grader key (a demo slug names its shipped package's)."""
    if registry.VERSION.match(grader):
        return grader
    try:
        return registry.package(grader).version
    except registry.UnknownAssignment:
        return None


def pending_ids(session: Session, *, stale_only: bool = False, queued_older_than: float = 0.0) -> list[int]:
    """Queued submissions and running ones whose lease expired: what a sweep should re-dispatch.

    ``queued_older_than`` skips rows queued so recently that their message is surely still in
    the broker (a sweep would only add duplicates, harmless but wasted).
    """
    now = utcnow()
    expired = (Submission.status == SubmissionStatus.RUNNING) & (Submission.lease_until < now)
    queued = (Submission.status == SubmissionStatus.QUEUED) & (
        Submission.created_at <= now - timedelta(seconds=queued_older_than))
    cond = expired if stale_only else or_(queued, expired)
    return list(session.scalars(select(Submission.id).where(cond).order_by(Submission.id)))
