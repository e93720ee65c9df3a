"""Taking a quiz: start or resume an attempt, save answers, submit, see results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from quizsvc.errors import Conflict, Forbidden, Invalid, not_found
from quizsvc.models import (
    Attempt,
    AttemptStatus,
    FeedbackPolicy,
    Item,
    Quiz,
    Response,
    StudentException,
    User,
    utcnow,
)
from quizsvc.quiz.base import AnswerError, Localized, Variant
from quizsvc.quiz.registry import type_of
from quizsvc.rendering import markdown_inline, markdown_to_html
from quizsvc.services import courses as course_svc
from quizsvc.services import exceptions, overrides
from quizsvc.services.quizzes import require_visible, variant_for
from quizsvc.text import Text

EMPTY_ANSWER = Text(en="The answer is empty.", ko="답이 비어 있습니다.")
NOT_ANSWERED = Text(en="Not answered.", ko="답하지 않았습니다.")
TIME_UP = Text(en="Time is up: the answers saved by the deadline were submitted.",
               ko="시간이 끝났습니다. 마감 시각까지 저장된 답을 제출했습니다.")
STAFF_PREVIEW = Text(en="Course staff preview a quiz instead of taking it; a preview stores nothing.",
                     ko="강좌 운영진은 퀴즈를 응시하지 않고 미리 봅니다. 미리 보기는 아무것도 저장하지 않습니다.")
# Answers that arrive this long after the deadline are still taken: they were sent in time but
# spent a moment on the network.
GRACE = timedelta(seconds=30)


@dataclass
class ItemView:
    """An item as one student sees it: no key, no explanation until feedback is due."""

    id: int
    key: str
    type_name: str
    points: float
    prompt: Localized
    prompt_html: Localized
    options: list[dict[str, Any]]
    input_hint: Localized
    answer: Any = None  # the student's saved answer, if any


@dataclass
class ItemFeedback:
    item_id: int
    score: float
    max_score: float
    correct: bool
    message: Localized
    key_display: str | None = None
    explanation_html: Localized | None = None
    answer: Any = None
    staff_comment: str | None = None  # why staff set this score by hand, as they wrote it


@dataclass
class AttemptResult:
    attempt: Attempt
    score: float | None  # None until feedback is due (after_close)
    max_score: float
    feedback_visible: bool
    items: list[ItemFeedback] = field(default_factory=list)
    feedback_available_at: datetime | None = None


def _html(text: Localized) -> Localized:
    return {lang: markdown_to_html(t) for lang, t in text.items() if t}


def item_view(item: Item, variant: Variant, answer: Any = None) -> ItemView:
    return ItemView(
        id=item.id,
        key=item.key,
        type_name=item.type_name,
        points=item.points,
        prompt=variant.prompt,
        prompt_html=_html(variant.prompt),
        options=[
            {"id": o["id"], "text": o["text"],
             "html": {lang: markdown_inline(t) for lang, t in o["text"].items() if t}}
            for o in variant.options
        ],
        input_hint=variant.input_hint,
        answer=answer,
    )


def submitted_count(session: Session, quiz: Quiz, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(Attempt).where(
            Attempt.quiz_id == quiz.id,
            Attempt.user_id == user.id,
            Attempt.status == AttemptStatus.SUBMITTED,
        )
    ) or 0


def open_attempt(session: Session, quiz: Quiz, user: User) -> Attempt | None:
    return session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz.id,
            Attempt.user_id == user.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
    )


def attempts_of(session: Session, actor: User, quiz: Quiz) -> list[Attempt]:
    require_visible(session, actor, quiz)
    finish_expired(session, quiz_ids=[quiz.id], user_id=actor.id)
    return list(session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == actor.id)
        .order_by(Attempt.number)
    ))


def _require_open(quiz: Quiz, now: datetime, exc: StudentException | None) -> None:
    """Open for this student: their own close date (a per-student exception) if they have one."""
    if quiz.opens_at and now < quiz.opens_at:
        raise Forbidden(Text(en="This quiz has not opened yet.", ko="아직 열리지 않은 퀴즈입니다."),
                        opens_at=quiz.opens_at.isoformat())
    closes = exceptions.closes_at(quiz.closes_at, exc)
    if closes is not None and now >= closes:
        raise Forbidden(Text(en="This quiz has closed.", ko="마감된 퀴즈입니다."))


# --- time limits ---------------------------------------------------------------------------


def deadline_for(quiz: Quiz, started: datetime, exc: StudentException | None) -> datetime | None:
    """When an attempt started at ``started`` ends: the quiz's limit plus the student's extra
    time, at their own close date at the latest. None for an untimed quiz (its close date is
    enforced on every request instead)."""
    if quiz.time_limit_minutes is None:
        return None
    end = started + timedelta(minutes=quiz.time_limit_minutes + exceptions.extra_minutes(exc))
    closes = exceptions.closes_at(quiz.closes_at, exc)
    return min(end, closes) if closes is not None else end


def past_deadline(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether answers to the attempt are refused now (the grace period included)."""
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + GRACE


