"""The one fixture world (fixture ``w``) and helpers for the tests of every part that needs the demo course.

Why no fixture that keeps an app context pushed for the whole test (there was one, ``demo``):
Flask then runs every test-client request inside that same context. ``g`` (where Flask-Login
caches the logged-in user) and the database session are then shared by all requests of a test,
so a second user's request would be served as the first user, and stale objects hide bugs. The
``World`` below builds the same demo course inside a short app context and hands out ids; each
request then gets its own context and session, as in production, and tests read the database
through :meth:`World.db`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from helpers import csrf_token, login, make_user
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from quizsvc.api.openapi import openapi_document
from quizsvc.db import get_session
from quizsvc.models import Assignment, Attempt, Course, CourseRole, Item, Quiz, User
from quizsvc.quiz.bank import check_dir
from quizsvc.services import courses, tokens
from quizsvc.services.quizzes import variant_for

API = "/api/v1"
USERS = {"instructor": "prof@example.com", "ta": "ta@example.com", "alice": "alice@example.com",
         "bob": "bob@example.com", "outsider": "eve@example.com", "admin": "root@example.com"}


@dataclass
class World:
    app: Any
    course_id: int = 0
    join_code: str = ""
    ids: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A session in its own app context: what a request would see right now. Do not nest
        (the scoped session is per thread, so the inner context would close the outer one)."""
        with self.app.app_context():
            yield get_session()

    def course(self) -> Course:
        """The course with its quizzes and their items loaded, then detached: to read ids,
        titles and configs outside any context (pass ids, not these objects, to services)."""
        with self.db() as s:
            course = s.get(Course, self.course_id)
            assert course is not None
            for q in course.quizzes:
                _ = [i.config for i in q.items]  # load while attached
            return course

    def assignment(self, grader: str) -> Assignment:
        """The course's assignment of the demo package ``grader`` (created as the course page
        would), detached."""
        from quizsvc.services.assignments import ensure_course_assignments

        with self.db() as s:
            ensure_course_assignments(s, s.get(Course, self.course_id))
            return s.scalars(select(Assignment).where(Assignment.course_id == self.course_id,
                                                      Assignment.slug == grader.replace("_", "-"))).one()

    def user(self, s: Session, who: str) -> User:
        """One of the world's users in session ``s`` (for tests that call services directly)."""
        user = s.get(User, self.ids[who])
        assert user is not None
        return user

    def quiz_id(self, slug: str) -> int:
        with self.db() as s:
            return s.scalar(select(Quiz.id).where(Quiz.course_id == self.course_id, Quiz.slug == slug))

    def quiz_ids(self) -> dict[str, int]:
        with self.db() as s:
            return dict(s.execute(select(Quiz.slug, Quiz.id).where(Quiz.course_id == self.course_id)).all())

    def items(self, quiz_id: int) -> list[dict[str, Any]]:
        with self.db() as s:
            q = s.get(Quiz, quiz_id)
            return [{"id": i.id, "key": i.key, "type": i.type_name, "points": i.points,
                     "params": bool(i.config.get("params"))} for i in q.items]

    def attempts(self, quiz_id: int, user: str) -> list[Attempt]:
        with self.db() as s:
            rows = s.scalars(select(Attempt).where(Attempt.quiz_id == quiz_id,
                                                   Attempt.user_id == self.ids[user])
                             .order_by(Attempt.number)).all()
            for a in rows:
                _ = [(r.item_id, r.answer, r.score) for r in a.responses]  # load while attached
            return list(rows)

    def update_quiz(self, quiz_id: int, **values: Any) -> None:
        with self.db() as s:
            q = s.get(Quiz, quiz_id)
            for k, v in values.items():
                setattr(q, k, v)
            s.commit()

    def answers(self, quiz_id: int, user: str, *, right: bool = True) -> dict[int, Any]:
        """Answers (as a student would type them) that are all right, or all wrong."""
        with self.db() as s:
            q = s.get(Quiz, quiz_id)
            out: dict[int, Any] = {}
            for item in q.items:
                v = variant_for(item, self.ids[user], q.shuffle_options)
                out[item.id] = typed_answer(item, v.key, v.options, right)
            return out


