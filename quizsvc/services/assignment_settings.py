"""An assignment's course settings, as its instructors edit them: titles, dates (entered in the
course's time zone, stored in UTC), late penalty, submission limit, score policy; and
publishing, an action of its own.

Which feedback students see is not a setting here: assignments have no field for it (every
student sees visible cases in full and hidden ones by category only).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from quizsvc import timezones
from quizsvc.errors import Conflict, Invalid
from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    AssignmentFeedback,
    ScorePolicy,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import courses as course_svc
from quizsvc.text import Text

# Staff actions that change what students see go to the log (there is no audit table).
log = logging.getLogger("quizsvc.staff")

MAX_TITLE = 200
MAX_SUBMISSIONS = 1000


@dataclass(frozen=True)
class SettingsInput:
    """Dates without an offset are read in the course's time zone (as a form enters them);
    with one, they are converted. ``max_submissions`` None means unlimited."""

    title: str
    title_en: str = ""
    opens_at: datetime | None = None
    due_at: datetime | None = None
    closes_at: datetime | None = None
    late_penalty_per_day: float = 0.0
    max_submissions: int | None = None
    score_policy: str = ScorePolicy.BEST.value
    feedback: str = AssignmentFeedback.FULL.value


@dataclass(frozen=True)
class Saved:
    assignment: Assignment
    changed: list[str]
    # Scores are fixed when a submission is graded: new dates or a new penalty reach the
    # graded ones only by a regrade.
    regrade_advised: bool


def _invalid(field: str, en: str, ko: str) -> Invalid:
    return Invalid(Text(en=en, ko=ko), errors={field: en})


def form_values(assignment: Assignment) -> SettingsInput:
    """The stored settings as the form shows them: dates in the course's zone, without offset."""
    tz = assignment.course.timezone
    return SettingsInput(
        title=assignment.title, title_en=assignment.title_en,
        opens_at=timezones.to_local(assignment.opens_at, tz), due_at=timezones.to_local(assignment.due_at, tz),
        closes_at=timezones.to_local(assignment.closes_at, tz),
        late_penalty_per_day=assignment.late_penalty_per_day, max_submissions=assignment.max_submissions,
        score_policy=assignment.score_policy.value, feedback=assignment.feedback.value)


def _validated(inp: SettingsInput, tz: str) -> dict[str, Any]:
    """The values to store (UTC dates), or an Invalid naming the first problem."""
    title, title_en = (inp.title or "").strip(), (inp.title_en or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise _invalid("title", f"The Korean title needs 1 to {MAX_TITLE} characters.",
                       f"한국어 제목은 1~{MAX_TITLE}자여야 합니다.")
    if len(title_en) > MAX_TITLE:
        raise _invalid("title_en", f"The English title has at most {MAX_TITLE} characters.",
                       f"영어 제목은 최대 {MAX_TITLE}자입니다.")
    opens, due, closes = (timezones.from_local(d, tz) for d in (inp.opens_at, inp.due_at, inp.closes_at))
    if opens and due and due < opens:
        raise _invalid("due_at", "The due date cannot be before the open date.",
                       "제출 기한은 시작 시각보다 앞설 수 없습니다.")
    if due and closes and closes < due:
        raise _invalid("closes_at", "The close date cannot be before the due date.",
                       "마감 시각은 제출 기한보다 앞설 수 없습니다.")
    if opens and closes and closes < opens:
        raise _invalid("closes_at", "The close date cannot be before the open date.",
                       "마감 시각은 시작 시각보다 앞설 수 없습니다.")
    penalty = inp.late_penalty_per_day
    if penalty is None or isinstance(penalty, bool) or not isinstance(penalty, int | float) \
            or not math.isfinite(penalty) or not 0 <= penalty <= 1:
        raise _invalid("late_penalty_per_day", "The late penalty per day is a fraction from 0 to 1 (0.1 = 10%).",
                       "하루 지각 감점은 0에서 1 사이의 비율입니다 (0.1 = 10%).")
    limit = inp.max_submissions
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= MAX_SUBMISSIONS):
        raise _invalid("max_submissions",
                       f"The submission limit is from 1 to {MAX_SUBMISSIONS}, or empty for unlimited.",
                       f"제출 횟수 제한은 1에서 {MAX_SUBMISSIONS} 사이이거나, 제한이 없으면 비워 둡니다.")
    try:
        policy = ScorePolicy(inp.score_policy)
    except ValueError:
        raise _invalid("score_policy", "The score policy is 'best' or 'last'.",
                       "점수 기준은 '최고 점수(best)' 또는 '마지막 제출(last)'입니다.") from None
    try:
        feedback = AssignmentFeedback(inp.feedback)
    except ValueError:
        raise _invalid("feedback", "Feedback is 'full', 'scores' or 'after_due'.",
                       "피드백은 '전체(full)', '점수만(scores)', '기한 후 전체(after_due)' 중 하나입니다.") from None
    return {"title": title, "title_en": title_en, "opens_at": opens, "due_at": due, "closes_at": closes,
            "late_penalty_per_day": float(penalty), "max_submissions": limit, "score_policy": policy,
            "feedback": feedback}


def update_settings(session: Session, actor: User, assignment: Assignment, inp: SettingsInput) -> Saved:
    course_svc.require_editor(session, actor, assignment.course)
    values = _validated(inp, assignment.course.timezone)
    changed = [name for name, value in values.items() if getattr(assignment, name) != value]
    for name in changed:
        setattr(assignment, name, values[name])
    graded = bool({"due_at", "late_penalty_per_day"} & set(changed)) and bool(session.scalar(select(exists().where(
        Submission.assignment_id == assignment.id, Submission.status == SubmissionStatus.GRADED))))
    session.commit()
    if changed:
        log.info("user %s changed %s of assignment %s (course %s)", actor.id, ", ".join(changed),
                 assignment.id, assignment.course_id)
    return Saved(assignment, changed, graded)


def set_published(session: Session, actor: User, assignment: Assignment, published: bool) -> Assignment:
    """Publish (students see it and may submit, within its dates) or unpublish (it is gone for
    them; their submissions are kept)."""
    course_svc.require_editor(session, actor, assignment.course)
    if published and not grader_installed(assignment):
        raise Conflict(Text(en="This assignment's grader is not installed, so it cannot be published.",
                            ko="이 과제의 채점기가 설치되어 있지 않아 공개할 수 없습니다."))
    if assignment.published != published:
        assignment.published = published
        session.commit()
        log.info("user %s %s assignment %s (course %s)", actor.id, "published" if published else "unpublished",
                 assignment.id, assignment.course_id)
    return assignment


def grader_installed(assignment: Assignment) -> bool:
    try:
        registry.package(assignment.grader)
    except registry.UnknownAssignment:
        return False
    return True

