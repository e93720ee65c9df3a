"""Accepting a submission with one Core ``INSERT ... RETURNING`` (justified by ``bench/throughput.py``).

The plain way, ``session.add(Submission(...))`` and a commit, runs the ORM's unit of work for
one row; writing the row with a prebuilt Core statement and attaching the object to the session
as loaded with exactly what was written takes much less CPU on the path every submission takes
(figures: the README's "Where the time goes"). The held object equals a fresh read of the row
(tests/services/test_submissions.py).

A student's row is stored only if the database, at the moment it stores it, counts fewer than
the limits: one ``INSERT ... SELECT ... WHERE (count) < limit``, the limit including the student's
own extra submissions (read in the same statement). A count read earlier and
checked in Python let concurrent requests through together. SQLite runs a writing statement
holding its one write lock, which the statement takes before it reads. PostgreSQL (READ
COMMITTED) would let two such statements both count below the limit; so the student's row is
locked first (``FOR NO KEY UPDATE``: it does not hold up rows that merely reference the
student), the student's submissions take turns, and each statement's snapshot, taken after the
lock, sees those committed before it (tests/services/test_concurrent_limits.py, on both databases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from quizsvc.models import StudentException, Submission, SubmissionStatus, User

# A new row's columns besides what the caller sets: the model's defaults, written out.
_NEW_ROW = {"status": SubmissionStatus.QUEUED, "started_at": None, "finished_at": None,
            "lease_until": None, "claim": None, "deliveries": 0, "grade_count": 0, "raw_score": None,
            "score": None, "max_score": None, "late_days": 0, "error": None,
            "graded_version": None}
_TABLE: Table = Submission.__table__  # type: ignore[assignment]  # declared as a FromClause
# The statements a submission always runs, built once (each is immutable and thread-safe):
# building one per call costs more CPU than SQLite takes to run it.
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_LOCK_STUDENT = select(User.id).where(User.id == bindparam("p_user")).with_for_update(key_share=True)
_COUNT_OWN = select(func.count()).select_from(Submission).where(
    Submission.assignment_id == bindparam("p_assignment"), Submission.user_id == bindparam("p_user"))
_EXTRA = select(StudentException.extra).where(  # uq_student_exceptions_assignment_id
    StudentException.assignment_id == bindparam("p_assignment"), StudentException.user_id == bindparam("p_user"))
_COUNT_RECENT = select(func.count()).select_from(Submission).where(  # ix_submissions_user_created
    Submission.user_id == bindparam("p_user"), Submission.created_at > bindparam("p_since"))


def _guarded_insert(*, with_max: bool) -> Any:
    columns = [c.name for c in _TABLE.c if c.name != "id"]
    fits = _COUNT_RECENT.scalar_subquery() < bindparam("p_per_minute")
    if with_max:  # the limit plus the student's own extra submissions (a per-student exception)
        fits = fits & (_COUNT_OWN.scalar_subquery() < bindparam("p_max") + func.coalesce(_EXTRA.scalar_subquery(), 0))
    values = select(*[bindparam(c, type_=_TABLE.c[c].type) for c in columns]).where(fits)
    return insert(_TABLE).from_select(columns, values).returning(_TABLE.c.id)


_INSERT_IF_FITS = {with_max: _guarded_insert(with_max=with_max) for with_max in (False, True)}


@dataclass(frozen=True)
class Refused:
    """Nothing was stored: the student is at their limit (``used`` of ``allowed``), or else
    over the per-minute rate."""

    used: int | None
    allowed: int | None

    @property
    def over_max(self) -> bool:
        return self.allowed is not None and (self.used or 0) >= self.allowed


def store(session: Session, values: dict[str, Any]) -> Submission:
    """Store the row, committed (durable before anyone is told "accepted"), and return it
    attached to the session as loaded."""
    row = {**_NEW_ROW, "result": {}, **values}
    session.flush()  # as the ORM would before a statement: pending changes go first
    row["id"] = session.connection().execute(_INSERT, row).scalar_one()
    return _committed(session, row)


def store_within_limits(session: Session, values: dict[str, Any], max_submissions: int | None,
                        per_minute: int) -> Submission | Refused:
    """As :func:`store` if the row fits the limits; else store nothing and say why."""
    row = {**_NEW_ROW, "result": {}, **values}
    params = {**row, "p_user": row["user_id"], "p_assignment": row["assignment_id"],
              "p_since": row["created_at"] - timedelta(minutes=1), "p_per_minute": per_minute,
              "p_max": max_submissions}
    session.flush()
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(_LOCK_STUDENT, params)
    new_id = conn.execute(_INSERT_IF_FITS[max_submissions is not None], params).scalar()
    if new_id is None:
        used = allowed = None
        if max_submissions is not None:
            used = conn.execute(_COUNT_OWN, params).scalar()
            allowed = max_submissions + (conn.execute(_EXTRA, params).scalar() or 0)
        session.rollback()
        return Refused(used, allowed)
    row["id"] = new_id
    return _committed(session, row)


def _committed(session: Session, row: dict[str, Any]) -> Submission:
    session.commit()
    sub = Submission(**row)
    make_transient_to_detached(sub)
    session.add(sub)
    return sub