def finish_if_past_deadline(session: Session, attempt: Attempt, now: datetime | None = None) -> bool:
    """Submit an attempt whose time is up with the answers saved by then; True if this call did.

    Idempotent and race-safe: the conditional UPDATE that moves the attempt on lets exactly one
    of concurrent callers (or a concurrent submit) through, as for a student's own submit."""
    if attempt.status != AttemptStatus.IN_PROGRESS or not past_deadline(attempt, now):
        return False
    if not session.execute(_SUBMIT, {"p_id": attempt.id, "p_now": attempt.deadline_at}).rowcount:  # type: ignore[attr-defined]
        session.rollback()  # finished by someone else meanwhile
        session.refresh(attempt)
        return False
    _score(session, attempt, _items(session, attempt.quiz), _store_answers(session, attempt, {}))
    session.commit()
    session.refresh(attempt)
    return True


def finish_expired(session: Session, *, quiz_ids: list[int] | None = None, user_id: int | None = None) -> int:
    """Finish every attempt (of these quizzes, of this user) whose time is up; how many this
    call finished. Listing and grade views call it, so no background job is needed."""
    now = utcnow()
    stmt = select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at.is_not(None),
                                 Attempt.deadline_at < now - GRACE)
    if quiz_ids is not None:
        stmt = stmt.where(Attempt.quiz_id.in_(quiz_ids))
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    return sum(finish_if_past_deadline(session, a, now) for a in session.scalars(stmt).all())


def start_attempt(session: Session, actor: User, quiz: Quiz) -> Attempt:
    """Resume the open attempt, or start the next one if attempts remain. Staff preview a quiz
    (web: staff.preview_quiz) and never start an attempt: it would count as a student's."""
    if require_visible(session, actor, quiz):
        raise Forbidden(STAFF_PREVIEW, preview=True)
    now = utcnow()
    # the student's own dates, attempts and time, read only when a limit is in play
    exc = (exceptions.for_quiz(session, quiz, actor)
           if quiz.max_attempts is not None or quiz.has_closed(now) or quiz.time_limit_minutes is not None
           else None)
    _require_open(quiz, now, exc)
    existing = open_attempt(session, quiz, actor)
    if existing is not None and finish_if_past_deadline(session, existing, now):
        existing = None  # its time was up: it is submitted now, and the student asked for a new one
    if existing is not None:
        return existing
    used = submitted_count(session, quiz, actor)
    allowed = None if quiz.max_attempts is None else quiz.max_attempts + exceptions.extra(exc)
    if allowed is not None and used >= allowed:
        raise Forbidden(
            Text(en=f"You have used all {allowed} attempts.",
                 ko=f"응시 가능 횟수({allowed}회)를 모두 사용했습니다."),
        )
    attempt = Attempt(quiz_id=quiz.id, user_id=actor.id, number=used + 1, started_at=now,
                      deadline_at=deadline_for(quiz, now, exc))
    session.add(attempt)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request started it first: resume that one
        session.rollback()
        existing = open_attempt(session, quiz, actor)
        if existing is None:
            raise Conflict(Text(en="Please try again.", ko="다시 시도하세요.")) from None
        return existing
    return attempt


def get_attempt(session: Session, actor: User, attempt_id: int) -> Attempt:
    """The owner, or the course's staff, may see an attempt; for anyone else it does not exist."""
    attempt = session.get(Attempt, attempt_id) if course_svc.id_in_range(attempt_id) else None
    if attempt is None:
        raise not_found(Text(en="Attempt", ko="응시 기록"))
    if attempt.user_id != actor.id and not course_svc.is_staff(session, actor, attempt.quiz.course):
        raise not_found(Text(en="Attempt", ko="응시 기록"))
    finish_if_past_deadline(session, attempt)  # every request that touches it sees it finished
    return attempt


