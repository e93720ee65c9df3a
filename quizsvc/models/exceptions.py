"""Per-student exceptions to a quiz's or an assignment's dates and limits."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow

if TYPE_CHECKING:
    from quizsvc.models.users import User


class StudentException(Base):
    """One student's own dates and extra tries for one quiz or one assignment.

    ``closes_at`` replaces the close date (quizzes and assignments), ``due_at`` the due date late
    days count from (assignments), ``extra`` adds attempts (quizzes) or submissions (assignments), ``extra_minutes`` adds time
    to each attempt at a timed quiz.
    """

    __tablename__ = "student_exceptions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id"),
        UniqueConstraint("assignment_id", "user_id"),
        CheckConstraint("(quiz_id IS NULL) <> (assignment_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    extra: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0, server_default="0")  # extra time, timed quizzes
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
