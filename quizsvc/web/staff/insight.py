"""Insight pages for course staff: a quiz's statistics and an assignment's submissions, each
table as CSV, each plot as an SVG served from here."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.errors import DomainError, not_found
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import insight
from quizsvc.services import quizzes as quiz_svc
from quizsvc.services.insight_plots import bars_svg, histogram_svg
from quizsvc.text import Text
from quizsvc.web import lang
from quizsvc.web.staff import bp

QUIZ_TABLES = ("items", "options", "histogram")
ASSIGNMENT_TABLES = ("mistakes", "histogram", "timeline")
ASSIGNMENT_PLOTS = ASSIGNMENT_TABLES


def _basis() -> insight.Basis:
    value = request.args.get("attempts", "first")
    if value == "first":
        return "first"
    if value == "all":
        return "all"
    raise DomainError(Text(en="attempts must be 'first' or 'all'.", ko="attempts는 'first' 또는 'all'이어야 합니다."))


def _csv(text: str, filename: str) -> Response:
    return Response("\ufeff" + text, mimetype="text/csv",  # BOM: Excel opens Korean text correctly
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _svg(svg: str) -> Response:
    return Response(svg, mimetype="image/svg+xml")


def _table(allowed: tuple[str, ...]) -> Any:
    table = request.args.get("table", allowed[0])
    if table not in allowed:
        raise not_found(Text(en="Table", ko="표"))
    return table


def _edges_counts(bins: list[insight.Bin]) -> tuple[tuple[float, ...], tuple[int, ...]]:
    return tuple([b.low for b in bins] + [bins[-1].high]), tuple(b.count for b in bins)


@bp.get("/quizzes/<int:quiz_id>/insight")
@login_required
def quiz_insight(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    quiz = quiz_svc.get_quiz(session, quiz_id)
    basis = _basis()
    stats = insight.quiz_statistics(session, current_user, quiz, basis)
    if request.args.get("format") == "csv":
        table = _table(QUIZ_TABLES)
        return _csv(insight.quiz_csv(stats, table, lang()), f"{quiz.slug}-{basis}-{table}.csv")
    return render_template("staff/quiz_insight.html", quiz=quiz, stats=stats, basis=basis,
                           min_variant_n=insight.MIN_VARIANT_N)


@bp.get("/quizzes/<int:quiz_id>/insight/histogram.svg")
@login_required
def quiz_histogram(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    stats = insight.quiz_statistics(session, current_user, quiz_svc.get_quiz(session, quiz_id), _basis())
    return _svg(histogram_svg(*_edges_counts(stats.histogram)))


@bp.get("/assignments/<int:assignment_id>/insight")
@login_required
def assignment_insight(assignment_id: int) -> ResponseReturnValue:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    data = insight.assignment_insight(session, current_user, a)
    if request.args.get("format") == "csv":
        table = _table(ASSIGNMENT_TABLES)
        return _csv(insight.assignment_csv(data, table, lang()), f"{a.slug}-{table}.csv")
    return render_template("staff/assignment_insight.html", assignment=a, data=data)


@bp.get("/assignments/<int:assignment_id>/insight/<plot>.svg")
@login_required
def assignment_plot(assignment_id: int, plot: str) -> ResponseReturnValue:
    if plot not in ASSIGNMENT_PLOTS:
        raise not_found(Text(en="Plot", ko="그래프"))
    session = get_session()
    data = insight.assignment_insight(session, current_user, assignment_svc.get_assignment(session, assignment_id))
    if plot == "histogram":
        return _svg(histogram_svg(*_edges_counts(data.histogram)))
    if plot == "mistakes":  # bars numbered as the table's rows
        return _svg(bars_svg(tuple(str(i) for i in range(1, len(data.mistakes) + 1)),
                             tuple(m.students for m in data.mistakes)))
    days = tuple(d.day for d in data.timeline)
    due = days.index(0) if data.timeline_from_due and 0 in days else None
    return _svg(bars_svg(tuple(f"{d:+d}" if data.timeline_from_due else str(d) for d in days),
                         tuple(d.count for d in data.timeline), marked=due))