def _items(session: Session, quiz: Quiz) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.quiz_id == quiz.id).order_by(Item.position, Item.id)))


def attempt_items(session: Session, actor: User, attempt: Attempt) -> list[ItemView]:
    quiz = attempt.quiz
    saved = {r.item_id: r.answer.get("value") for r in attempt.responses}
    return [
        item_view(item, variant_for(item, attempt.user_id, quiz.shuffle_options), saved.get(item.id))
        for item in _items(session, quiz)
    ]


def _require_own_open(session: Session, actor: User, attempt: Attempt) -> None:
    if attempt.user_id != actor.id:
        raise not_found(Text(en="Attempt", ko="응시 기록"))
    if finish_if_past_deadline(session, attempt) or (
            attempt.status == AttemptStatus.SUBMITTED and attempt.deadline_at is not None
            and attempt.submitted_at == attempt.deadline_at):
        raise Conflict(TIME_UP, time_up=True)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(Text(en="This attempt has been submitted already.", ko="이미 제출한 응시입니다."))
    if not course_svc.is_staff(session, actor, attempt.quiz.course):
        quiz, now = attempt.quiz, utcnow()
        _require_open(quiz, now, exceptions.for_quiz(session, quiz, actor) if quiz.has_closed(now) else None)


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _read_answers(attempt: Attempt, items: dict[int, Item], answers: dict[int, Any],
                  allow_blank: bool) -> tuple[dict[int, Any], dict[str, Localized]]:
    """The readable answers parsed, and a message per unreadable item."""
    parsed: dict[int, Any] = {}
    errors: dict[str, Localized] = {}
    for item_id, raw in answers.items():
        item = items.get(item_id)
        if item is None:
            raise not_found(Text(en="Item", ko="문항"))
        if _is_blank(raw):
            if not allow_blank:
                errors[str(item_id)] = EMPTY_ANSWER.as_dict()
            continue
        variant = variant_for(item, attempt.user_id, attempt.quiz.shuffle_options)
        try:
            parsed[item_id] = type_of(item.type_name).parse(raw, variant)
        except AnswerError as exc:
            errors[str(item_id)] = exc.message.as_dict()
    return parsed, errors


def _parse_answers(attempt: Attempt, items: dict[int, Item], answers: dict[int, Any],
                   allow_blank: bool) -> dict[int, Any]:
    """Every answer parsed, or ``Invalid`` with a message per unreadable item."""
    parsed, errors = _read_answers(attempt, items, answers, allow_blank)
    if errors:
        raise Invalid(Text(en="Some answers could not be read; fix them and submit again.",
                           ko="읽을 수 없는 답이 있습니다. 고친 뒤 다시 제출하세요."), errors=errors)
    return parsed


# Saving and submitting both start by writing the attempt's row while it is in progress: on
# PostgreSQL that locks the row, on SQLite it takes the one write lock. A save and a submit of
# the same attempt therefore take turns: a save that comes second finds the attempt submitted
# and stores nothing, and a submit scores exactly the answers it stores (a save used to slip in
# after the scoring, so the stored answer was not the one scored).
_HOLD_OPEN = (update(Attempt).where(Attempt.id == bindparam("p_id"), Attempt.status == AttemptStatus.IN_PROGRESS)
              .values(status=Attempt.status).execution_options(synchronize_session=False))
_SUBMIT = (update(Attempt).where(Attempt.id == bindparam("p_id"), Attempt.status == AttemptStatus.IN_PROGRESS)
           .values(status=AttemptStatus.SUBMITTED, submitted_at=bindparam("p_now"))
           .execution_options(synchronize_session=False))


def _hold(session: Session, attempt: Attempt, stmt: Any, **params: Any) -> None:
    """Run one of the statements above; if the attempt was no longer in progress, roll back."""
    if not session.execute(stmt, {"p_id": attempt.id, **params}).rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(Text(en="This attempt has been submitted already.", ko="이미 제출한 응시입니다."))


