from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow

if TYPE_CHECKING:
    from quizsvc.models.courses import Course
    from quizsvc.models.users import User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class FeedbackPolicy(enum.StrEnum):
    IMMEDIATE = "immediate"  # score, keys and explanations right after submitting
    # Nothing that tells right from wrong before the close date: not even the score (answering
    # b, then a, and comparing the two totals would).
    AFTER_CLOSE = "after_close"  # score, keys and explanations once the quiz has closed


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Quiz(Base):
    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None] = mapped_column(default=None)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    max_attempts: Mapped[int | None] = mapped_column(default=None)  # None: unlimited
    # Minutes an attempt may last once started (None: no limit); the server enforces it.
    time_limit_minutes: Mapped[int | None] = mapped_column(default=None)
    feedback_policy: Mapped[FeedbackPolicy] = mapped_column(
        _enum(FeedbackPolicy), default=FeedbackPolicy.IMMEDIATE
    )
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="quizzes")
    items: Mapped[list[Item]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="Item.position"
    )
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", passive_deletes=True
    )

    def has_closed(self, now: datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


class Item(Base):
    """A quiz item. ``type_name`` selects the question type; ``config`` is that type's data."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    type_name: Mapped[str] = mapped_column(String(32))
    section: Mapped[str] = mapped_column(String(64), default="")
    points: Mapped[float] = mapped_column(default=1.0)
    prompt: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ko": md, "en": md}
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="items")


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    status: Mapped[AttemptStatus] = mapped_column(
        _enum(AttemptStatus), default=AttemptStatus.IN_PROGRESS
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    # When a timed attempt ends (start + limit + the student's extra time, capped by their close
    # date), fixed at the start so later changes to the quiz do not move a running clock.
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float | None] = mapped_column(default=None)

    quiz: Mapped[Quiz] = relationship(back_populates="attempts")
    user: Mapped[User] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True
    )


class Response(Base):
    """A student's answer to one item within one attempt, with its score once graded."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"value": parsed answer}
    score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float | None] = mapped_column(default=None)
    correct: Mapped[bool | None] = mapped_column(default=None)
    feedback: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    item: Mapped[Item] = relationship()
