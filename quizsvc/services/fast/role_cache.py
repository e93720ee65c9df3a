"""Course roles remembered for the rest of a transaction (justified by ``bench/throughput.py``).

A request asks for the actor's role more than once (finding an assignment, then submitting to
it). Within one transaction, with nothing written, the answer read first is kept; a role read
along with something else (the assignment an API call names) is recorded too, so an accepted
submission reads its role once. Anything written (an enrollment, perhaps) or a transaction
ended: roles are read afresh (tests/services/test_submissions.py checks both, and the statements of an
accept).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session, contains_eager

from quizsvc.models import Assignment, Course, CourseRole, Enrollment, User

_ROLE = select(Enrollment.role).where(  # built once: every request checks a role
    Enrollment.user_id == bindparam("p_user"), Enrollment.course_id == bindparam("p_course"))
_ROLES = "quizsvc.roles"  # session.info key: roles read in the current transaction


def role(session: Session, user_id: int, course_id: int) -> CourseRole | None:
    """The user's role in the course, read once per transaction while nothing is written."""
    key = (user_id, course_id)
    known = session.info.get(_ROLES)
    if known is not None and key in known and not (session.new or session.dirty or session.deleted):
        return known[key]
    found = session.scalar(_ROLE, {"p_user": user_id, "p_course": course_id})
    remember(session, user_id, course_id, found)
    return found


def remember(session: Session, user_id: int, course_id: int, found: CourseRole | None) -> None:
    session.info.setdefault(_ROLES, {})[(user_id, course_id)] = found


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget_roles(session: Session, *_: Any) -> None:
    session.info.pop(_ROLES, None)


@functools.cache
def _find_statement(by_course: bool, enrolled_only: bool) -> Select[Any]:
    """Built once per shape (every API call on an assignment runs one)."""
    stmt = (select(Assignment).join(Course, Course.id == Assignment.course_id)
            .options(contains_eager(Assignment.course))  # the caller checks the course next
            .where(Assignment.slug == bindparam("p_slug")))
    if by_course:
        stmt = stmt.where(Course.slug == bindparam("p_course"))
    if enrolled_only:  # with the role, which the caller checks next
        stmt = (stmt.add_columns(Enrollment.role).join(Enrollment, Enrollment.course_id == Course.id)
                .where(Enrollment.user_id == bindparam("p_user")))
    return stmt


def assignments_with_roles(session: Session, actor: User, slug: str,
                           course_slug: str | None) -> list[tuple[Assignment, CourseRole | None]]:
    """Assignments called ``slug`` (in ``course_slug``) in the actor's courses (any course for
    an administrator, whose role is None), each with the actor's role, which is remembered."""
    params: dict[str, Any] = {"p_slug": slug}
    if course_slug:
        params["p_course"] = course_slug
    if actor.is_admin:
        return [(a, None) for a in session.scalars(_find_statement(bool(course_slug), False), params)]
    params["p_user"] = actor.id
    found = []
    for a, course_role in session.execute(_find_statement(bool(course_slug), True), params):
        remember(session, actor.id, a.course_id, course_role)
        found.append((a, course_role))
    return found