def _store_answers(session: Session, attempt: Attempt, parsed: dict[int, Any]) -> dict[int, Response]:
    """Write parsed answers (holding the attempt, see above); returns every stored response,
    read after the hold, by item id."""
    stored = {r.item_id: r for r in session.scalars(
        select(Response).where(Response.attempt_id == attempt.id).execution_options(populate_existing=True))}
    for item_id, value in parsed.items():
        resp = stored.get(item_id)
        if resp is None:
            stored[item_id] = resp = Response(attempt_id=attempt.id, item_id=item_id, answer={"value": value})
            session.add(resp)
        else:
            resp.answer = {"value": value}
    return stored


def save_answers(
    session: Session, actor: User, attempt: Attempt, answers: dict[int, Any], *, allow_blank: bool = True,
    partial: bool = False,
) -> dict[str, Localized]:
    """Parse and store answers. Any unreadable answer raises ``Invalid`` with a message per item
    and nothing is stored, so a typo never costs an attempt or a saved answer. ``partial`` (the
    page's autosave): the readable answers are stored, and the messages for the others returned
    (their previously saved answers stay). Saving never submits."""
    _require_own_open(session, actor, attempt)
    items = {item.id: item for item in _items(session, attempt.quiz)}
    if partial:
        parsed, errors = _read_answers(attempt, items, answers, allow_blank)
    else:
        parsed, errors = _parse_answers(attempt, items, answers, allow_blank), {}
    _hold(session, attempt, _HOLD_OPEN)
    _store_answers(session, attempt, parsed)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(Text(en="Saved twice at once; please retry.", ko="동시에 저장되었습니다. 다시 시도하세요.")) from None
    session.refresh(attempt)
    return errors


def submit_attempt(
    session: Session, actor: User, attempt: Attempt, answers: dict[int, Any] | None = None
) -> AttemptResult:
    """Store the answers sent along, if any, and score the attempt, in one transaction that
    starts by moving it on: of concurrent submits only one stores and scores anything."""
    _require_own_open(session, actor, attempt)
    items = _items(session, attempt.quiz)
    parsed = _parse_answers(attempt, {item.id: item for item in items}, answers or {}, True)
    _hold(session, attempt, _SUBMIT, p_now=utcnow())
    _score(session, attempt, items, _store_answers(session, attempt, parsed))
    session.commit()
    session.refresh(attempt)
    return attempt_result(session, actor, attempt)


def unanswered(session: Session, attempt: Attempt) -> list[tuple[int, Item]]:
    """The items (with their number on the page, from 1) that have no saved answer."""
    saved = {r.item_id for r in attempt.responses if "value" in r.answer}
    return [(n, item) for n, item in enumerate(_items(session, attempt.quiz), 1) if item.id not in saved]


def _score(session: Session, attempt: Attempt, items: list[Item], responses: dict[int, Response]) -> None:
    """Score every item of an attempt being submitted (an unanswered one scores 0)."""
    total = max_total = 0.0
    for item in items:
        variant = variant_for(item, attempt.user_id, attempt.quiz.shuffle_options)
        resp = responses.get(item.id)
        if resp is None:
            resp = Response(attempt_id=attempt.id, item_id=item.id, answer={})
            session.add(resp)
            resp.score, resp.correct = 0.0, False
            resp.feedback = {"message": NOT_ANSWERED.as_dict()}
        else:
            result = type_of(item.type_name).score(resp.answer["value"], variant)
            resp.score = round(result.fraction * item.points, 6)
            resp.correct = result.correct
            resp.feedback = {"message": result.message.as_dict(), "details": result.details}
        resp.max_score = item.points
        total += resp.score or 0.0
        max_total += item.points
    attempt.score = round(total, 6)
    attempt.max_score = max_total


def feedback_opens_at(session: Session, quiz: Quiz) -> datetime | None:
    """When an after-close quiz shows its keys: once every student's own close date has passed
    too (one student's extension must not let the others read the keys to them)."""
    if quiz.closes_at is None:
        return None
    latest = session.scalar(select(func.max(StudentException.closes_at)).where(StudentException.quiz_id == quiz.id))
    return max(quiz.closes_at, latest) if latest is not None else quiz.closes_at


def feedback_visible(session: Session, quiz: Quiz, staff: bool, now: datetime | None = None) -> bool:
    """Whether scores, keys and explanations may be shown (to staff always)."""
    if staff or quiz.feedback_policy == FeedbackPolicy.IMMEDIATE:
        return True
    opens = feedback_opens_at(session, quiz)
    return opens is not None and (now or utcnow()) >= opens


