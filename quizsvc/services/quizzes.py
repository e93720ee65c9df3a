"""Quizzes and items: staff editing, visibility, previews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizsvc.errors import Conflict, Invalid, not_found
from quizsvc.models import Course, FeedbackPolicy, Item, Quiz, Response, User, utcnow
from quizsvc.quiz.base import ItemSpec, Variant
from quizsvc.quiz.params import variant_seed
from quizsvc.quiz.registry import UnknownQuestionType, get_type, type_of
from quizsvc.schemas import ItemInput, QuizInput, parse_input
from quizsvc.services import courses as course_svc
from quizsvc.text import Text


def get_quiz(session: Session, quiz_id: int) -> Quiz:
    quiz = session.get(Quiz, quiz_id) if course_svc.id_in_range(quiz_id) else None
    if quiz is None:
        raise not_found(Text(en="Quiz", ko="퀴즈"))
    return quiz


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id) if course_svc.id_in_range(item_id) else None
    if item is None:
        raise not_found(Text(en="Item", ko="문항"))
    return item


def require_visible(session: Session, actor: User, quiz: Quiz) -> bool:
    """Members see published quizzes, staff see all. Returns whether the actor is staff."""
    course_svc.require_member(session, actor, quiz.course)
    staff = course_svc.is_staff(session, actor, quiz.course)
    if not staff and not quiz.published:
        raise not_found(Text(en="Quiz", ko="퀴즈"))  # unpublished quizzes do not exist for students
    return staff


def visible_quizzes(session: Session, actor: User, course: Course) -> list[Quiz]:
    course_svc.require_member(session, actor, course)
    stmt = select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.position, Quiz.id)
    if not course_svc.is_staff(session, actor, course):
        stmt = stmt.where(Quiz.published.is_(True))
    return list(session.scalars(stmt))


def spec_of(item: Item) -> ItemSpec:
    return ItemSpec(
        key=item.key,
        type_name=item.type_name,
        prompt=dict(item.prompt),
        explanation=dict(item.explanation),
        config=dict(item.config),
        points=item.points,
    )


def variant_for(item: Item, user_id: int | str, shuffle: bool = True) -> Variant:
    """The variant a student sees: the seed comes from (student, item), so it never changes."""
    seed = variant_seed("item", item.id, "user", user_id)
    return type_of(item.type_name).prepare(spec_of(item), seed, shuffle=shuffle)


def preview_variants(session: Session, actor: User, item: Item, count: int = 3) -> list[Variant]:
    course_svc.require_staff(session, actor, item.quiz.course)
    count = max(1, min(count, 20))
    variants: list[Variant] = []
    seen: set[str] = set()
    for i in range(count):
        v = variant_for(item, f"preview-{i}", item.quiz.shuffle_options)
        # An item without parameters or shuffling has one variant: show it once.
        fingerprint = repr((v.prompt, [o["id"] for o in v.options], v.key_display))
        if fingerprint not in seen:
            seen.add(fingerprint)
            variants.append(v)
    return variants


# --- quizzes -------------------------------------------------------------------------------


def _apply_quiz(quiz: Quiz, data: QuizInput) -> None:
    quiz.slug = data.slug
    quiz.title = data.title.strip()
    quiz.title_en = data.title_en.strip()
    quiz.description = data.description.model_dump()
    quiz.position = data.position
    quiz.published = data.published
    quiz.opens_at = data.opens_at
    quiz.closes_at = data.closes_at
    quiz.max_attempts = data.max_attempts
    quiz.time_limit_minutes = data.time_limit_minutes
    quiz.feedback_policy = FeedbackPolicy(data.feedback_policy)
    quiz.shuffle_options = data.shuffle_options


def _commit_unique(session: Session, what: Text) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(Text(en=f"That {what.en} is taken already.", ko=f"같은 {what.ko}이(가) 이미 있습니다.")) from None


def create_quiz(session: Session, actor: User, course: Course, data: Any) -> Quiz:
    course_svc.require_editor(session, actor, course)
    inp = data if isinstance(data, QuizInput) else parse_input(QuizInput, data)
    quiz = Quiz(course_id=course.id)
    _apply_quiz(quiz, inp)
    if not inp.position:
        last = session.scalar(select(func.max(Quiz.position)).where(Quiz.course_id == course.id))
        quiz.position = (last or 0) + 1
    session.add(quiz)
    _commit_unique(session, Text(en="quiz slug", ko="퀴즈 슬러그"))
    return quiz


def update_quiz(session: Session, actor: User, quiz: Quiz, data: Any) -> Quiz:
    course_svc.require_editor(session, actor, quiz.course)
    inp = data if isinstance(data, QuizInput) else parse_input(QuizInput, data)
    if inp.published and not quiz.published and not quiz.items:  # as set_published refuses it
        raise Invalid(Text(en="A quiz without items cannot be published.", ko="문항이 없는 퀴즈는 공개할 수 없습니다."))
    _apply_quiz(quiz, inp)
    _commit_unique(session, Text(en="quiz slug", ko="퀴즈 슬러그"))
    return quiz


def set_published(session: Session, actor: User, quiz: Quiz, published: bool) -> Quiz:
    course_svc.require_editor(session, actor, quiz.course)
    if published and not quiz.items:
        raise Invalid(Text(en="A quiz without items cannot be published.", ko="문항이 없는 퀴즈는 공개할 수 없습니다."))
    quiz.published = published
    session.commit()
    return quiz


def delete_quiz(session: Session, actor: User, quiz: Quiz) -> None:
    course_svc.require_editor(session, actor, quiz.course)
    if quiz.attempts:
        raise Conflict(
            Text(en="This quiz has student attempts and cannot be deleted; unpublish it instead.",
                 ko="학생 응시 기록이 있는 퀴즈는 삭제할 수 없습니다. 대신 비공개로 돌리세요."),
        )
    session.delete(quiz)
    session.commit()


# --- items ---------------------------------------------------------------------------------


def validate_item(inp: ItemInput) -> None:
    try:
        qtype = get_type(inp.type_name)
    except UnknownQuestionType:
        raise Invalid(Text(en="Unknown question type.", ko="알 수 없는 문항 유형입니다."),
                      errors={"type_name": f"unknown type {inp.type_name!r}"}) from None
    spec = ItemSpec(inp.key, inp.type_name, inp.prompt.model_dump(), inp.config,
                    inp.explanation.model_dump(), inp.points)
    problems = qtype.validate(spec)
    if not inp.prompt.ko.strip() and not inp.prompt.en.strip():
        problems.insert(0, "prompt: write the question in Korean and/or English")
    if problems:
        raise Invalid(Text(en="The item's settings have problems.", ko="문항 설정에 문제가 있습니다."),
                      errors={"config": problems})


def _apply_item(item: Item, inp: ItemInput) -> None:
    item.key = inp.key
    item.type_name = inp.type_name
    item.section = inp.section.strip()
    item.points = inp.points
    item.prompt = inp.prompt.model_dump()
    item.explanation = inp.explanation.model_dump()
    item.config = inp.config


def create_item(session: Session, actor: User, quiz: Quiz, data: Any) -> Item:
    course_svc.require_editor(session, actor, quiz.course)
    inp = data if isinstance(data, ItemInput) else parse_input(ItemInput, data)
    validate_item(inp)
    item = Item(quiz_id=quiz.id)
    _apply_item(item, inp)
    if inp.position is None:
        last = session.scalar(select(func.max(Item.position)).where(Item.quiz_id == quiz.id))
        item.position = (last if last is not None else -1) + 1
    else:
        item.position = inp.position
    session.add(item)
    _commit_unique(session, Text(en="item key", ko="문항 키"))
    return item


def update_item(session: Session, actor: User, item: Item, data: Any) -> Item:
    course_svc.require_editor(session, actor, item.quiz.course)
    inp = data if isinstance(data, ItemInput) else parse_input(ItemInput, data)
    validate_item(inp)
    _apply_item(item, inp)
    if inp.position is not None:
        item.position = inp.position
    item.updated_at = utcnow()
    _commit_unique(session, Text(en="item key", ko="문항 키"))
    return item


def delete_item(session: Session, actor: User, item: Item) -> None:
    course_svc.require_editor(session, actor, item.quiz.course)
    answered = session.scalar(
        select(func.count()).select_from(Response).where(Response.item_id == item.id)
    )
    if answered:
        raise Conflict(
            Text(en=f"{answered} student answers refer to this item, so it cannot be deleted; edit it instead.",
                 ko=f"학생 답안 {answered}개가 있는 문항은 삭제할 수 없습니다. 문항을 고치세요."),
        )
    session.delete(item)
    session.commit()


def status_of(quiz: Quiz, now: datetime | None = None, *,
              closes_at: datetime | None = None) -> str:
    """draft, upcoming, open or closed; ``closes_at``: the student's own close date (an
    exception), when they have one."""
    now = now or utcnow()
    if not quiz.published:
        return "draft"
    if quiz.opens_at and now < quiz.opens_at:
        return "upcoming"
    close = closes_at or quiz.closes_at
    if close is not None and now >= close:
        return "closed"
    return "open"
