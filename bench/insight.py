"""How fast the staff insight pages are on a large generated course.

Builds a course of 2,000 students x 5 quizzes x 15 items (one or two submitted attempts per
student and quiz, a response per item; a few randomised items; one item per quiz with a wrong
key, so that it discriminates negatively) and 4 assignments with 20,000 graded submissions whose
stored results carry diagnosed mistakes, with bulk Core inserts into a temporary SQLite database
(or an empty PostgreSQL database given with --database-url). Then times, through the Flask test
client as the instructor, each insight page (HTML, CSV) and each plot (SVG): cold (plot cache
emptied before each request) and warm. Prints p50/p95 per page, wall clock and this process's
CPU time (the latter tells the page's own cost on a shared, busy machine); last line: one JSON
object.

    .venv/bin/python bench/insight.py [--students 2000] [--repeat 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUIZZES, ITEMS, ASSIGNMENTS, SUBMISSIONS = 5, 15, 4, 20_000
PASSWORD = "bench-password-1"
OPTIONS = [{"id": k, "text": {"en": f"Option {k}", "ko": f"선택지 {k}"}, "correct": k == "a"} for k in "abcd"]


def _item_config(j: int) -> tuple[str, dict[str, Any]]:
    """Types in turn: single choice, multi-select, numeric (every third one randomised), vector."""
    kind = ("single_choice", "multi_select", "numeric", "vector")[j % 4]
    if kind == "single_choice":
        return kind, {"options": OPTIONS}
    if kind == "multi_select":
        return kind, {"options": [{**o, "correct": o["id"] in "ab"} for o in OPTIONS]}
    if kind == "numeric":
        cfg: dict[str, Any] = {"compute": {"fn": "l1_norm", "args": {"x": [2, 3, 4]}}, "tolerance": {"rtol": 0.01}}
        if j % 3 == 2:
            cfg["params"] = {"k": {"kind": "int", "low": 1, "high": 6}}
        return kind, cfg
    return kind, {"compute": {"fn": "l1_norm", "args": {"x": [1, 2]}}, "tolerance": {"rtol": 0.01}}


def _answer(kind: str, right: bool, rng: np.random.Generator) -> Any:
    if kind == "single_choice":
        return "a" if right else str(rng.choice(list("bcd")))
    if kind == "multi_select":
        return ["a", "b"] if right else sorted({"a", str(rng.choice(list("cd")))})
    if kind == "numeric":
        return 9.0 if right else float(rng.choice([8.0, 10.0, 3.0, 24.0, 9.5]))
    return [1.0, 2.0] if right else [[2.0, 1.0], [1.0, 1.0], [0.0, 0.0]][int(rng.integers(3))]


def build(url: str, students: int, rng: np.random.Generator) -> dict[str, Any]:
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from quizsvc import migrate
    from quizsvc.db import make_engine
    from quizsvc.grading import registry
    from quizsvc.models import (
        Assignment,
        Attempt,
        Course,
        CourseRole,
        Enrollment,
        Item,
        Quiz,
        Response,
        Submission,
        User,
    )
    from quizsvc.services import accounts
    from quizsvc.services.passwords import use_fast_hashing

    use_fast_hashing(True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with Session(engine) as s:
        prof = accounts.create_user(s, "prof@bench.example", "prof", PASSWORD, can_create_courses=True)
        s.add(course := Course(slug="bench", title="벤치", title_en="Bench", join_code="BENCH000"))
        s.flush()
        s.add(Enrollment(user_id=prof.id, course_id=course.id, role=CourseRole.INSTRUCTOR))
        s.execute(insert(User), [{"email": f"s{i}@bench.example", "name": f"Student {i:04d}", "password_hash": "-",
                                  "session_token": f"t{i}"} for i in range(students)])
        ids = list(s.scalars(select(User.id).where(User.email.like("s%@bench.example")).order_by(User.id)))
        s.execute(insert(Enrollment), [{"user_id": u, "course_id": course.id, "role": CourseRole.STUDENT}
                                       for u in ids])
        ability = rng.normal(0, 1, len(ids))
        quiz_ids = []
        for q in range(QUIZZES):
            s.add(quiz := Quiz(course_id=course.id, slug=f"q{q}", title=f"퀴즈 {q}", published=True))
            s.flush()
            quiz_ids.append(quiz.id)
            items = []
            for j in range(ITEMS):
                kind, cfg = _item_config(j)
                item = Item(quiz_id=quiz.id, key=f"i{j}", position=j, type_name=kind, config=cfg,
                            prompt={"en": f"Item {j}", "ko": f"문항 {j}"})
                s.add(item)
                items.append(item)
            s.flush()
            difficulty = rng.normal(0, 1, ITEMS)
            attempts = []
            for n, u in enumerate(ids):
                for number in range(1, 1 + int(rng.integers(1, 3))):
                    attempts.append({"quiz_id": quiz.id, "user_id": u, "number": number, "status": "submitted",
                                     "started_at": now, "submitted_at": now, "max_score": float(ITEMS),
                                     "_ability": ability[n] + 0.3 * (number - 1)})
            rows = s.execute(insert(Attempt).returning(Attempt.id),
                             [{k: v for k, v in a.items() if k != "_ability"} for a in attempts]).scalars().all()
            responses = []
            for attempt_id, a in zip(rows, attempts, strict=True):
                for j, item in enumerate(items):
                    logit = a["_ability"] - difficulty[j]
                    if j == 7:  # the wrong key: the stronger the student, the likelier "wrong"
                        logit = -logit
                    right = bool(rng.random() < 1 / (1 + math.exp(-logit)))
                    responses.append({"attempt_id": attempt_id, "item_id": item.id, "score": float(right),
                                      "max_score": 1.0, "correct": right,
                                      "answer": {"value": _answer(item.type_name, right, rng)}})
            s.execute(insert(Response), responses)
        graders = ["dropout", "batchnorm", "layernorm", "penalties"][:ASSIGNMENTS]
        assignment_ids = []
        for k, grader in enumerate(graders):
            s.add(a := Assignment(course_id=course.id, slug=f"a{k}", grader=grader, title=grader,
                                  published=True, due_at=now + timedelta(days=k)))
            s.flush()
            assignment_ids.append(a.id)
            mistakes = [m.key for m in registry.get(grader).mistakes]
            subs = []
            for _ in range(SUBMISSIONS // ASSIGNMENTS):
                n = int(rng.integers(len(ids)))
                made = [] if rng.random() < 0.4 else list(rng.choice(mistakes, size=int(rng.integers(1, 3)),
                                                                     replace=False))
                score = 10.0 if not made else float(rng.integers(0, 10))
                cases = [{"name": f"case{c}", "passed": not made or c % 2 == 0, "points": 1.0, "max_points": 1.0,
                          "visible": True, "message": "output differs" if made else "ok", "hint": "",
                          "mistake": made[0] if made else None, "metrics": {"max_abs_error": 0.5}}
                         for c in range(10)]
                subs.append({"assignment_id": a.id, "user_id": ids[n], "source": "def f(): pass\n",
                             "status": "graded", "score": score, "raw_score": score, "max_score": 10.0,
                             "created_at": a.due_at + timedelta(hours=float(rng.normal(-30, 30))),
                             "result": {"score": score, "max_score": 10.0, "cases": cases,
                                        "diagnoses": [{"key": m, "title": m, "hint": "", "cases": ["case1"],
                                                       "kind": "mistake"} for m in made]}})
            s.execute(insert(Submission), subs)
        s.commit()
    engine.dispose()
    return {"quizzes": quiz_ids, "assignments": assignment_ids}


def _percentile(values: list[float], p: float) -> float:
    return round(float(np.percentile(values, p)) * 1000, 1)


def measure(url: str, ids: dict[str, Any], repeat: int, instance: str) -> dict[str, Any]:
    from quizsvc.app import create_app
    from quizsvc.services import insight_plots

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True},
                     instance_path=instance)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"email": "prof@bench.example", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    pages: dict[str, list[str]] = {
        "quiz (first attempts)": [f"/staff/quizzes/{q}/insight" for q in ids["quizzes"]],
        "quiz (all attempts)": [f"/staff/quizzes/{q}/insight?attempts=all" for q in ids["quizzes"]],
        "quiz items CSV": [f"/staff/quizzes/{q}/insight?format=csv&table=items" for q in ids["quizzes"]],
        "quiz histogram SVG": [f"/staff/quizzes/{q}/insight/histogram.svg" for q in ids["quizzes"]],
        "assignment": [f"/staff/assignments/{a}/insight" for a in ids["assignments"]],
        "assignment mistakes CSV": [f"/staff/assignments/{a}/insight?format=csv&table=mistakes"
                                    for a in ids["assignments"]],
        **{f"assignment {p} SVG": [f"/staff/assignments/{a}/insight/{p}.svg" for a in ids["assignments"]]
           for p in ("mistakes", "histogram", "timeline")},
    }
    out: dict[str, Any] = {}
    for name, paths in pages.items():
        for cache in ("cold", "warm"):
            times, cpu = [], []
            for _ in range(repeat):
                for path in paths:
                    if cache == "cold":
                        insight_plots._CACHE.clear()
                    else:
                        client.get(path)  # fills the plot cache
                    t, c = time.perf_counter(), time.process_time()
                    resp = client.get(path)
                    times.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - c)
                    assert resp.status_code == 200, (path, resp.status_code)
            row = out[f"{name} [{cache}]"] = {
                "p50_ms": _percentile(times, 50), "p95_ms": _percentile(times, 95),
                "cpu_p50_ms": _percentile(cpu, 50), "cpu_p95_ms": _percentile(cpu, 95), "n": len(times)}
            print(f"{name:32} {cache:4}  p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms"
                  f"  (CPU p50 {row['cpu_p50_ms']:6.1f} ms  p95 {row['cpu_p95_ms']:6.1f} ms)", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="", help="an EMPTY database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        t = time.perf_counter()
        ids = build(url, args.students, np.random.default_rng(16))
        print(f"built the course in {time.perf_counter() - t:.1f} s", flush=True)
        results = measure(url, ids, args.repeat, f"{tmp}/instance")
    pages = [v for k, v in results.items() if "SVG" not in k and "[warm]" in k]
    worst, worst_cpu = max(v["p95_ms"] for v in pages), max(v["cpu_p95_ms"] for v in pages)
    print(json.dumps({"bench": "insight", "backend": url.split(":", 1)[0], "students": args.students,
                      "quizzes": QUIZZES, "items": ITEMS, "submissions": SUBMISSIONS,
                      "worst_page_p95_ms": worst, "worst_page_cpu_p95_ms": worst_cpu, "pages": results}))


if __name__ == "__main__":
    main()
