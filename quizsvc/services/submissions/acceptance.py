"""Accepting a code submission: who may submit, what a file must be, the limits; the row is
committed (status ``queued``) before the caller hears "accepted", then handed to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from quizsvc.errors import Forbidden, Invalid, TooMany
from quizsvc.grading.intake import Unreadable, read_submission
from quizsvc.models import Assignment, Submission, User, utcnow
from quizsvc.services import exceptions
from quizsvc.services.assignments import require_visible
from quizsvc.services.fast import accept
from quizsvc.text import Text

MAX_SOURCE_BYTES = 256 * 1024
ALLOWED_SUFFIXES = (".py", ".ipynb")
BLANK = " \t\n\r\f\v"  # code of only these is empty (the API document states the same set)


class Dispatcher(Protocol):
    def enqueue(self, submission_id: int) -> None: ...


@dataclass
class Limits:
    per_minute: int = 30  # submissions per student per minute, across assignments


def validate_source(source: str, filename: str) -> str:
    """The file name to store, or an Invalid saying why the code cannot be graded (also the
    staff's preview, which stores nothing, checks code with it)."""
    name = (filename or "solution.py").strip().split("/")[-1].split("\\")[-1][:200] or "solution.py"
    if not name.endswith(ALLOWED_SUFFIXES):
        raise Invalid(Text(en="Submit a .py or .ipynb file.", ko=".py 또는 .ipynb 파일만 제출할 수 있습니다."))
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):  # PostgreSQL cannot even store a NUL
        raise Invalid(Text(en="The file name contains control characters.", ko="파일 이름에 제어 문자가 있습니다."))
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise Invalid(Text(en=f"The submission is too large (at most {MAX_SOURCE_BYTES // 1024} KiB).",
                           ko=f"제출물이 너무 큽니다 (최대 {MAX_SOURCE_BYTES // 1024} KiB)."))
    if not source.strip(BLANK):
        raise Invalid(Text(en="The submitted code is empty.", ko="제출한 코드가 비어 있습니다."))
    if "\x00" in source:
        raise Invalid(Text(en="The code contains a NUL character.", ko="코드에 NUL 문자가 있습니다."))
    try:  # a malformed notebook, or code that crashes Python's parser: never accepted
        read_submission(source, name)
    except Unreadable as exc:
        raise Invalid(Text(en=f"The submission cannot be graded: {exc.text.en}.",
                           ko=f"채점할 수 없는 제출물입니다: {exc.text.ko}.")) from None
    return name


def submit(
    session: Session, actor: User, assignment: Assignment, source: str, filename: str = "solution.py",
    *, via: str = "web", dispatcher: Dispatcher | None = None, limits: Limits | None = None,
) -> Submission:
    staff = require_visible(session, actor, assignment)
    now = utcnow()
    name = validate_source(source, filename)
    row = {"assignment_id": assignment.id, "user_id": actor.id, "source": source, "filename": name,
           "via": via, "created_at": now}
    if staff:  # course staff are not limited
        sub = accept.store(session, row)
    else:
        if assignment.opens_at and now < assignment.opens_at:
            raise Forbidden(Text(en="This assignment is not open yet.", ko="아직 제출할 수 없는 과제입니다."))
        if assignment.closes_at and now >= assignment.closes_at:  # unless the student's own date is later
            closes = exceptions.closes_at(assignment.closes_at, exceptions.for_assignment(session, assignment, actor))
            if closes is not None and now >= closes:
                raise Forbidden(Text(en="Submissions for this assignment have closed.", ko="제출이 마감되었습니다."))
        # The database decides the limits as it stores the row (they hold under concurrency).
        max_submissions = assignment.max_submissions
        per_minute = (limits or Limits()).per_minute
        stored = accept.store_within_limits(session, row, max_submissions, per_minute)
        if isinstance(stored, accept.Refused):
            if stored.over_max:
                raise Forbidden(Text(en=f"You have used all {stored.allowed} submissions.",
                                     ko=f"제출 가능 횟수({stored.allowed}회)를 모두 사용했습니다."))
            raise TooMany(Text(en=f"At most {per_minute} submissions a minute; try again shortly.",
                               ko=f"1분에 {per_minute}번까지 제출할 수 있습니다. 잠시 뒤 다시 시도하세요."), retry_after=60)
        sub = stored
    if dispatcher is not None:
        dispatcher.enqueue(sub.id)
    return sub