def typed_answer(item: Item, key: Any, options: list[dict[str, Any]], right: bool) -> Any:
    if item.type_name == "single_choice":
        return key[0] if right else next(o["id"] for o in options if o["id"] not in key)
    if item.type_name == "multi_select":
        return sorted(key) if right else [o["id"] for o in options if o["id"] not in key][:1] or []
    if item.type_name == "numeric":
        return repr(float(key)) if right else repr(float(key) * 3 + 7)
    if item.type_name == "ordering":  # the API's list of steps; reversed, no pair is in order
        return list(key) if right else list(reversed(key))
    return json.dumps(key) if right else json.dumps((np.asarray(key, dtype=float) + 7).tolist())


_CHECKED: dict[Any, Any] = {}


def _cached_check_dir(directory: Path) -> Any:
    """``check_dir`` of the shipped bank, parsed once per run (test_bank checks it for real)."""
    stamp = (str(directory), tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*.yaml"))))
    if stamp not in _CHECKED:
        _CHECKED.clear()
        _CHECKED[stamp] = check_dir(directory)
    return copy.deepcopy(_CHECKED[stamp])


class Api:
    """A client that sends bearer tokens and checks each response against the OpenAPI doc."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app, self.client, self.token = app, app.test_client(), token
        self.doc = openapi_document()
        self.adapter = app.url_map.bind("localhost")
        self.checked: list[tuple[str, str, int]] = []

    def __call__(self, method: str, path: str, body: Any = None, *, headers: dict | None = None,
                 raw: Any = None, content_type: str | None = None) -> Any:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(headers or {})
        kw: dict[str, Any] = {"headers": h}
        if body is not None:
            kw["json"] = body
        if raw is not None:
            kw["data"] = raw
            if content_type:
                kw["content_type"] = content_type
        resp = self.client.open(API + path, method=method, **kw)
        self.validate(method, API + path, resp)
        return resp

    def validate(self, method: str, path: str, resp: Any) -> None:
        assert resp.status_code != 500, resp.get_data(as_text=True)
        assert resp.mimetype == "application/json", (path, resp.status_code)
        body = resp.get_json()
        rule, _ = self.adapter.match(path, method=method, return_rule=True)
        template = rule.rule.replace("<int:", "{").replace(">", "}")
        op = self.doc["paths"][template][method.lower()]
        documented = op["responses"].get(str(resp.status_code))
        assert documented is not None, f"{method} {template} {resp.status_code} is not documented"
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            root = {**schema, "components": self.doc["components"]}
            errors = sorted(Draft202012Validator(root).iter_errors(body), key=str)
            assert not errors, f"{method} {template} {resp.status_code}: {errors[0].message}"
        self.checked.append((method, template, resp.status_code))


def build_world(app: Any) -> World:
    from quizsvc.services import bank
    from quizsvc.services.demo import DEMO_BANK

    w = World(app)
    with w.db() as s, mock.patch.object(bank.B, "check_dir", _cached_check_dir):
        instructor = make_user(s, USERS["instructor"], instructor=True)
        course = bank.import_bank(s, instructor, DEMO_BANK)
        ta = make_user(s, USERS["ta"])
        courses.enroll(s, ta, course, CourseRole.TA)
        alice, bob = make_user(s, USERS["alice"]), make_user(s, USERS["bob"])
        for u in (alice, bob):
            courses.enroll(s, u, course, CourseRole.STUDENT)
        outsider = make_user(s, USERS["outsider"])
        admin = make_user(s, USERS["admin"], admin=True)
        w.course_id, w.join_code = course.id, course.join_code
        w.ids = {"instructor": instructor.id, "ta": ta.id, "alice": alice.id, "bob": bob.id,
                 "outsider": outsider.id, "admin": admin.id}
    return w


def make_token(w: World, who: str, scopes: str = "read,answer", days: int | None = None) -> str:
    """A bearer token for one of the world's users (its secret)."""
    with w.db() as s:
        _, secret = tokens.create_token(s, s.get(User, w.ids[who]), f"{who}-token", scopes, days)
    return secret


def logged_in(app: Any, who: str) -> Any:
    client = app.test_client()
    r = login(client, USERS[who])
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def form_post(client: Any, path: str, data: dict[str, Any] | None = None, token_from: str | None = None,
              **kw: Any) -> Any:
    """POST a form the way a browser does after loading the page: with the session's CSRF token."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from or "/account/tokens")
    return client.post(path, data=payload, **kw)


def form_data(answers: dict[int, Any]) -> dict[str, Any]:
    return {f"item-{k}": v for k, v in answers.items()}


def start_web_attempt(client: Any, quiz_id: int) -> int:
    r = form_post(client, f"/quizzes/{quiz_id}/start")
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# --- the helpers themselves ----------------------------------------------------------------
