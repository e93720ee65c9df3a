"""Users: create, authenticate, look up; passwords and the end of login sessions."""

from __future__ import annotations

import hmac
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizsvc.errors import Conflict, Invalid, Unauthorized, not_found
from quizsvc.models import User
from quizsvc.models.users import new_session_token
from quizsvc.services.passwords import DUMMY_HASH, hash_password, verify_password
from quizsvc.text import Text

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")
MIN_PASSWORD = 10


def normalize_email(email: str) -> str:
    return email.strip().lower()


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    *,
    is_admin: bool = False,
    can_create_courses: bool = False,
    locale: str = "ko",
) -> User:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise Invalid(Text(en="That e-mail address is not valid.", ko="이메일 주소 형식이 잘못되었습니다."))
    check_password_length(password)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict(Text(en="That e-mail address is already registered.", ko="이미 등록된 이메일입니다."))
    user = User(
        email=email,
        name=name.strip()[:120] or email.split("@")[0],
        password_hash=hash_password(password),
        is_admin=is_admin,
        can_create_courses=can_create_courses or is_admin,
        locale=locale if locale in ("ko", "en") else "ko",
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # registered by a concurrent request since the check above
        session.rollback()
        raise Conflict(Text(en="That e-mail address is already registered.", ko="이미 등록된 이메일입니다.")) from None
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            Text(en=f"The password needs at least {MIN_PASSWORD} characters.",
                 ko=f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다."),
        )


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every login session of the account (the caller may log in again)."""
    check_password_length(password)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    session.commit()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise Unauthorized(Text(en="The current password is wrong.", ko="현재 비밀번호가 올바르지 않습니다."))
    set_password(session, user, new)


def end_sessions(session: Session, user: User) -> None:
    """Sign the account out everywhere: every session cookie issued so far stops working."""
    user.session_token = new_session_token()
    session.commit()


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user a login session names (``"<id>:<token>"``), if the token is still theirs."""
    user_id, sep, token = session_id.partition(":")
    if not sep or not token or not (user_id.isascii() and user_id.isdigit()):
        return None
    if not 0 < int(user_id) <= 2**31 - 1:
        return None
    user = session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if 0 < user_id <= 2**31 - 1 else None
    if user is None:
        raise not_found(Text(en="User", ko="사용자"))
    return user


def find_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise not_found(Text(en="User", ko="사용자"))
    return user


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in ("ko", "en"):
        raise Invalid(Text(en="Unsupported language.", ko="지원하지 않는 언어입니다."))
    user.locale = locale
    session.commit()
