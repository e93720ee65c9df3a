from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizsvc.models.base import Base, utcnow

if TYPE_CHECKING:
    from quizsvc.models.courses import Course
    from quizsvc.models.users import User


class ScorePolicy(enum.StrEnum):
    BEST = "best"  # the gradebook keeps a student's best submission
    LAST = "last"  # the gradebook keeps the latest graded submission


class AssignmentFeedback(enum.StrEnum):
    """What a student sees of a graded submission (staff always see everything)."""

    FULL = "full"  # every visible case's message, hints and the diagnosis; hidden cases' category
    SCORES = "scores"  # the score and which cases passed: no messages, hints or diagnosis
    AFTER_DUE = "after_due"  # SCORES until the due date (the student's own), then FULL


class SubmissionStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    ERROR = "error"  # grading itself failed (not the student's code): retried, then reported


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Assignment(Base):
    """A programming assignment of a course. ``grader`` is the key grading uses
    (``quizsvc.grading.registry``): the digest of its active version, or (databases from before
    versions) a demo package's slug."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    grader: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    # After the due date: this fraction of the score is lost per started day, until closes_at.
    late_penalty_per_day: Mapped[float] = mapped_column(default=0.0)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    max_submissions: Mapped[int | None] = mapped_column(default=None)  # None: unlimited
    score_policy: Mapped[ScorePolicy] = mapped_column(_enum(ScorePolicy), default=ScorePolicy.BEST)
    feedback: Mapped[AssignmentFeedback] = mapped_column(
        _enum(AssignmentFeedback), default=AssignmentFeedback.FULL, server_default="full")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The version students are graded with. use_alter: the two tables point at each other.
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_versions.id", ondelete="SET NULL", use_alter=True), default=None)

    course: Mapped[Course] = relationship()
    # post_update: a new assignment and its first version are inserted, then linked.
    version: Mapped[AssignmentVersion | None] = relationship(
        foreign_keys=[version_id], post_update=True)


class AssignmentVersion(Base):
    """One imported package of an assignment: its .zip as uploaded (content-addressed by
    ``digest``, the package's version) and the check report it passed."""

    __tablename__ = "assignment_versions"
    __table_args__ = (UniqueConstraint("assignment_id", "digest"),
                      UniqueConstraint("assignment_id", "number",
                                       name="uq_assignment_versions_assignment_id_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ... per assignment
    digest: Mapped[str] = mapped_column(String(64), index=True)
    package: Mapped[bytes] = mapped_column(LargeBinary)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)

    assignment: Mapped[Assignment] = relationship(foreign_keys=[assignment_id])
    created_by: Mapped[User | None] = relationship()


class Submission(Base):
    """One submitted solution. The row is the source of truth for its grading job."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_assignment_user", "assignment_id", "user_id"),
        Index("ix_submissions_status", "status"),
        Index("ix_submissions_user_created", "user_id", "created_at"),  # the rate limit's count
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200), default="solution.py")
    source: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(16), default="web")  # web | api
    status: Mapped[SubmissionStatus] = mapped_column(
        _enum(SubmissionStatus), default=SubmissionStatus.QUEUED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)  # a running claim's deadline
    claim: Mapped[str | None] = mapped_column(String(32), default=None)  # who holds the claim
    deliveries: Mapped[int] = mapped_column(default=0)
    grade_count: Mapped[int] = mapped_column(default=0)  # grades written: exactly 1 per (re)grade round
    raw_score: Mapped[float | None] = mapped_column(default=None)
    score: Mapped[float | None] = mapped_column(default=None)  # after the late penalty
    max_score: Mapped[float | None] = mapped_column(default=None)
    late_days: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The version (package digest) the stored grade came from.
    graded_version: Mapped[str | None] = mapped_column(String(64), default=None)

    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship()
