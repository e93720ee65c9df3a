"""Regrading an assignment after its tests changed, and following its progress."""

from __future__ import annotations

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from quizsvc.models import Assignment, ScoreOverride, Submission, SubmissionStatus, User
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions.acceptance import Dispatcher


def regrade(session: Session, actor: User | None, assignment: Assignment, dispatcher: Dispatcher | None) -> int:
    """Queue every finished submission of an assignment again (after its tests changed), but
    those whose score staff set by hand (services.overrides): the staff's score stands.
    ``actor`` None: a trusted caller (the command line)."""
    if actor is not None:
        course_svc.require_editor(session, actor, assignment.course)
    ids = list(session.scalars(select(Submission.id).where(
        Submission.assignment_id == assignment.id,
        Submission.status.in_([SubmissionStatus.GRADED, SubmissionStatus.ERROR]),
        ~exists().where(ScoreOverride.submission_id == Submission.id))))
    if ids:
        session.execute(update(Submission).where(Submission.id.in_(ids)).values(
            status=SubmissionStatus.QUEUED, claim=None, lease_until=None, deliveries=0, grade_count=0))
        session.commit()
    if dispatcher is not None:
        for sid in ids:
            dispatcher.enqueue(sid)
    return len(ids)


def progress(session: Session, assignment: Assignment) -> dict[str, int]:
    rows = session.execute(select(Submission.status, func.count()).where(
        Submission.assignment_id == assignment.id).group_by(Submission.status)).all()
    counts = {s.value: 0 for s in SubmissionStatus}
    counts.update({status.value if hasattr(status, "value") else str(status): n for status, n in rows})
    return counts
