"""The ORM models. Import from here so every table is registered on ``Base.metadata``."""

from quizsvc.models.assignments import (
    Assignment,
    AssignmentFeedback,
    AssignmentVersion,
    ScorePolicy,
    Submission,
    SubmissionStatus,
)
from quizsvc.models.auth import PasswordReset, RateLimitCounter
from quizsvc.models.base import Base, utcnow
from quizsvc.models.courses import Course, CourseRole, Enrollment
from quizsvc.models.exceptions import StudentException
from quizsvc.models.overrides import ScoreOverride
from quizsvc.models.quizzes import Attempt, AttemptStatus, FeedbackPolicy, Item, Quiz, Response
from quizsvc.models.regrades import ItemRegrade
from quizsvc.models.tokens import ApiToken, TokenScope
from quizsvc.models.users import User

__all__ = [
    "ApiToken",
    "Assignment",
    "AssignmentVersion",
    "Attempt",
    "AttemptStatus",
    "Base",
    "Course",
    "CourseRole",
    "Enrollment",
    "FeedbackPolicy",
    "Item",
    "ItemRegrade",
    "PasswordReset",
    "Quiz",
    "RateLimitCounter",
    "Response",
    "ScoreOverride",
    "AssignmentFeedback",
    "ScorePolicy",
    "StudentException",
    "Submission",
    "SubmissionStatus",
    "TokenScope",
    "User",
    "utcnow",
]
