"""Claiming and finishing grading jobs in batches with prebuilt Core statements (justified by
``bench/throughput.py``, ``--stub-grader all`` measures this path alone).

A batch is claimed with one ``UPDATE ... RETURNING`` (SQLite 3.35+, PostgreSQL) that also hands
back what grading needs of each row, plus one plain-column read of the late policies and the
authors' languages, so taking jobs reads no ORM objects; the batch is finished in one
transaction. The ORM's bulk-update layer would only add CPU here, and whether a conditional
UPDATE matched is only known from the database anyway. The session's copy of a row, if it has
one, is expired afterwards (reloaded when next read) rather than patched in memory.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from quizsvc.grading.result import GradeResult
from quizsvc.models import Assignment, StudentException, Submission, SubmissionStatus, User, utcnow

# queued -> running, or take over a running claim whose lease expired.
_CLAIMABLE = or_(Submission.status == SubmissionStatus.QUEUED,
                 (Submission.status == SubmissionStatus.RUNNING) & (Submission.lease_until < bindparam("p_now")))
_CLAIM_VALUES = {"status": SubmissionStatus.RUNNING, "claim": bindparam("p_claim"),
                 "started_at": bindparam("p_now"), "lease_until": bindparam("p_lease"),
                 "deliveries": Submission.deliveries + 1}
_CLAIM = update(Submission).where(Submission.id == bindparam("p_id"), _CLAIMABLE).values(**_CLAIM_VALUES)
_CLAIM_MANY = (
    update(Submission)
    .where(Submission.id.in_(bindparam("p_ids", expanding=True)), _CLAIMABLE)
    .values(**_CLAIM_VALUES)
    .returning(Submission.id, Submission.source, Submission.filename, Submission.created_at,
               Submission.deliveries, Submission.assignment_id, Submission.user_id)
)
# Read after the claim, so an instructor's change to the late policy counts.
_POLICIES = select(Assignment.id, Assignment.grader, Assignment.due_at, Assignment.late_penalty_per_day).where(
    Assignment.id.in_(bindparam("p_ids", expanding=True)))
# Students' own due dates (per-student exceptions): late days count from those.
_OWN_DUE = select(StudentException.assignment_id, StudentException.user_id, StudentException.due_at).where(
    StudentException.assignment_id.in_(bindparam("p_assignments", expanding=True)),
    StudentException.user_id.in_(bindparam("p_users", expanding=True)), StudentException.due_at.is_not(None))
_LOCALES = select(User.id, User.locale).where(User.id.in_(bindparam("p_ids", expanding=True)))
# Only while the claim is still ours.
_FINISH = (
    update(Submission)
    .where(Submission.id == bindparam("p_id"), Submission.claim == bindparam("p_claim"))
    .values(status=SubmissionStatus.GRADED, raw_score=bindparam("p_raw"), score=bindparam("p_score"),
            max_score=bindparam("p_max"), late_days=bindparam("p_late"), result=bindparam("p_result"),
            finished_at=bindparam("p_finished"), lease_until=None, error=None,
            graded_version=bindparam("p_version"),
            grade_count=Submission.grade_count + 1)
)
# Grading failed (the infrastructure, not the student's code): back to the queue, or give up.
_RETRY_OR_FAIL = (
    update(Submission)
    .where(Submission.id == bindparam("p_id"), Submission.claim == bindparam("p_claim"))
    .values(status=bindparam("p_status"), error=bindparam("p_error"), claim=None, lease_until=None,
            finished_at=bindparam("p_finished"))
)


@dataclass(frozen=True)
class Job:
    """A claimed submission and what grading it needs."""

    id: int
    token: str  # the claim: finishing needs it
    source: str
    filename: str
    created_at: datetime
    deliveries: int
    grader: str
    due_at: datetime | None
    late_penalty_per_day: float
    language: str


@dataclass(frozen=True)
class Graded:
    job: Job
    result: GradeResult
    score: float  # after the late penalty
    late_days: int
    version: str | None = None  # the package digest the grade came from
    at: datetime = field(default_factory=utcnow)  # when it was graded


@dataclass(frozen=True)
class Failed:
    job: Job
    error: str
    final: bool  # error for good, or back to the queue
    at: datetime = field(default_factory=utcnow)


def _claim_params(lease_seconds: int) -> dict[str, Any]:
    now = utcnow()
    return {"p_now": now, "p_claim": secrets.token_hex(8), "p_lease": now + timedelta(seconds=lease_seconds)}


def _expire_copy(session: Session, submission_id: int) -> None:
    sub = session.identity_map.get(session.identity_key(Submission, submission_id))
    if sub is not None:
        session.expire(sub)


def claim_one(session: Session, submission_id: int, lease_seconds: int) -> str | None:
    """Claim one job, committed; the claim id, or None if it is not ours to run."""
    params = {**_claim_params(lease_seconds), "p_id": submission_id}
    session.flush()  # as the ORM would before a statement: pending changes go first
    rowcount = session.connection().execute(_CLAIM, params).rowcount
    session.commit()
    _expire_copy(session, submission_id)
    return str(params["p_claim"]) if rowcount == 1 else None


def take(session: Session, submission_ids: list[int], lease_seconds: int) -> list[Job]:
    """Claim the jobs nobody holds and read what grading needs, in one transaction."""
    params = _claim_params(lease_seconds)
    session.flush()
    conn = session.connection()
    rows = sorted(conn.execute(_CLAIM_MANY, {**params, "p_ids": submission_ids}).all())
    if not rows:
        session.commit()
        return []
    policies = {r.id: r for r in conn.execute(_POLICIES, {"p_ids": sorted({r.assignment_id for r in rows})})}
    users = sorted({r.user_id for r in rows})
    locales = {r.id: r.locale for r in conn.execute(_LOCALES, {"p_ids": users})}
    dated = sorted(a for a, p in policies.items() if p.due_at is not None)
    own_due = {(r.assignment_id, r.user_id): r.due_at
               for r in conn.execute(_OWN_DUE, {"p_assignments": dated, "p_users": users})} if dated else {}
    session.commit()
    jobs = []
    for row in rows:
        _expire_copy(session, row.id)
        policy, locale = policies[row.assignment_id], locales.get(row.user_id)
        jobs.append(Job(row.id, str(params["p_claim"]), row.source, row.filename, row.created_at,
                        row.deliveries, policy.grader,
                        own_due.get((row.assignment_id, row.user_id), policy.due_at), policy.late_penalty_per_day,
                        locale if locale in ("ko", "en") else "ko"))
    return jobs


def finish(session: Session, graded: list[Graded], failed: list[Failed]) -> set[int]:
    """Store results and failures in one transaction, each only while its claim is still
    held; returns the ids whose results were stored."""
    if not (graded or failed):
        return set()
    session.flush()
    conn = session.connection()
    done = set()
    # One statement per row (a duplicate's claim may be gone: its rowcount says so), one commit.
    for g in graded:
        params = {"p_id": g.job.id, "p_claim": g.job.token, "p_raw": g.result.score, "p_score": g.score,
                  "p_max": g.result.max_score, "p_late": g.late_days, "p_finished": g.at,
                  "p_version": g.version,
                  # copy=False: the dict goes straight to the JSON encoder and is dropped.
                  "p_result": g.result.to_dict(include_private=True, copy=False)}
        if conn.execute(_FINISH, params).rowcount == 1:
            done.add(g.job.id)
    for f in failed:
        conn.execute(_RETRY_OR_FAIL, {
            "p_id": f.job.id, "p_claim": f.job.token, "p_error": f.error,
            "p_status": SubmissionStatus.ERROR if f.final else SubmissionStatus.QUEUED,
            "p_finished": f.at if f.final else None})
    session.commit()
    for job_id in [g.job.id for g in graded] + [f.job.id for f in failed]:
        _expire_copy(session, job_id)
    return done
