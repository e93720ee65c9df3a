"""How a course's quizzes and assignments are scored, for the gradebook and for a student's own
grades: one set of rules, so what a student sees is what the staff see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    AttemptStatus,
    Course,
    Quiz,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import courses as course_svc
from quizsvc.services.assignments import visible_assignments
from quizsvc.services.attempts import feedback_visible, finish_expired
from quizsvc.services.quizzes import visible_quizzes
from quizsvc.services.submissions.results import kept_submission


def quiz_max(quiz: Quiz) -> float:
    return float(sum(i.points for i in quiz.items))


def assignment_max(assignment: Assignment, graded: Iterable[Submission] = ()) -> float:
    """The points its tests are worth: known before anyone submits (never "/0"). A grader that
    no longer exists falls back to what its graded submissions were out of."""
    try:
        return float(sum(c.points for c in registry.get(assignment.grader).cases))
    except registry.UnknownAssignment:
        return max((s.max_score or 0.0 for s in graded), default=0.0)


def best_attempts(session: Session, quiz_ids: list[int], user_id: int | None = None
                  ) -> tuple[dict[tuple[int, int], Attempt], dict[tuple[int, int], int]]:
    """Each student's best submitted attempt per quiz (a quiz counts its best attempt; the
    first of equal scores), and how many attempts each submitted, keyed by (user, quiz)."""
    finish_expired(session, quiz_ids=quiz_ids, user_id=user_id)  # a timed attempt whose time is up counts
    stmt = select(Attempt).where(Attempt.quiz_id.in_(quiz_ids), Attempt.status == AttemptStatus.SUBMITTED)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    best: dict[tuple[int, int], Attempt] = {}
    used: dict[tuple[int, int], int] = {}
    for a in session.scalars(stmt.order_by(Attempt.number)):
        key = (a.user_id, a.quiz_id)
        used[key] = used.get(key, 0) + 1
        if key not in best or (a.score or 0.0) > (best[key].score or 0.0):
            best[key] = a
    return best, used


def kept_submissions(session: Session, assignments: list[Assignment], user_id: int | None = None
                     ) -> tuple[dict[tuple[int, int], Submission], dict[int, list[Submission]]]:
    """The submission that counts per (user, assignment) under the assignment's score policy,
    and every graded submission per assignment."""
    stmt = select(Submission).where(Submission.assignment_id.in_([a.id for a in assignments]),
                                    Submission.status == SubmissionStatus.GRADED)
    if user_id is not None:
        stmt = stmt.where(Submission.user_id == user_id)
    mine: dict[tuple[int, int], list[Submission]] = {}
    graded: dict[int, list[Submission]] = {}
    for s in session.scalars(stmt):
        mine.setdefault((s.user_id, s.assignment_id), []).append(s)
        graded.setdefault(s.assignment_id, []).append(s)
    policy = {a.id: a.score_policy for a in assignments}
    kept = {key: k for key, subs in mine.items() if (k := kept_submission(subs, policy[key[1]]))}
    return kept, graded


@dataclass(frozen=True)
class QuizGrade:
    quiz: Quiz
    score: float | None  # None: not taken yet, or hidden until the quiz closes
    max_score: float
    closes_at: datetime | None
    attempts_used: int
    max_attempts: int | None
    attempt_id: int | None  # the attempt that counts (its result page holds the feedback)
    hidden: bool  # taken, but the score shows only after the quiz closes


@dataclass(frozen=True)
class AssignmentGrade:
    assignment: Assignment
    score: float | None
    max_score: float
    due_at: datetime | None
    late_days: int
    submission_id: int | None  # the graded submission that counts (its page holds the feedback)


@dataclass(frozen=True)
class StudentGrades:
    course: Course
    quizzes: list[QuizGrade]
    assignments: list[AssignmentGrade]

    @property
    def total(self) -> float:
        scores = [g.score for g in self.quizzes if g.score is not None]
        scores += [g.score for g in self.assignments if g.score is not None]
        return round(sum(scores), 6)

    @property
    def max_total(self) -> float:
        return round(sum(g.max_score for g in self.quizzes) + sum(g.max_score for g in self.assignments), 6)


def student_grades(session: Session, actor: User, course: Course) -> StudentGrades:
    """The actor's own grades in a course: every published quiz and assignment (staff see every
    one, as on the course page). Four queries whatever the course size."""
    course_svc.require_member(session, actor, course)
    staff = course_svc.is_staff(session, actor, course)
    quizzes = visible_quizzes(session, actor, course)
    assignments = visible_assignments(session, actor, course)
    best, used = best_attempts(session, [q.id for q in quizzes], actor.id)
    kept, graded = kept_submissions(session, assignments, actor.id)
    quiz_rows = []
    for q in quizzes:
        attempt = best.get((actor.id, q.id))
        shown = feedback_visible(session, q, staff)
        quiz_rows.append(QuizGrade(
            quiz=q, score=(attempt.score or 0.0) if attempt and shown else None, max_score=quiz_max(q),
            closes_at=q.closes_at, attempts_used=used.get((actor.id, q.id), 0), max_attempts=q.max_attempts,
            attempt_id=attempt.id if attempt else None, hidden=attempt is not None and not shown))
    assignment_rows = []
    for a in assignments:
        sub = kept.get((actor.id, a.id))
        assignment_rows.append(AssignmentGrade(
            assignment=a, score=sub.score if sub else None, max_score=assignment_max(a, graded.get(a.id, [])),
            due_at=a.due_at, late_days=sub.late_days if sub else 0, submission_id=sub.id if sub else None))
    return StudentGrades(course, quiz_rows, assignment_rows)
