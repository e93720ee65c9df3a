"""Programming assignments of a course: listing, visibility, the demo set."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager

from quizsvc.errors import Conflict, not_found
from quizsvc.grading import registry
from quizsvc.models import Assignment, Course, User, utcnow
from quizsvc.services import courses as course_svc
from quizsvc.text import Text


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    a = session.get(Assignment, assignment_id) if 0 < assignment_id < 2**31 else None
    if a is None:
        raise not_found(Text(en="Assignment", ko="과제"))
    return a


def require_visible(session: Session, actor: User, assignment: Assignment) -> bool:
    """Members see published assignments, staff all; returns whether the actor is staff."""
    role = course_svc.require_member(session, actor, assignment.course)  # one enrollment lookup
    staff = actor.is_admin or role.is_staff
    if not staff and not assignment.published:
        raise not_found(Text(en="Assignment", ko="과제"))
    return staff


def visible_assignments(session: Session, actor: User, course: Course) -> list[Assignment]:
    course_svc.require_member(session, actor, course)
    stmt = select(Assignment).where(Assignment.course_id == course.id).order_by(
        Assignment.position, Assignment.id)
    if not course_svc.is_staff(session, actor, course):
        stmt = stmt.where(Assignment.published.is_(True))
    return list(session.scalars(stmt))


@functools.cache
def _find_statement(by_course: bool, enrolled_only: bool) -> Select[Any]:
    """Built once per shape (every API call on an assignment runs one)."""
    from quizsvc.models import Enrollment

    stmt = (select(Assignment).join(Course, Course.id == Assignment.course_id)
            .options(contains_eager(Assignment.course))  # the caller checks the course next
            .where(Assignment.slug == bindparam("p_slug")))
    if by_course:
        stmt = stmt.where(Course.slug == bindparam("p_course"))
    if enrolled_only:  # with the role, which the caller checks next
        stmt = (stmt.add_columns(Enrollment.role).join(Enrollment, Enrollment.course_id == Course.id)
                .where(Enrollment.user_id == bindparam("p_user")))
    return stmt


def find_for_user(session: Session, actor: User, slug: str, course_slug: str | None = None) -> Assignment:
    """Resolve an assignment slug among the actor's courses (``course_slug`` if ambiguous)."""
    if "\x00" in slug or "\x00" in (course_slug or ""):  # no slug has one; PostgreSQL cannot even compare
        raise not_found(Text(en="Assignment", ko="과제"))
    params: dict[str, Any] = {"p_slug": slug}
    if course_slug:
        params["p_course"] = course_slug
    if not actor.is_admin:
        params["p_user"] = actor.id
    stmt = _find_statement(bool(course_slug), not actor.is_admin)
    if actor.is_admin:
        found = list(session.scalars(stmt, params))
    else:
        found = []
        for a, role in session.execute(stmt, params):
            course_svc.remember_role(session, actor.id, a.course_id, role)
            if a.published or role.is_staff:
                found.append(a)
    if not found:
        raise not_found(Text(en="Assignment", ko="과제"))
    if len(found) > 1:
        raise Conflict(Text(en="Several of your courses have this assignment; pass ?course=<slug>.",
                            ko="같은 이름의 과제가 여러 강좌에 있습니다. course를 지정하세요."),
                       courses=[a.course.slug for a in found])
    return found[0]


def ensure_course_assignments(session: Session, course: Course, *, due_in_days: int = 28) -> list[Assignment]:
    """One published assignment per grading suite (the demo course), if the course has none."""
    existing = session.scalar(select(func.count()).select_from(Assignment).where(Assignment.course_id == course.id))
    if existing:
        return []
    due = utcnow().replace(hour=14, minute=59, second=0, microsecond=0) + timedelta(days=due_in_days)
    made = []
    for position, suite in enumerate(sorted(registry.all_assignments().values(), key=lambda s: s.order), 1):
        a = Assignment(course_id=course.id, slug=suite.slug.replace("_", "-"), grader=suite.slug,
                       title=suite.title.ko, title_en=suite.title.en,
                       position=position, published=True, due_at=due, late_penalty_per_day=0.1,
                       closes_at=due + timedelta(days=7))
        session.add(a)
        made.append(a)
    session.commit()
    return made
