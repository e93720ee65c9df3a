from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow
from quizsvc.timezones import DEFAULT_TZ

if TYPE_CHECKING:
    from quizsvc.models.quizzes import Quiz
    from quizsvc.models.users import User


class CourseRole(enum.StrEnum):
    STUDENT = "student"
    TA = "ta"
    INSTRUCTOR = "instructor"

    @property
    def is_staff(self) -> bool:
        return self in (CourseRole.TA, CourseRole.INSTRUCTOR)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    # every date of the course is shown and entered in this zone (an IANA name)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TZ, server_default=DEFAULT_TZ)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )
    quizzes: Mapped[list[Quiz]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Quiz.position"
    )


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(
        Enum(CourseRole, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")
