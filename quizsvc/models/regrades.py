"""The record of a quiz item's regrade: who rescored which attempts, when, and by how much."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow

if TYPE_CHECKING:
    from quizsvc.models.quizzes import Item
    from quizsvc.models.users import User


class ItemRegrade(Base):
    __tablename__ = "item_regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    points: Mapped[float]  # the item's points and config the attempts were rescored with
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts_changed: Mapped[int]
    total_change: Mapped[float]
    # {"attempts": [{"attempt_id", "user_id", "old", "new"}, ...]}: what each attempt had before
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    item: Mapped[Item] = relationship()
    actor: Mapped[User | None] = relationship()