def scores_visible(session: Session, actor: User, quiz: Quiz) -> bool:
    """Whether ``actor`` may see the scores of the quiz's attempts now."""
    return feedback_visible(session, quiz, course_svc.is_staff(session, actor, quiz.course))


def attempt_result(session: Session, actor: User, attempt: Attempt) -> AttemptResult:
    quiz = attempt.quiz
    staff = course_svc.is_staff(session, actor, quiz.course)
    if attempt.status != AttemptStatus.SUBMITTED:
        raise Conflict(Text(en="This attempt has not been submitted yet.", ko="아직 제출하지 않은 응시입니다."))
    visible = feedback_visible(session, quiz, staff)
    result = AttemptResult(
        attempt=attempt,
        score=attempt.score if visible else None,
        max_score=attempt.max_score or 0.0,
        feedback_visible=visible,
        feedback_available_at=None if visible else feedback_opens_at(session, quiz),
    )
    if not visible:
        return result
    responses = {r.item_id: r for r in attempt.responses}
    overridden = overrides.for_attempt(session, attempt)
    for item in _items(session, quiz):
        resp = responses.get(item.id)
        variant = variant_for(item, attempt.user_id, quiz.shuffle_options)
        result.items.append(ItemFeedback(
            item_id=item.id,
            score=resp.score or 0.0 if resp else 0.0,
            max_score=item.points,
            correct=bool(resp and resp.correct),
            message=(resp.feedback.get("message") if resp else None)
            or NOT_ANSWERED.as_dict(),
            key_display=variant.key_display,
            explanation_html=_html(item.explanation) if item.explanation else None,
            answer=resp.answer.get("value") if resp else None,
            staff_comment=overridden[item.id].comment if item.id in overridden else None,
        ))
    return result


@dataclass
class StudentRow:
    user: User
    attempts: list[Attempt]

    @property
    def best(self) -> float | None:
        scores = [a.score for a in self.attempts if a.score is not None]
        return max(scores) if scores else None


def quiz_results(session: Session, actor: User, quiz: Quiz) -> list[StudentRow]:
    """Every student's attempts at a quiz (staff only), one query for attempts and users."""
    course_svc.require_staff(session, actor, quiz.course)
    finish_expired(session, quiz_ids=[quiz.id])
    attempts = session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id)
        .options(selectinload(Attempt.user)).order_by(Attempt.user_id, Attempt.number)
    ).all()
    rows: dict[int, StudentRow] = {}
    for a in attempts:
        rows.setdefault(a.user_id, StudentRow(a.user, [])).attempts.append(a)
    return sorted(rows.values(), key=lambda r: r.user.name)


# --- staff preview ---------------------------------------------------------------------------


@dataclass
class PreviewItem:
    view: ItemView
    variant: Variant
    feedback: ItemFeedback | None = None
    error: Localized | None = None  # the answer could not be read


def preview_quiz(session: Session, actor: User, quiz: Quiz, answers: dict[int, Any] | None = None
                 ) -> tuple[list[PreviewItem], float | None]:
    """The quiz as a student would take it, for course staff, and (given answers) how they
    would score: computed in memory, never stored, so a preview is no attempt and shows up in
    no result, statistics or gradebook. Returns the items and the total (None without answers)."""
    course_svc.require_staff(session, actor, quiz.course)
    out: list[PreviewItem] = []
    total: float | None = None if answers is None else 0.0
    for item in _items(session, quiz):
        variant = variant_for(item, f"preview-{actor.id}", quiz.shuffle_options)
        raw = (answers or {}).get(item.id)
        entry = PreviewItem(item_view(item, variant, raw), variant)
        out.append(entry)
        if answers is None:
            continue
        qtype = type_of(item.type_name)
        try:
            value = None if _is_blank(raw) else qtype.parse(raw, variant)
        except AnswerError as exc:
            entry.error, value = exc.message.as_dict(), None
        if value is None:
            entry.feedback = ItemFeedback(item.id, 0.0, item.points, False, NOT_ANSWERED.as_dict(),
                                          variant.key_display)
            continue
        result = qtype.score(value, variant)
        score = round(result.fraction * item.points, 6)
        entry.view.answer = value
        entry.feedback = ItemFeedback(item.id, score, item.points, result.correct, result.message.as_dict(),
                                      variant.key_display, answer=value)
        total = (total or 0.0) + score
    return out, total
