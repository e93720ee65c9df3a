"""Insight for course staff: quiz statistics on a hand-made class with known answers, an
assignment's mistakes, the pages, their CSV and SVG, and who may see them."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from insight_data import seed_stats_quiz
from sqlalchemy import event
from world import World, logged_in

from quizsvc.models import (
    Assignment,
    Course,
    Item,
    Quiz,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import insight


def _make_quiz(w: World) -> dict[str, int]:
    with w.db() as s:
        return {"quiz": seed_stats_quiz(s, s.get(Course, w.course_id), w.ids["alice"])}


def _stats(w: World, quiz_id: int, basis: insight.Basis) -> insight.QuizStats:
    with w.db() as s:
        stats = insight.quiz_statistics(s, s.get(User, w.ids["instructor"]), s.get(Quiz, quiz_id), basis)
        for it in stats.items:
            _ = it.item.key  # loaded while the session is open
        return stats


def test_quiz_statistics_known_answers(w: World) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    stats = _stats(w, quiz_id, "first")
    by_key = {s.item.key: s for s in stats.items}
    assert stats.attempts == 4 and stats.max_score == 4
    assert [by_key[k].facility for k in ("c1", "n1", "c2", "neg")] == [0.5, 0.5, 0.5, 0.5]
    # neg: item [0,0,1,1] against the rest [3,2,1,0]: r = -2/sqrt(5)
    assert by_key["neg"].discrimination == pytest.approx(-2 / math.sqrt(5))
    assert by_key["neg"].negative and not any(by_key[k].negative for k in ("c1", "n1", "c2"))
    assert by_key["c1"].discrimination == pytest.approx(0.0, abs=1e-12)  # rest [2,1,2,1]
    assert [(t["en"], ok, n) for t, ok, n in by_key["c1"].options] == [
        ("Alpha", True, 2), ("Beta", False, 1), ("=HYPERLINK(1)", False, 1)]
    assert by_key["n1"].wrong_answers == [("3", 2)] and by_key["c1"].wrong_answers == []
    # totals 3, 2, 2, 1 of 4: 75 %, 50 %, 50 %, 25 %
    assert {(b.low, b.count) for b in stats.histogram if b.count} == {(20, 1), (50, 2), (70, 1)}


def test_all_attempts_count_every_submitted_attempt(w: World) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    stats = _stats(w, quiz_id, "all")
    by_key = {s.item.key: s for s in stats.items}
    assert stats.attempts == 5
    assert by_key["c1"].facility == pytest.approx(3 / 5)
    assert [n for _, _, n in by_key["c1"].options] == [3, 1, 1]
    assert sum(b.count for b in stats.histogram) == 5 and stats.histogram[7].count == 2  # s1, and s4 again


def test_quiz_statistics_use_a_fixed_number_of_queries(w: World) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    with w.db() as s:
        actor, quiz = s.get(User, w.ids["instructor"]), s.get(Quiz, quiz_id)
        statements: list[str] = []
        engine = s.get_bind()
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            insight.quiz_statistics(s, actor, quiz, "all")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    # the course and the staff check, the items, totals per attempt, sums per item, answer tallies
    assert len(statements) <= 6, [" ".join(st.split())[:70] for st in statements]


def test_randomised_item_spread_across_variants(w: World) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    with w.db() as s:
        item = s.query(Item).filter_by(quiz_id=quiz_id, key="n1").one()
        item.config = {**item.config, "params": {"k": {"kind": "choice", "values": [1, 2]}}}
        s.commit()
    stats = _stats(w, quiz_id, "all")
    n1 = next(x for x in stats.items if x.item.key == "n1")
    assert n1.variants == 2  # two parameter draws among five attempts
    assert n1.variant_spread is None  # neither draw answered MIN_VARIANT_N times: nothing to compare


def test_quiz_insight_page_csv_and_svg(w: World) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    staff = logged_in(w.app, "ta")
    page = staff.get(f"/staff/quizzes/{quiz_id}/insight")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="item-neg" class="flagged"' in html and 'id="item-c1" class="flagged"' not in html
    assert "Alpha" in html or "알파" in html
    assert f"/staff/quizzes/{quiz_id}/insight" in staff.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(staff.get(
        f"/staff/quizzes/{quiz_id}/insight?format=csv&table=options").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["item", "option", "correct", "picks"]
    assert ["c1", "'=HYPERLINK(1)", "no", "1"] in rows  # a formula-looking cell stays text
    items = list(csv.DictReader(io.StringIO(staff.get(
        f"/staff/quizzes/{quiz_id}/insight?format=csv&table=items&attempts=all").get_data(as_text=True)
        .lstrip("\ufeff"))))
    assert {r["key"]: r["facility"] for r in items}["c1"] == "0.6"
    svg = staff.get(f"/staff/quizzes/{quiz_id}/insight/histogram.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.get_data()).tag == "{http://www.w3.org/2000/svg}svg"
    assert staff.get(f"/staff/quizzes/{quiz_id}/insight?attempts=some").status_code == 400
    assert staff.get(f"/staff/quizzes/{quiz_id}/insight?format=csv&table=x").status_code == 404


@pytest.mark.parametrize("who", ["alice", "outsider"])
def test_insight_is_for_staff_only(w: World, who: str) -> None:
    quiz_id = _make_quiz(w)["quiz"]
    a_id = _make_assignment(w)
    client = logged_in(w.app, who)
    for path in (f"/staff/quizzes/{quiz_id}/insight", f"/staff/quizzes/{quiz_id}/insight?format=csv",
                 f"/staff/quizzes/{quiz_id}/insight/histogram.svg", f"/staff/assignments/{a_id}/insight",
                 f"/staff/assignments/{a_id}/insight/mistakes.svg"):
        assert client.get(path).status_code in (403, 404), path


DUE = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)


def _result(*mistakes: str) -> dict[str, Any]:
    return {"diagnoses": [{"key": m, "title": m, "hint": "", "cases": [], "kind": "mistake"} for m in mistakes]
            + [{"key": "symptom:out", "title": "", "hint": "", "cases": [], "kind": "symptom"}]}


def _make_assignment(w: World) -> int:
    with w.db() as s:
        a = Assignment(course_id=w.course_id, slug="drop-insight", grader="dropout", title="드롭아웃",
                       due_at=DUE)
        s.add(a)
        s.flush()
        plans = {  # per student: (days from due, score of 10, mistakes)
            "alice": [(-2, 4, ("no_scaling",)), (-1, 10, ())],
            "bob": [(-3, 5, ("no_scaling", "keep_drop_swapped")), (0, 6, ("keep_drop_swapped",)),
                    (1, 10, ())],
            "ta": [(0, 2, ("keep_drop_swapped",))],
        }
        for who, subs in plans.items():
            for day, score, mistakes in subs:
                s.add(Submission(assignment_id=a.id, user_id=w.ids[who], source="", status=SubmissionStatus.GRADED,
                                 created_at=DUE + timedelta(days=day, hours=-1), score=score, raw_score=score,
                                 max_score=10.0, result=_result(*mistakes)))
        s.add(Submission(assignment_id=a.id, user_id=w.ids["alice"], source="", status=SubmissionStatus.QUEUED))
        s.commit()
        return a.id


def test_assignment_insight_counts_mistakes_and_students(w: World) -> None:
    a_id = _make_assignment(w)
    with w.db() as s:
        data = insight.assignment_insight(s, s.get(User, w.ids["instructor"]), s.get(Assignment, a_id))
        mistakes = {m.key: (m.students, m.submissions, m.still, sorted(name for name, _ in m.who))
                    for m in data.mistakes}
        titles = {m.key: m.title["en"] for m in data.mistakes}
    assert mistakes == {"keep_drop_swapped": (2, 3, 1, ["bob", "ta"]), "no_scaling": (2, 2, 0, ["alice", "bob"])}
    assert data.mistakes[0].key == "keep_drop_swapped"  # most students first, then by key
    assert titles["no_scaling"] and titles["no_scaling"] != "no_scaling"  # the catalogue's title
    assert (data.students, data.submissions, data.full_marks) == (3, 6, 2)
    assert data.median_to_full == 2.5  # alice at her 2nd, bob at his 3rd
    assert data.timeline_from_due and [(d.day, d.count) for d in data.timeline] == [
        (-3, 1), (-2, 1), (-1, 1), (0, 2), (1, 1)]
    assert {(b.low, b.count) for b in data.histogram if b.count} == {(20, 1), (90, 2)}


def test_assignment_insight_page_csv_and_plots(w: World) -> None:
    a_id = _make_assignment(w)
    staff = logged_in(w.app, "instructor")
    html = staff.get(f"/staff/assignments/{a_id}/insight").get_data(as_text=True)
    assert "<details>" in html and "/submissions/" in html
    assert f"/staff/assignments/{a_id}/insight" in staff.get(f"/staff/assignments/{a_id}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(staff.get(
        f"/staff/assignments/{a_id}/insight?format=csv&table=mistakes").get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["key"], r["students"], r["who"]) for r in rows] == [
        ("keep_drop_swapped", "2", "bob; ta"), ("no_scaling", "2", "alice; bob")]
    for plot in ("mistakes", "histogram", "timeline"):
        r = staff.get(f"/staff/assignments/{a_id}/insight/{plot}.svg")
        assert r.status_code == 200 and ET.fromstring(r.get_data()).tag.endswith("svg")
    assert staff.get(f"/staff/assignments/{a_id}/insight/other.svg").status_code == 404


def test_empty_quiz_and_assignment_show_empty_insight(w: World) -> None:
    with w.db() as s:
        quiz = Quiz(course_id=w.course_id, slug="empty", title="빈 퀴즈")
        a = Assignment(course_id=w.course_id, slug="empty", grader="dropout", title="빈 과제")
        s.add_all([quiz, a])
        s.commit()
        quiz_id, a_id = quiz.id, a.id
    staff = logged_in(w.app, "instructor")
    for path in (f"/staff/quizzes/{quiz_id}/insight", f"/staff/quizzes/{quiz_id}/insight/histogram.svg",
                 f"/staff/assignments/{a_id}/insight", f"/staff/assignments/{a_id}/insight/timeline.svg",
                 f"/staff/assignments/{a_id}/insight/mistakes.svg",
                 f"/staff/assignments/{a_id}/insight?format=csv&table=timeline"):
        assert staff.get(path).status_code == 200, path
