"""Regrading a quiz item after its key, tolerance, options or points changed.

Editing an item changes future scoring only; this rescored every submitted answer to it with the
item as it is now (the question type's ``score()`` on the stored answer and the student's own
variant), except answers whose score staff set by hand (services.overrides). ``preview`` shows who gains and who loses; ``apply`` writes the new scores and attempt
totals and a record of the change, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, joinedload

from quizsvc.errors import Conflict
from quizsvc.models import (
    Attempt,
    AttemptStatus,
    Item,
    ItemRegrade,
    Quiz,
    Response,
    ScoreOverride,
    User,
)
from quizsvc.quiz.registry import type_of
from quizsvc.services import courses as course_svc
from quizsvc.services.attempts import NOT_ANSWERED
from quizsvc.services.quizzes import variant_for
from quizsvc.text import Text


@dataclass(frozen=True)
class ScoreChange:
    """One attempt whose score for the item changes."""

    response_id: int
    attempt_id: int
    attempt_number: int
    user: User
    old: float
    new: float
    old_max: float
    new_max: float
    correct: bool
    feedback: dict[str, Any]

    @property
    def delta(self) -> float:
        return round(self.new - self.old, 6)


@dataclass
class RegradePreview:
    item: Item
    checked: int  # submitted answers rescored
    changes: list[ScoreChange]  # those whose score or maximum changes

    @property
    def gains(self) -> list[ScoreChange]:
        return [c for c in self.changes if c.delta > 0]

    @property
    def losses(self) -> list[ScoreChange]:
        return [c for c in self.changes if c.delta < 0]

    @property
    def total_change(self) -> float:
        return round(sum(c.delta for c in self.changes), 6)


def _rescore(session: Session, item: Item) -> RegradePreview:
    responses = session.scalars(
        select(Response).join(Attempt, Attempt.id == Response.attempt_id)
        .where(Response.item_id == item.id, Attempt.status == AttemptStatus.SUBMITTED,
               ~exists().where(ScoreOverride.response_id == Response.id))  # staff's score stands
        .options(joinedload(Response.attempt).joinedload(Attempt.user))
        .order_by(Attempt.user_id, Attempt.number)
        .execution_options(populate_existing=True)
    ).all()
    qtype = type_of(item.type_name)
    shuffle = item.quiz.shuffle_options
    changes: list[ScoreChange] = []
    for resp in responses:
        attempt = resp.attempt
        if "value" in resp.answer:
            result = qtype.score(resp.answer["value"], variant_for(item, attempt.user_id, shuffle))
            new, correct = round(result.fraction * item.points, 6), result.correct
            feedback = {"message": result.message.as_dict(), "details": result.details}
        else:  # not answered: nothing to rescore, but the maximum may change
            new, correct, feedback = 0.0, False, {"message": NOT_ANSWERED.as_dict()}
        old, old_max = resp.score or 0.0, resp.max_score or 0.0
        if new != old or item.points != old_max:
            changes.append(ScoreChange(resp.id, attempt.id, attempt.number, attempt.user, old, new,
                                       old_max, item.points, correct, feedback))
    return RegradePreview(item, len(responses), changes)


def preview(session: Session, actor: User, item: Item) -> RegradePreview:
    """What a regrade of ``item`` would change, without changing anything."""
    course_svc.require_staff(session, actor, item.quiz.course)
    return _rescore(session, item)


def apply(session: Session, actor: User, item: Item) -> ItemRegrade | None:
    """Rescore every submitted answer to ``item`` and record it; None if nothing changes.

    Each response is updated only if it still holds the score the preview read, and the attempt
    total moves by the difference in SQL: two regrades at once (of this item or another of the
    quiz) never count a change twice or lose one.
    """
    course_svc.require_editor(session, actor, item.quiz.course)
    plan = _rescore(session, item)
    done: list[ScoreChange] = []
    for c in plan.changes:
        moved = session.execute(
            # an answer scored before maxima were kept has NULLs: read as 0, as the preview did
            update(Response).where(Response.id == c.response_id,
                                   func.coalesce(Response.score, 0.0) == c.old,
                                   func.coalesce(Response.max_score, 0.0) == c.old_max)
            .values(score=c.new, max_score=c.new_max, correct=c.correct, feedback=c.feedback)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not moved:
            session.rollback()
            raise Conflict(Text(en="The scores changed meanwhile; look at the preview again.",
                                ko="그 사이에 점수가 바뀌었습니다. 미리 보기를 다시 확인하세요."))
        session.execute(
            update(Attempt).where(Attempt.id == c.attempt_id)
            .values(score=func.coalesce(Attempt.score, 0.0) + c.delta,
                    max_score=func.coalesce(Attempt.max_score, 0.0) + (c.new_max - c.old_max))
            .execution_options(synchronize_session=False))
        done.append(c)
    if not done:
        session.rollback()
        return None
    record = ItemRegrade(
        quiz_id=item.quiz_id, item_id=item.id, actor_id=actor.id, points=item.points,
        config=dict(item.config), attempts_changed=len(done), total_change=plan.total_change,
        changes={"attempts": [{"attempt_id": c.attempt_id, "user_id": c.user.id, "old": c.old,
                               "new": c.new, "old_max": c.old_max, "new_max": c.new_max} for c in done]},
    )
    session.add(record)
    session.commit()
    return record


def history(session: Session, actor: User, quiz: Quiz) -> list[ItemRegrade]:
    """The quiz's regrades, newest first."""
    course_svc.require_staff(session, actor, quiz.course)
    return list(session.scalars(
        select(ItemRegrade).where(ItemRegrade.quiz_id == quiz.id)
        .options(joinedload(ItemRegrade.item), joinedload(ItemRegrade.actor))
        .order_by(ItemRegrade.created_at.desc(), ItemRegrade.id.desc())))
