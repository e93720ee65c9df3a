"""Per-student exceptions: one student's own close date, due date, extra tries and extra time.

Set by course staff; read by the services that enforce the limits (attempts.py for quizzes,
submissions/acceptance.py and fast/accept.py for assignments, fast/claims.py for late days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from quizsvc.errors import Conflict, Invalid
from quizsvc.models import Assignment, Course, CourseRole, Quiz, StudentException, User, utcnow
from quizsvc.services import courses as course_svc
from quizsvc.text import Text

MAX_EXTRA = 100
MAX_EXTRA_MINUTES = 24 * 60


@dataclass(frozen=True)
class ExceptionInput:
    user_id: int
    target: str  # "q-<quiz id>" or "a-<assignment id>"
    closes_at: datetime | None
    due_at: datetime | None
    extra: int
    extra_minutes: int = 0  # extra time per attempt at a timed quiz


def for_quiz(session: Session, quiz: Quiz, user: User) -> StudentException | None:
    return session.scalar(select(StudentException).where(
        StudentException.quiz_id == quiz.id, StudentException.user_id == user.id))


def for_assignment(session: Session, assignment: Assignment, user: User) -> StudentException | None:
    return session.scalar(select(StudentException).where(
        StudentException.assignment_id == assignment.id, StudentException.user_id == user.id))


def closes_at(close: datetime | None, exc: StudentException | None) -> datetime | None:
    """The close date that holds for the student: their own if they have one."""
    return exc.closes_at if exc is not None and exc.closes_at is not None else close


def extra(exc: StudentException | None) -> int:
    return exc.extra if exc is not None else 0


def extra_minutes(exc: StudentException | None) -> int:
    return exc.extra_minutes if exc is not None else 0


def of_course(session: Session, actor: User, course: Course) -> list[StudentException]:
    course_svc.require_staff(session, actor, course)
    quiz_ids = select(Quiz.id).where(Quiz.course_id == course.id)
    assignment_ids = select(Assignment.id).where(Assignment.course_id == course.id)
    return list(session.scalars(
        select(StudentException)
        .where(StudentException.quiz_id.in_(quiz_ids) | StudentException.assignment_id.in_(assignment_ids))
        .options(joinedload(StudentException.user)).order_by(StudentException.id)))


def _target(session: Session, course: Course, target: str) -> Quiz | Assignment:
    kind, _, raw = target.partition("-")
    if raw.isdigit():
        if kind == "q":
            quiz = session.get(Quiz, int(raw))
            if quiz is not None and quiz.course_id == course.id:
                return quiz
        if kind == "a":
            assignment = session.get(Assignment, int(raw))
            if assignment is not None and assignment.course_id == course.id:
                return assignment
    raise Invalid(Text(en="Choose a quiz or an assignment of this course.", ko="이 강좌의 퀴즈나 과제를 고르세요."),
                  errors={"target": "unknown"})


def set_exception(session: Session, actor: User, course: Course, inp: ExceptionInput) -> StudentException | None:
    """Create or replace the student's exception for the target; an empty one removes it
    (returns None)."""
    course_svc.require_staff(session, actor, course)
    student = session.get(User, inp.user_id) if course_svc.id_in_range(inp.user_id) else None
    if student is None or course_svc.role_in(session, student, course) != CourseRole.STUDENT:
        raise Invalid(Text(en="Choose a student of this course.", ko="이 강좌의 학생을 고르세요."),
                      errors={"user_id": "not a student"})
    target = _target(session, course, inp.target)
    if not 0 <= inp.extra <= MAX_EXTRA:
        raise Invalid(Text(en=f"Extra tries: from 0 to {MAX_EXTRA}.", ko=f"추가 횟수는 0에서 {MAX_EXTRA} 사이입니다."),
                      errors={"extra": "out of range"})
    if not 0 <= inp.extra_minutes <= MAX_EXTRA_MINUTES:
        raise Invalid(Text(en=f"Extra time: from 0 to {MAX_EXTRA_MINUTES} minutes.",
                           ko=f"추가 시간은 0분에서 {MAX_EXTRA_MINUTES}분 사이입니다."),
                      errors={"extra_minutes": "out of range"})
    if isinstance(target, Assignment) and inp.extra_minutes:
        raise Invalid(Text(en="Extra time is for timed quizzes; give an assignment a later due date instead.",
                           ko="추가 시간은 시간 제한 퀴즈에만 있습니다. 과제에는 제출 기한을 늦춰 주세요."),
                      errors={"extra_minutes": "assignment"})
    if isinstance(target, Quiz) and inp.due_at is not None:
        raise Invalid(Text(en="A quiz has no due date; give it a close date instead.",
                           ko="퀴즈에는 제출 기한이 없습니다. 마감 시각을 정하세요."), errors={"due_at": "quiz"})
    exc = (for_quiz(session, target, student) if isinstance(target, Quiz)
           else for_assignment(session, target, student))
    if inp.closes_at is None and inp.due_at is None and not inp.extra and not inp.extra_minutes:
        if exc is not None:
            session.delete(exc)
            session.commit()
        return None
    if exc is None:
        exc = StudentException(user_id=student.id, quiz_id=target.id if isinstance(target, Quiz) else None,
                               assignment_id=target.id if isinstance(target, Assignment) else None)
        session.add(exc)
    exc.closes_at, exc.due_at, exc.extra = inp.closes_at, inp.due_at, inp.extra
    exc.extra_minutes = inp.extra_minutes
    exc.actor_id, exc.updated_at = actor.id, utcnow()
    try:
        session.commit()
    except IntegrityError:  # another member of staff set one at the same moment
        session.rollback()
        raise Conflict(Text(en="Changed at the same time by someone else; please retry.",
                            ko="다른 사람이 동시에 바꾸었습니다. 다시 시도하세요.")) from None
    return exc
