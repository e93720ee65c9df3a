"""Moving quiz banks (YAML directories) into and out of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizsvc.errors import Forbidden, Invalid
from quizsvc.models import Course, FeedbackPolicy, Item, Quiz, Response, User
from quizsvc.quiz import bank as B
from quizsvc.services import courses as course_svc
from quizsvc.text import Text


class BankProblems(Invalid):
    def __init__(self, problems: list[B.Problem]) -> None:
        super().__init__(Text(en="The quiz bank has problems.", ko="퀴즈 은행에 문제가 있습니다."),
                         errors=[str(p) for p in problems])
        self.problems = problems


def _title(value: dict[str, Any]) -> tuple[str, str]:
    return str(value.get("ko", "")).strip(), str(value.get("en", "")).strip()


def import_bank(
    session: Session, actor: User | None, directory: Path, *, course: Course | None = None
) -> Course:
    """Create or update the course and its quizzes from a bank directory.

    Quizzes and items are matched by slug/key, so importing an edited bank updates in place and
    keeps students' attempts. ``actor`` None means a trusted caller (CLI, demo loader).
    """
    bank, problems = B.check_dir(directory)
    if problems or bank is None:
        raise BankProblems(problems)
    slug = course.slug if course is not None else str(bank.course["slug"])
    if course is None:
        course = session.scalar(select(Course).where(Course.slug == slug))
    title_ko, title_en = _title(bank.course["title"])
    if course is None:
        if actor is not None and not (actor.is_admin or actor.can_create_courses):
            raise Forbidden(Text(en="You may not create courses.", ko="강좌를 만들 권한이 없습니다."))
        course = Course(slug=slug, title=title_ko, title_en=title_en, join_code=course_svc.new_join_code())
        session.add(course)
        session.flush()
        if actor is not None:
            course_svc.enroll(session, actor, course, course_svc.CourseRole.INSTRUCTOR)
    elif actor is not None:
        course_svc.require_editor(session, actor, course)
    course.title, course.title_en = title_ko, title_en
    existing = {q.slug: q for q in course.quizzes}
    for bq in bank.quizzes:
        quiz = existing.get(bq.slug) or Quiz(course_id=course.id, slug=bq.slug)
        if quiz.id is None:
            session.add(quiz)
        _apply_bank_quiz(quiz, bq.data)
        session.flush()
        _sync_items(session, quiz, bq.data["items"])
    session.commit()
    # Quizzes and items were added by foreign key, not through the collections: reload those,
    # or course.quizzes (and quiz.items) would still show what was there before the import.
    session.expire(course, ["quizzes"])
    for quiz in course.quizzes:
        session.expire(quiz, ["items"])
    return course


def _apply_bank_quiz(quiz: Quiz, d: dict[str, Any]) -> None:
    quiz.title, quiz.title_en = _title(d["title"])
    quiz.description = dict(d.get("description") or {})
    quiz.position = int(d.get("position", 0))
    quiz.published = bool(d.get("published", False))
    quiz.opens_at = B._parse_dt(d.get("opens_at"))
    quiz.closes_at = B._parse_dt(d.get("closes_at"))
    quiz.max_attempts = d.get("max_attempts")
    quiz.time_limit_minutes = d.get("time_limit_minutes")
    quiz.feedback_policy = FeedbackPolicy(d.get("feedback_policy", "immediate"))
    quiz.shuffle_options = bool(d.get("shuffle_options", True))


def _sync_items(session: Session, quiz: Quiz, items: list[dict[str, Any]]) -> None:
    existing = {i.key: i for i in session.scalars(select(Item).where(Item.quiz_id == quiz.id))}
    for position, data in enumerate(items):
        spec = B.item_spec(data)
        item = existing.pop(spec.key, None) or Item(quiz_id=quiz.id, key=spec.key)
        if item.id is None:
            session.add(item)
        item.position = position
        item.type_name = spec.type_name
        item.section = str(data.get("section", ""))
        item.points = spec.points
        item.prompt = dict(spec.prompt)
        item.explanation = dict(spec.explanation)
        item.config = dict(spec.config)
    # An item dropped from the file goes, unless students answered it: their answers are kept.
    answered = [
        key for key, item in existing.items()
        if session.scalar(select(func.count()).select_from(Response).where(Response.item_id == item.id))
    ]
    if answered:
        session.rollback()
        raise BankProblems([
            B.Problem(f"{quiz.slug}.yaml", key, "students answered this item: keep it in the file")
            for key in answered
        ])
    for item in existing.values():
        session.delete(item)


def export_course(session: Session, actor: User | None, course: Course) -> B.Bank:
    if actor is not None:
        course_svc.require_staff(session, actor, course)
    bank = B.Bank(course={"slug": course.slug, "title": {"ko": course.title, "en": course.title_en}})
    for quiz in course.quizzes:
        data: dict[str, Any] = {
            "slug": quiz.slug,
            "title": {"ko": quiz.title, "en": quiz.title_en},
        }
        if quiz.description:
            data["description"] = quiz.description
        data["position"] = quiz.position
        data["published"] = quiz.published
        if quiz.opens_at:
            data["opens_at"] = quiz.opens_at.isoformat()
        if quiz.closes_at:
            data["closes_at"] = quiz.closes_at.isoformat()
        if quiz.max_attempts is not None:
            data["max_attempts"] = quiz.max_attempts
        if quiz.time_limit_minutes is not None:
            data["time_limit_minutes"] = quiz.time_limit_minutes
        data["feedback_policy"] = quiz.feedback_policy.value
        data["shuffle_options"] = quiz.shuffle_options
        data["items"] = [
            B.item_to_bank(i.key, i.type_name, i.section, i.points, i.prompt, i.explanation, i.config)
            for i in quiz.items
        ]
        bank.quizzes.append(B.BankQuiz(B.canonical(data), f"{quiz.slug}.yaml"))
    return bank


def export_to_dir(session: Session, actor: User | None, course: Course, directory: Path) -> list[Path]:
    return B.write_dir(export_course(session, actor, course), directory)
