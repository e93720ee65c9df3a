"""Insight for course staff: quiz and item statistics, and what a programming assignment's
submissions show (score distribution, diagnosed mistakes, timing, attempts to full marks).

Each function runs a fixed number of aggregate queries whatever the class size (no query per
student, attempt or item) and computes with NumPy.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session

from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    AttemptStatus,
    CourseRole,
    Enrollment,
    Item,
    Quiz,
    Response,
    ScorePolicy,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.quiz import params as P
from quizsvc.quiz.registry import type_of
from quizsvc.quiz.types.choice import ChoiceType
from quizsvc.quiz.types.computed import ComputedType
from quizsvc.services import courses as course_svc
from quizsvc.services.attempts import finish_expired
from quizsvc.services.gradebook import _text_cell

Basis = Literal["first", "all"]
HISTOGRAM_BINS = 10  # 0-10 %, ..., 90-100 % (100 % falls in the last bin)
TOP_WRONG = 5  # the most common wrong answers listed per numeric or vector item
MIN_VARIANT_N = 5  # a variant's facility counts towards the spread from this many answers


@dataclass
class Bin:
    low: float  # percent
    high: float
    count: int


@dataclass
class ItemStats:
    item: Item
    n: int  # answers counted (unanswered items count as 0 points)
    facility: float | None  # mean fraction of the item's points
    discrimination: float | None  # corrected item-total correlation; None when undefined
    options: list[tuple[dict[str, Any], bool, int]] = field(default_factory=list)  # text, correct, picks
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)
    variants: int = 0  # distinct parameter draws answered (randomised items)
    variant_spread: float | None = None  # std of per-variant facility (variants with >= MIN_VARIANT_N)
    variant_range: tuple[float, float] | None = None

    @property
    def negative(self) -> bool:
        return self.discrimination is not None and self.discrimination < 0


@dataclass
class QuizStats:
    quiz: Quiz
    basis: Basis
    attempts: int
    max_score: float
    mean_percent: float | None
    histogram: list[Bin]
    items: list[ItemStats]


def _histogram(percents: np.ndarray) -> list[Bin]:
    counts, edges = np.histogram(np.clip(percents, 0, 100), bins=HISTOGRAM_BINS, range=(0, 100))
    return [Bin(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]


def quiz_statistics(session: Session, actor: User, quiz: Quiz, attempts: Basis = "first") -> QuizStats:
    """Statistics of the submitted attempts: each student's first one, or all of them.

    Sums, counts and answer tallies come from the database (an unanswered item scores 0), so
    the rows read are one per attempt plus one per distinct answer, not one per response."""
    course_svc.require_staff(session, actor, quiz.course)
    if quiz.time_limit_minutes is not None:  # its attempts whose time is up count as submitted
        finish_expired(session, quiz_ids=[quiz.id])
    items = list(quiz.items)
    # Students' attempts only: staff preview without storing anything, but attempts staff made
    # before previews existed must not count either.
    students = select(Enrollment.user_id).where(Enrollment.course_id == quiz.course_id,
                                                Enrollment.role == CourseRole.STUDENT)
    submitted = and_(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.SUBMITTED,
                     Attempt.user_id.in_(students))
    chosen_q = select(Attempt.id, Attempt.user_id).where(submitted)
    if attempts == "first":
        first = (select(Attempt.user_id, func.min(Attempt.number).label("number"))
                 .where(submitted).group_by(Attempt.user_id).subquery())
        chosen_q = chosen_q.join(first, and_(first.c.user_id == Attempt.user_id,
                                             first.c.number == Attempt.number))
    chosen = chosen_q.subquery()
    per_attempt = (select(chosen.c.id, chosen.c.user_id, func.coalesce(func.sum(Response.score), 0.0).label("total"))
                   .select_from(chosen).outerjoin(Response, Response.attempt_id == chosen.c.id)
                   .group_by(chosen.c.id, chosen.c.user_id).subquery())
    totals = np.array(session.scalars(select(per_attempt.c.total)).all(), dtype=float)
    n = len(totals)
    moments = {item_id: (float(sx or 0), float(sxx or 0), float(sxt or 0)) for item_id, sx, sxx, sxt in session.execute(
        select(Response.item_id, func.sum(Response.score), func.sum(Response.score * Response.score),
               func.sum(Response.score * per_attempt.c.total))
        .join(per_attempt, per_attempt.c.id == Response.attempt_id).group_by(Response.item_id))}
    kinds = {i.id: type_of(i.type_name) for i in items}
    tallied = [i.id for i in items if isinstance(kinds[i.id], ChoiceType | ComputedType)]
    value = Response.answer["value"].as_string()
    picks: dict[int, Counter[str]] = {i.id: Counter() for i in items}
    wrong: dict[int, Counter[str]] = {i.id: Counter() for i in items}
    for item_id, correct, raw, count in session.execute(
            select(Response.item_id, Response.correct, value, func.count())
            .join(chosen, chosen.c.id == Response.attempt_id).where(Response.item_id.in_(tallied))
            .group_by(Response.item_id, Response.correct, value)) if tallied else ():
        answer = _decoded(raw)
        if isinstance(kinds[item_id], ChoiceType):
            for option in answer if isinstance(answer, list) else [answer] if answer is not None else []:
                picks[item_id][str(option)] += count
        elif correct is False and answer is not None:
            wrong[item_id][P.format_value(answer)] += count
    randomised = {i.id: i for i in items if i.config.get("params")}
    answered: dict[int, list[tuple[int, float]]] = {i: [] for i in randomised}  # (user, score)
    if randomised and n:
        for item_id, user_id, score in session.execute(
                select(Response.item_id, chosen.c.user_id, Response.score)
                .join(chosen, chosen.c.id == Response.attempt_id).where(Response.item_id.in_(randomised))):
            answered[item_id].append((user_id, score or 0.0))
    st, stt = float(totals.sum()), float((totals * totals).sum())
    out = []
    for item in items:
        sx, sxx, sxt = moments.get(item.id, (0.0, 0.0, 0.0))
        stats = ItemStats(item, n, sx / n / item.points if n and item.points else None,
                          _rest_correlation(n, sx, sxx, sxt, st, stt))
        if isinstance(kinds[item.id], ChoiceType):
            stats.options = [(o["text"], bool(o.get("correct")), picks[item.id][o["id"]])
                             for o in item.config.get("options", [])]
        stats.wrong_answers = wrong[item.id].most_common(TOP_WRONG)
        if item.id in randomised:
            _variant_spread(stats, item, answered[item.id])
        out.append(stats)
    max_score = float(sum(i.points for i in items))
    percents = totals / max_score * 100 if max_score else np.zeros(n)
    return QuizStats(quiz, attempts, n, max_score, float(percents.mean()) if n else None,
                     _histogram(percents), out)


def _decoded(text: Any) -> Any:
    """An answer value as the database hands it out as text: JSON for lists, else the text."""
    if not isinstance(text, str):
        return text
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            return text
    try:
        return float(text)
    except ValueError:
        return text


def _rest_correlation(n: int, sx: float, sxx: float, sxt: float, st: float, stt: float) -> float | None:
    """Pearson correlation of an item's score x with the rest of the total, r = T - x, from sums
    over the n attempts; None when either side is constant or there are fewer than 2 attempts."""
    if n < 2:
        return None
    sr, srr, sxr = st - sx, stt - 2 * sxt + sxx, sxt - sxx
    var_x, var_r = sxx / n - (sx / n) ** 2, srr / n - (sr / n) ** 2
    if var_x <= 1e-12 or var_r <= 1e-12:
        return None
    return (sxr / n - (sx / n) * (sr / n)) / math.sqrt(var_x * var_r)


@lru_cache(maxsize=65536)
def _variant_key(specs_json: str, item_id: int, user_id: int) -> str:
    """The parameter values a student drew for an item (what quizzes.variant_for draws)."""
    seed = P.variant_seed("item", item_id, "user", user_id)
    return repr(sorted(P.draw_params(json.loads(specs_json), seed).items()))


def _variant_spread(stats: ItemStats, item: Item, answered: list[tuple[int, float]]) -> None:
    """Group the answers by the parameter values each student drew (the variant they saw) and
    report how much the facility differs between variants answered often enough to compare."""
    by_variant: dict[str, list[float]] = {}
    specs = json.dumps(item.config["params"], sort_keys=True)
    for user_id, score in answered:
        fraction = score / item.points if item.points else 0.0
        by_variant.setdefault(_variant_key(specs, item.id, user_id), []).append(fraction)
    stats.variants = len(by_variant)
    means = [float(np.mean(v)) for v in by_variant.values() if len(v) >= MIN_VARIANT_N]
    if len(means) >= 2:
        stats.variant_spread = float(np.std(means))
        stats.variant_range = (min(means), max(means))


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{round(value, digits):g}"


def quiz_csv(stats: QuizStats, table: Literal["items", "options", "histogram"], language: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "histogram":
        writer.writerow(["from_percent", "to_percent", "attempts"])
        writer.writerows([[f"{b.low:g}", f"{b.high:g}", b.count] for b in stats.histogram])
    elif table == "items":
        writer.writerow(["position", "key", "type", "points", "answers", "facility", "discrimination",
                         "variants", "variant_spread", "common_wrong_answers"])
        for pos, s in enumerate(stats.items, 1):
            writer.writerow([pos, _text_cell(s.item.key), s.item.type_name, f"{s.item.points:g}", s.n,
                             _fmt(s.facility), _fmt(s.discrimination), s.variants or "",
                             _fmt(s.variant_spread),
                             _text_cell("; ".join(f"{a} ({n})" for a, n in s.wrong_answers))])
    else:
        writer.writerow(["item", "option", "correct", "picks"])
        for s in stats.items:
            for text, correct, count in s.options:
                writer.writerow([_text_cell(s.item.key), _text_cell(_in(text, language)),
                                 "yes" if correct else "no", count])
    return out.getvalue()


def _in(text: dict[str, Any], language: str) -> str:
    other = "en" if language == "ko" else "ko"
    return str(text.get(language) or text.get(other) or "")


# ---- assignments -------------------------------------------------------------------------


@dataclass
class MistakeCount:
    key: str
    title: dict[str, str]
    students: int  # distinct students with at least one graded submission showing it
    submissions: int
    still: int  # students whose counted submission still shows it
    who: list[tuple[str, int]]  # each student's name with the latest submission showing it


@dataclass
class DayCount:
    day: int  # days relative to the due date (0: the day of the due date, in UTC), or from the first
    count: int


@dataclass
class AssignmentInsight:
    assignment: Assignment
    students: int  # students with a graded submission
    submissions: int
    histogram: list[Bin]
    mistakes: list[MistakeCount]
    timeline: list[DayCount]
    timeline_from_due: bool
    full_marks: int  # students who reached full marks
    median_to_full: float | None  # median number of submissions up to the first with full marks


def assignment_insight(session: Session, actor: User, assignment: Assignment) -> AssignmentInsight:
    """Mistakes are counted over every graded submission (a student counts once per mistake);
    ``still`` counts those whose counted submission (by the score policy) still shows it."""
    course_svc.require_staff(session, actor, assignment.course)
    rows = session.execute(
        select(Submission.id, Submission.user_id, Submission.created_at, Submission.score,
               Submission.raw_score, Submission.max_score)
        .where(Submission.assignment_id == assignment.id, Submission.status == SubmissionStatus.GRADED)
        .order_by(Submission.user_id, Submission.created_at, Submission.id)).all()
    named: dict[int, list[str]] = {}  # submission -> the mistakes its stored result names
    for sub_id, key in session.execute(_MISTAKES[session.get_bind().dialect.name],
                                       {"a": assignment.id, "graded": SubmissionStatus.GRADED.value}).all():
        named.setdefault(sub_id, []).append(key)
    by_user: dict[int, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row[1], []).append(row)
    kept_pct, to_full = [], []
    mistake_users: dict[str, dict[int, int]] = {}  # key -> user -> latest submission id
    mistake_subs: Counter[str] = Counter()
    still: Counter[str] = Counter()
    for user_id, subs in by_user.items():
        kept = _kept(subs, assignment.score_policy)
        if kept[5]:
            kept_pct.append(100.0 * (kept[3] or 0.0) / kept[5])
        for n, sub in enumerate(subs, 1):
            if sub[5] and (sub[4] or 0.0) >= sub[5] - 1e-9:
                to_full.append(n)
                break
        for sub in subs:
            for key in named.get(sub[0], ()):
                mistake_subs[key] += 1
                mistake_users.setdefault(key, {})[user_id] = sub[0]
        still.update(set(named.get(kept[0], ())))
    names: dict[int, str] = {user_id: name for user_id, name in session.execute(
        select(User.id, User.name).where(User.id.in_(
            select(Submission.user_id).where(Submission.assignment_id == assignment.id)))).all()}
    catalogue = _catalogue(assignment.grader)
    mistakes = [MistakeCount(key, catalogue.get(key, {"en": key, "ko": key}), len(who), mistake_subs[key],
                             still[key], sorted((names[u], sid) for u, sid in who.items() if u in names))
                for key, who in mistake_users.items()]
    mistakes.sort(key=lambda m: (-m.students, m.key))
    timeline, from_due = _timeline([r[2] for r in rows], assignment.due_at)
    return AssignmentInsight(assignment, len(by_user), len(rows), _histogram(np.array(kept_pct)), mistakes,
                             timeline, from_due, len(to_full),
                             float(np.median(to_full)) if to_full else None)


def _kept(subs: list[Any], policy: ScorePolicy) -> Any:
    """The counted submission, as services.submissions.results.kept_submission picks it."""
    if policy == ScorePolicy.LAST:
        return max(subs, key=lambda s: (s[2], s[0]))
    return max(subs, key=lambda s: (s[3] or 0.0, -s[0]))


# The diagnosed mistakes of an assignment's graded submissions, one row per (submission, mistake),
# unpacked by the database: decoding every stored result in Python took most of the page's time.
_MISTAKES = {
    "sqlite": text(
        "SELECT s.id, json_extract(d.value, '$.key') FROM submissions AS s, "
        "json_each(s.result, '$.diagnoses') AS d "
        "WHERE s.assignment_id = :a AND s.status = :graded AND json_type(s.result, '$.diagnoses') = 'array' "
        "AND coalesce(json_extract(d.value, '$.kind'), 'mistake') = 'mistake' "
        "AND json_type(d.value, '$.key') = 'text'"),
    "postgresql": text(
        "SELECT s.id, d ->> 'key' FROM submissions AS s "
        "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(s.result -> 'diagnoses') = 'array' "
        "THEN s.result -> 'diagnoses' ELSE '[]'::jsonb END) AS d "
        "WHERE s.assignment_id = :a AND s.status = :graded "
        "AND coalesce(d ->> 'kind', 'mistake') = 'mistake' AND jsonb_typeof(d -> 'key') = 'string'"),
}


def _catalogue(grader: str) -> dict[str, dict[str, str]]:
    try:
        return {m.key: m.title.as_dict() for m in registry.get(grader).mistakes}
    except registry.UnknownAssignment:
        return {}


def _timeline(times: list[datetime], due: datetime | None) -> tuple[list[DayCount], bool]:
    """Submissions per day: relative to the due date when there is one, else to the first day."""
    if not times:
        return [], due is not None
    origin = (due or min(times)).date()
    days = Counter((t.date() - origin).days for t in times)
    lo, hi = min(days), max(days)
    if due is not None:
        lo, hi = min(lo, 0), max(hi, 0)
    return [DayCount(d, days.get(d, 0)) for d in range(lo, hi + 1)], due is not None


def assignment_csv(data: AssignmentInsight, table: Literal["mistakes", "histogram", "timeline"],
                   language: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "histogram":
        writer.writerow(["from_percent", "to_percent", "students"])
        writer.writerows([[f"{b.low:g}", f"{b.high:g}", b.count] for b in data.histogram])
    elif table == "timeline":
        writer.writerow(["days_from_due" if data.timeline_from_due else "day", "submissions"])
        writer.writerows([[d.day, d.count] for d in data.timeline])
    else:
        writer.writerow(["key", "title", "students", "submissions", "still_in_counted_submission", "who"])
        for m in data.mistakes:
            writer.writerow([_text_cell(m.key), _text_cell(_in(m.title, language)), m.students, m.submissions,
                             m.still, _text_cell("; ".join(name for name, _ in m.who))])
    return out.getvalue()
