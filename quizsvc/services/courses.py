"""Courses, enrollment and the permission checks every other service uses."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizsvc import timezones
from quizsvc.errors import Conflict, Forbidden, Invalid, not_found
from quizsvc.models import Course, CourseRole, Enrollment, User
from quizsvc.services.fast import role_cache
from quizsvc.text import Text
from quizsvc.timezones import DEFAULT_TZ

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud


def new_join_code() -> str:
    return "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(8))


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not _SLUG.match(slug):
        raise Invalid(
            Text(en="A slug uses lower-case letters, digits and '-' only (at most 63 characters).",
                 ko="슬러그는 영문 소문자, 숫자, '-'만 쓸 수 있습니다 (최대 63자)."),
        )
    return slug


def role_in(session: Session, user: User, course: Course) -> CourseRole | None:
    """The user's role in the course (None: not a member); read once per transaction."""
    return role_cache.role(session, user.id, course.id)


def is_staff(session: Session, user: User, course: Course) -> bool:
    if user.is_admin:
        return True
    role = role_in(session, user, course)
    return role is not None and role.is_staff


def can_edit(session: Session, user: User, course: Course) -> bool:
    return user.is_admin or role_in(session, user, course) == CourseRole.INSTRUCTOR


def require_staff(session: Session, user: User, course: Course) -> None:
    if not is_staff(session, user, course):
        raise Forbidden(Text(en="Only course staff can see this.", ko="이 강좌의 교수자/조교만 볼 수 있습니다."))


def require_editor(session: Session, user: User, course: Course) -> None:
    if not can_edit(session, user, course):
        raise Forbidden(Text(en="Only the course's instructors can change it.", ko="이 강좌의 교수자만 수정할 수 있습니다."))


def require_member(session: Session, user: User, course: Course) -> CourseRole:
    if user.is_admin:
        return CourseRole.INSTRUCTOR
    role = role_in(session, user, course)
    if role is None:
        raise Forbidden(Text(en="You are not enrolled in this course.", ko="이 강좌에 등록되어 있지 않습니다."))
    return role


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; larger numbers in a URL name nothing


def id_in_range(value: int) -> bool:
    """False for ids no row can have (SQLite cannot even bind those beyond 64 bits: a 500)."""
    return 0 < value <= MAX_ID


def get_course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id) if id_in_range(course_id) else None
    if course is None:
        raise not_found(Text(en="Course", ko="강좌"))
    return course


def get_course_by_slug(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise not_found(Text(en="Course", ko="강좌"))
    return course


def courses_of(session: Session, user: User) -> list[tuple[Course, CourseRole]]:
    rows = session.execute(
        select(Course, Enrollment.role)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id)
        .order_by(Course.title)
    ).all()
    return [(c, r) for c, r in rows]


def _checked_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid(Text(en="A course title needs 1 to 200 characters.", ko="강좌 이름은 1~200자여야 합니다."))
    return title


def _check_timezone(timezone: str) -> None:
    if timezone not in timezones.names():
        raise Invalid(Text(en="Choose a time zone by its IANA name, such as Asia/Seoul.",
                           ko="Asia/Seoul처럼 IANA 이름으로 시간대를 고르세요."), errors={"timezone": "unknown"})


def update_course(session: Session, actor: User, course: Course, title: str, title_en: str,
                  timezone: str) -> Course:
    """Rename a course or change its time zone. Dates are stored as instants (UTC), so a new zone
    moves none of them: each is shown, and entered from then on, in the new zone."""
    require_editor(session, actor, course)
    course.title = _checked_title(title)
    _check_timezone(timezone)
    course.title_en, course.timezone = title_en.strip()[:200], timezone
    session.commit()
    return course


def create_course(
    session: Session, actor: User, slug: str, title: str, title_en: str = "", timezone: str = DEFAULT_TZ
) -> Course:
    if not (actor.is_admin or actor.can_create_courses):
        raise Forbidden(Text(en="You may not create courses.", ko="강좌를 만들 권한이 없습니다."))
    title = _checked_title(title)
    _check_timezone(timezone)
    course = Course(
        slug=validate_slug(slug), title=title, title_en=title_en.strip()[:200], join_code=new_join_code(),
        timezone=timezone,
    )
    course.enrollments.append(Enrollment(user=actor, role=CourseRole.INSTRUCTOR))
    session.add(course)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(Text(en="A course with that slug exists already.", ko="같은 슬러그의 강좌가 이미 있습니다.")) from None
    return course


def enroll(session: Session, user: User, course: Course, role: CourseRole) -> Enrollment:
    """Add or change a membership (used by staff management, the demo loader and tests)."""
    enrollment = session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    if enrollment is None:
        enrollment = Enrollment(user_id=user.id, course_id=course.id, role=role)
        session.add(enrollment)
    else:
        enrollment.role = role
    session.commit()
    return enrollment


def add_member(
    session: Session, actor: User, course: Course, user: User, role: CourseRole
) -> Enrollment:
    require_editor(session, actor, course)
    return enroll(session, user, course, role)


def join_with_code(session: Session, user: User, code: str) -> Course:
    code = code.strip().upper().replace("-", "").replace(" ", "")
    course = session.scalar(select(Course).where(Course.join_code == code)) if code else None
    if course is None:
        raise Invalid(Text(en="That join code is not valid.", ko="참여 코드가 올바르지 않습니다."))
    if role_in(session, user, course) is None:
        session.add(Enrollment(user_id=user.id, course_id=course.id, role=CourseRole.STUDENT))
        try:
            session.commit()
        except IntegrityError:  # joined twice at once: the other request won, same result
            session.rollback()
    return course


def members(session: Session, actor: User, course: Course) -> list[tuple[User, CourseRole]]:
    require_staff(session, actor, course)
    rows = session.execute(
        select(User, Enrollment.role)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id)
        .order_by(Enrollment.role, User.name)
    ).all()
    return [(u, r) for u, r in rows]
