"""API tokens: shown once, stored as SHA-256, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from quizsvc.errors import Invalid, Unauthorized, not_found
from quizsvc.models import ApiToken, TokenScope, User, utcnow
from quizsvc.text import Text

TOKEN_PREFIX = "qz_"


def _digest(secret: str) -> str:
    # Tokens are 256-bit random values, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(scopes: list[str] | str) -> list[str]:
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    out = []
    valid = {s.value for s in TokenScope}
    for s in items:
        s = s.strip().lower()
        if not s:
            continue
        if s not in valid:
            raise Invalid(Text(en=f"Unknown scope: {s} (use {', '.join(sorted(valid))})", ko=f"알 수 없는 권한 범위: {s}"))
        if s not in out:
            out.append(s)
    if not out:
        raise Invalid(Text(en="Choose at least one scope.", ko="권한 범위를 하나 이상 고르세요."))
    return out


def create_token(
    session: Session, user: User, name: str, scopes: list[str] | str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Returns the row and the secret; the secret is not stored and cannot be shown again."""
    name = name.strip()[:100] or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires: datetime | None = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= 3650:
            raise Invalid(Text(en="Expiry must be 1 to 3650 days.", ko="만료 기간은 1~3650일입니다."))
        expires = utcnow() + timedelta(days=expires_in_days)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=_digest(secret),
        scopes={"scopes": parse_scopes(scopes)},
        expires_at=expires,
    )
    session.add(token)
    session.commit()
    return token, secret


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ))


def revoke(session: Session, actor: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if token is None or (token.user_id != actor.id and not actor.is_admin):
        raise not_found(Text(en="Token", ko="토큰"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


@dataclass(frozen=True)
class TokenAuth:
    """Who a request's bearer token speaks for, and with which scopes."""

    token_id: int
    user: User
    scopes: tuple[str, ...]


# Every API request: one indexed lookup by the secret's SHA-256 that loads the owner and the
# token's few columns (built once; no password hashing here, tokens are random enough for a
# plain digest). The token itself is not materialised as an ORM object: nothing needs it.
_BY_HASH = (select(User, ApiToken.id, ApiToken.scopes, ApiToken.expires_at, ApiToken.last_used_at,
                   ApiToken.revoked_at)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("p_hash")))
_TOUCH = update(ApiToken).where(ApiToken.id == bindparam("p_id")).values(last_used_at=bindparam("p_now"))


def authenticate(session: Session, secret: str) -> TokenAuth:
    row = session.execute(_BY_HASH, {"p_hash": _digest(secret)}).first()
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise Unauthorized(Text(en="Invalid or revoked token.", ko="유효하지 않은 토큰입니다."))
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized(Text(en="This token has expired.", ko="만료된 토큰입니다."))
    # Write last_used_at at most once a minute: reads should not each cost a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        session.execute(_TOUCH, {"p_id": row.id, "p_now": now})
        session.commit()
    return TokenAuth(row.id, row.User, tuple((row.scopes or {}).get("scopes", [])))
