"""Bearer-token authentication and scope checks for API views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from quizsvc.db import get_session
from quizsvc.errors import Forbidden, Unauthorized
from quizsvc.models import User
from quizsvc.services import tokens as token_svc
from quizsvc.text import Text

F = TypeVar("F", bound=Callable[..., Any])


def require_token(scope: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, secret = header.partition(" ")
            if kind.lower() != "bearer" or not secret.strip():
                raise Unauthorized(Text(en="Send an 'Authorization: Bearer <token>' header.",
                                   ko="Authorization: Bearer <토큰> 헤더가 필요합니다."))
            token = token_svc.authenticate(get_session(), secret.strip())
            if scope not in token.scopes:
                raise Forbidden(Text(en=f"This token lacks the '{scope}' scope.",
                                ko=f"이 토큰에는 '{scope}' 권한이 없습니다."), required_scope=scope)
            g.api_user = token.user
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def api_user() -> User:
    return g.api_user  # type: ignore[no-any-return]
