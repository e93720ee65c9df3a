"""Staff's manual score overrides: of one quiz answer or of one submission, with a comment the
student sees."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow

if TYPE_CHECKING:
    from quizsvc.models.users import User


class ScoreOverride(Base):
    """One override (the newest of a target is the one in force): who, when, old → new, why."""

    __tablename__ = "score_overrides"
    __table_args__ = (CheckConstraint("(response_id IS NULL) <> (submission_id IS NULL)", name="one_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    old_score: Mapped[float | None]
    new_score: Mapped[float]
    comment: Mapped[str] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
