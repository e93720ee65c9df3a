"""Staff try an assignment as a student would: the code is checked and graded like a submission,
and the result shown as the student would see it, but nothing is stored (no Submission row, no
queue, no gradebook), and an unpublished assignment can be tried too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from quizsvc.errors import Conflict
from quizsvc.grading import grade_source, registry
from quizsvc.grading.runner import Runner, default_runner
from quizsvc.models import Assignment, User, utcnow
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions.acceptance import validate_source
from quizsvc.services.submissions.claims import late_days, late_score
from quizsvc.services.submissions.formatting import student_dict
from quizsvc.text import Text

if TYPE_CHECKING:
    from quizsvc.settings import Settings


def not_installed() -> Conflict:
    return Conflict(Text(en="This assignment's grader is not installed.",
                         ko="이 과제의 채점기가 설치되어 있지 않습니다."))


@dataclass(frozen=True)
class Preview:
    result: dict[str, Any]  # as a student reads it: hidden cases by their category only
    raw_score: float
    score: float  # after the late penalty a submission made now would get
    max_score: float
    late_days: int
    filename: str


def grade(session: Session, actor: User, assignment: Assignment, source: str, filename: str = "solution.py", *,
          settings: Settings | None = None, runner: Runner | None = None, language: str = "ko",
          now: datetime | None = None) -> Preview:
    """Graded in this request by the app's runner (``settings``), in the reader's ``language``;
    late days count as for a submission made ``now``."""
    course_svc.require_staff(session, actor, assignment.course)
    name = validate_source(source, filename)
    try:
        suite = registry.get(assignment.grader)
    except registry.UnknownAssignment:
        raise not_installed() from None
    result = grade_source(suite, source, filename=name, runner=runner or default_runner(settings),
                          language=language)
    days = late_days(assignment.due_at, now or utcnow())
    return Preview(student_dict(result, assignment), result.score,
                   late_score(result.score, assignment.late_penalty_per_day, days), result.max_score, days, name)
