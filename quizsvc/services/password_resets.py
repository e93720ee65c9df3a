"""One-time password reset links, issued by an administrator or a student's instructor.

There is no e-mail delivery: the link is printed by ``quizsvc user reset-link`` or shown once
to the instructor, who passes it on. Only a SHA-256 of its secret is stored; it expires, works
once, and a newer link for the same account replaces it. Using it sets the new password and
ends every session of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from quizsvc.errors import Forbidden, Invalid
from quizsvc.models import Course, CourseRole, Enrollment, PasswordReset, User, utcnow
from quizsvc.services import accounts, courses
from quizsvc.text import Text


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def require_can_issue(session: Session, actor: User, target: User, course: Course | None) -> None:
    """Administrators: anyone. Instructors: a student of their course who has no staff role or
    site role anywhere (else an instructor could take over a colleague's or an admin's account)."""
    if actor.is_admin:
        return
    refused = Forbidden(Text(en="You cannot issue a password reset link for this user.",
                             ko="이 사용자의 비밀번호 재설정 링크를 만들 수 없습니다."))
    if course is None or not courses.can_edit(session, actor, course):
        raise refused
    if target.is_admin or target.can_create_courses or target.id == actor.id:
        raise refused
    if courses.role_in(session, target, course) != CourseRole.STUDENT:
        raise refused
    staff_elsewhere = session.scalar(select(exists().where(
        Enrollment.user_id == target.id, Enrollment.role != CourseRole.STUDENT)))
    if staff_elsewhere:
        raise refused


def issue(session: Session, target: User, *, hours: int, actor: User | None = None) -> str:
    """A new link's secret (shown once); earlier unused links of the account stop working."""
    if not 1 <= hours <= 24 * 14:
        raise Invalid(Text(en="A link can be valid for 1 hour to 14 days.",
                           ko="유효 시간은 1시간에서 14일 사이여야 합니다."))
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == target.id,
                                                PasswordReset.used_at.is_(None)))
    secret = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=target.id, token_hash=_digest(secret),
                              created_by_id=actor.id if actor else None,
                              expires_at=utcnow() + timedelta(hours=hours)))
    session.commit()
    return secret


_INVALID = Invalid(Text(en="This reset link is wrong, has expired or has already been used.",
                        ko="이 재설정 링크는 잘못되었거나 만료되었거나 이미 사용되었습니다."))


def pending(session: Session, secret: str) -> PasswordReset:
    """The unused, unexpired link with this secret (refuses anything else)."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(secret)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise _INVALID
    return reset


def use(session: Session, secret: str, password: str) -> User:
    """Set the new password; the link is spent by a conditional UPDATE, so two concurrent uses
    cannot both succeed."""
    reset = pending(session, secret)
    user = reset.user
    accounts.check_password_length(password)
    spent = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > utcnow())
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if spent != 1:
        session.rollback()
        raise _INVALID
    accounts.set_password(session, user, password)  # commits, and ends every session
    return user
