"""Bearer-token authentication and scope checks for API views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from quizsvc.db import get_session
from quizsvc.errors import Forbidden, Unauthorized
from quizsvc.models import User
from quizsvc.services import tokens as token_svc
from quizsvc.text import Text

P = ParamSpec("P")
R = TypeVar("R")


def require_token(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
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

        return wrapper

    return decorator


def api_user() -> User:
    return g.api_user
