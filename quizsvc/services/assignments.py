"""Programming assignments of a course: listing, visibility, staff editing, the demo set."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizsvc.errors import Conflict, not_found
from quizsvc.models import Assignment, Course, User
from quizsvc.services import courses as course_svc
from quizsvc.services.fast import role_cache
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


def find_for_user(session: Session, actor: User, slug: str, course_slug: str | None = None) -> Assignment:
    """Resolve an assignment slug among the actor's courses (``course_slug`` if ambiguous)."""
    if "\x00" in slug or "\x00" in (course_slug or ""):  # no slug has one; PostgreSQL cannot even compare
        raise not_found(Text(en="Assignment", ko="과제"))
    # Members see published assignments, staff all (the role comes with the assignment).
    found = [a for a, role in role_cache.assignments_with_roles(session, actor, slug, course_slug)
             if actor.is_admin or a.published or (role is not None and role.is_staff)]
    if not found:
        raise not_found(Text(en="Assignment", ko="과제"))
    if len(found) > 1:
        raise Conflict(Text(en="Several of your courses have this assignment; pass ?course=<slug>.",
                            ko="같은 이름의 과제가 여러 강좌에 있습니다. course를 지정하세요."),
                       courses=[a.course.slug for a in found])
    return found[0]


def ensure_course_assignments(session: Session, course: Course) -> list[Assignment]:
    """The demo course's assignments (one published assignment per demo package, each with its
    package as version 1), if the course has none."""
    from quizsvc.services.assignment_versions import ensure_demo_assignments  # it reads grades

    existing = session.scalar(select(func.count()).select_from(Assignment).where(Assignment.course_id == course.id))
    if existing:
        return []
    return ensure_demo_assignments(session, course)
