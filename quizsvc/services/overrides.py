"""Manual score overrides by course staff: one quiz answer, or one assignment submission.

The overridden score replaces the stored one (so the attempt total, the submission's score and
the gradebook use it), and a record keeps who, when, old → new and the comment the student sees.
An overridden answer is left alone by item regrades, an overridden submission by assignment
regrades: the staff's decision stands.
"""

from __future__ import annotations

import math

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quizsvc.errors import Conflict, Invalid, not_found
from quizsvc.models import (
    Attempt,
    AttemptStatus,
    Response,
    ScoreOverride,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import courses as course_svc
from quizsvc.text import Text

MAX_COMMENT = 2000


def _checked(score: float, max_score: float, comment: str) -> str:
    if not math.isfinite(score) or not 0 <= score <= max_score:
        raise Invalid(Text(en=f"The score must be between 0 and {max_score:g}.",
                           ko=f"점수는 0에서 {max_score:g} 사이여야 합니다."), errors={"score": "out of range"})
    comment = comment.strip()
    if not comment or len(comment) > MAX_COMMENT:
        raise Invalid(Text(en=f"Write a comment for the student (at most {MAX_COMMENT} characters).",
                           ko=f"학생에게 보일 설명을 쓰세요({MAX_COMMENT}자 이내)."), errors={"comment": "required"})
    return comment


def get_response(session: Session, actor: User, response_id: int) -> Response:
    """A submitted answer, for the course's staff; for anyone else it does not exist."""
    resp = session.get(Response, response_id) if course_svc.id_in_range(response_id) else None
    if resp is None or not course_svc.is_staff(session, actor, resp.attempt.quiz.course):
        raise not_found(Text(en="Answer", ko="답안"))
    return resp


def override_response(session: Session, actor: User, resp: Response, score: float, comment: str) -> ScoreOverride:
    attempt = resp.attempt
    course_svc.require_staff(session, actor, attempt.quiz.course)
    if attempt.status != AttemptStatus.SUBMITTED:
        raise Conflict(Text(en="Only a submitted attempt's answers can be overridden.",
                            ko="제출한 응시의 답안만 점수를 바꿀 수 있습니다."))
    comment = _checked(score, resp.max_score or 0.0, comment)
    old = resp.score or 0.0
    record = ScoreOverride(response_id=resp.id, actor_id=actor.id, old_score=old, new_score=score, comment=comment)
    resp.score = score
    # the total moves by the difference in SQL, so a concurrent regrade of another item is kept
    session.execute(update(Attempt).where(Attempt.id == attempt.id)
                    .values(score=Attempt.score + (score - old)).execution_options(synchronize_session=False))
    session.add(record)
    session.commit()
    session.refresh(attempt)
    return record


def override_submission(session: Session, actor: User, sub: Submission, score: float, comment: str) -> ScoreOverride:
    course_svc.require_staff(session, actor, sub.assignment.course)
    if sub.status != SubmissionStatus.GRADED:
        raise Conflict(Text(en="Only a graded submission's score can be overridden.",
                            ko="채점이 끝난 제출물만 점수를 바꿀 수 있습니다."))
    comment = _checked(score, sub.max_score or 0.0, comment)
    record = ScoreOverride(submission_id=sub.id, actor_id=actor.id, old_score=sub.score, new_score=score,
                           comment=comment)
    sub.score = score
    session.add(record)
    session.commit()
    return record


def for_attempt(session: Session, attempt: Attempt) -> dict[int, ScoreOverride]:
    """The override in force per item of an attempt (the newest per answer)."""
    rows = session.execute(
        select(Response.item_id, ScoreOverride).join(ScoreOverride, ScoreOverride.response_id == Response.id)
        .where(Response.attempt_id == attempt.id).order_by(ScoreOverride.id)).all()
    return {item_id: o for item_id, o in rows}


def for_submission(session: Session, sub: Submission) -> ScoreOverride | None:
    return session.scalar(select(ScoreOverride).where(ScoreOverride.submission_id == sub.id)
                          .order_by(ScoreOverride.id.desc()).limit(1))

