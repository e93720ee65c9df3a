"""The gradebook: every student's quiz and assignment scores of a course, as rows or CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.models import (
    Assignment,
    Attempt,
    AttemptStatus,
    Course,
    CourseRole,
    Enrollment,
    Quiz,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions.results import kept_submission


@dataclass
class Column:
    key: str
    title: str
    max_score: float


@dataclass
class Gradebook:
    columns: list[Column]
    rows: list[tuple[User, dict[str, float | None]]] = field(default_factory=list)

    def total(self, scores: dict[str, float | None]) -> float:
        return round(sum(v for v in scores.values() if v is not None), 6)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "email", *[_text_cell(f"{c.title} (/{c.max_score:g})") for c in self.columns],
                         "total"])
        for user, scores in self.rows:
            writer.writerow([_text_cell(user.name), _text_cell(user.email),
                             *["" if scores[c.key] is None else f"{scores[c.key]:g}" for c in self.columns],
                             f"{self.total(scores):g}"])
        return out.getvalue()


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (=HYPERLINK(...) in a display name would run in the instructor's spreadsheet). OWASP's advice
# for CSV injection: start such a cell with an apostrophe, which makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(text: str) -> str:
    """A cell of text that people typed (names, e-mails, titles), safe from evaluation."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def gradebook(session: Session, actor: User, course: Course) -> Gradebook:
    """Quizzes count a student's best attempt; assignments follow their best/last policy.

    A fixed number of queries whatever the class size (no query per student or per cell).
    """
    course_svc.require_staff(session, actor, course)
    quizzes = list(session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.position)))
    assignments = list(session.scalars(
        select(Assignment).where(Assignment.course_id == course.id).order_by(Assignment.position)))
    students = list(session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, Enrollment.role == CourseRole.STUDENT).order_by(User.name)))
    columns = [Column(f"q{q.id}", q.title, float(sum(i.points for i in q.items))) for q in quizzes]
    columns += [Column(f"a{a.id}", a.title, 0.0) for a in assignments]
    book = Gradebook(columns)
    best: dict[tuple[int, int], float] = {}
    for a in session.scalars(select(Attempt).where(
            Attempt.quiz_id.in_([q.id for q in quizzes]), Attempt.status == AttemptStatus.SUBMITTED)):
        key = (a.user_id, a.quiz_id)
        best[key] = max(best.get(key, 0.0), a.score or 0.0)
    subs: dict[tuple[int, int], list[Submission]] = {}
    for s in session.scalars(select(Submission).where(
            Submission.assignment_id.in_([a.id for a in assignments]),
            Submission.status == SubmissionStatus.GRADED)):
        subs.setdefault((s.user_id, s.assignment_id), []).append(s)
        col = next(c for c in columns if c.key == f"a{s.assignment_id}")
        col.max_score = max(col.max_score, s.max_score or 0.0)
    policy = {a.id: a.score_policy for a in assignments}
    for user in students:
        scores: dict[str, float | None] = {f"q{q.id}": best.get((user.id, q.id)) for q in quizzes}
        for assignment in assignments:
            kept = kept_submission(subs.get((user.id, assignment.id), []), policy[assignment.id])
            scores[f"a{assignment.id}"] = kept.score if kept else None
        book.rows.append((user, scores))
    return book
