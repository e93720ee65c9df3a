"""The gradebook: every student's quiz and assignment scores of a course, as rows or CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.models import (
    Assignment,
    Course,
    CourseRole,
    Enrollment,
    Quiz,
    User,
)
from quizsvc.services import courses as course_svc
from quizsvc.services import grades


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
    """Quizzes count a student's best attempt; assignments follow their best/last policy
    (services/grades.py, which a student's own grades use as well).

    A fixed number of queries whatever the class size (no query per student or per cell).
    """
    course_svc.require_staff(session, actor, course)
    quizzes = list(session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.position)))
    assignments = list(session.scalars(
        select(Assignment).where(Assignment.course_id == course.id).order_by(Assignment.position)))
    students = list(session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, Enrollment.role == CourseRole.STUDENT).order_by(User.name)))
    best, _ = grades.best_attempts(session, [q.id for q in quizzes])
    kept, graded = grades.kept_submissions(session, assignments)
    columns = [Column(f"q{q.id}", q.title, grades.quiz_max(q)) for q in quizzes]
    columns += [Column(f"a{a.id}", a.title, grades.assignment_max(a, graded.get(a.id, []))) for a in assignments]
    book = Gradebook(columns)
    for user in students:
        scores: dict[str, float | None] = {}
        for q in quizzes:
            attempt = best.get((user.id, q.id))
            scores[f"q{q.id}"] = (attempt.score or 0.0) if attempt else None
        for assignment in assignments:
            sub = kept.get((user.id, assignment.id))
            scores[f"a{assignment.id}"] = sub.score if sub else None
        book.rows.append((user, scores))
    return book
