"""Reading submissions: one for its author or the course staff, an author's list, the staff
overview, and the one that counts for the gradebook."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.errors import not_found
from quizsvc.models import Assignment, ScorePolicy, Submission, SubmissionStatus, User
from quizsvc.services import courses as course_svc
from quizsvc.text import Text


def get_submission(session: Session, actor: User, submission_id: int) -> Submission:
    sub = session.get(Submission, submission_id) if 0 < submission_id < 2**31 else None
    if sub is None or (sub.user_id != actor.id and not course_svc.is_staff(session, actor, sub.assignment.course)):
        raise not_found(Text(en="Submission", ko="제출물"))
    return sub


def submissions_of(session: Session, actor: User, assignment: Assignment, user: User | None = None) -> list[Submission]:
    """The actor's own submissions, or (staff) another user's."""
    target = user or actor
    if target.id != actor.id:
        course_svc.require_staff(session, actor, assignment.course)
    return list(session.scalars(
        select(Submission).where(Submission.assignment_id == assignment.id, Submission.user_id == target.id)
        .order_by(Submission.id.desc())))


def recent_submissions(session: Session, assignment: Assignment, limit: int = 500) -> list[Submission]:
    """The latest submissions of an assignment, newest first (the staff overview)."""
    return list(session.scalars(select(Submission).where(Submission.assignment_id == assignment.id)
                                .order_by(Submission.id.desc()).limit(limit)))


def kept_submission(subs: list[Submission], policy: ScorePolicy) -> Submission | None:
    graded = [s for s in subs if s.status == SubmissionStatus.GRADED and s.score is not None]
    if not graded:
        return None
    if policy == ScorePolicy.LAST:
        return max(graded, key=lambda s: (s.created_at, s.id))
    return max(graded, key=lambda s: (s.score or 0.0, -s.id))
