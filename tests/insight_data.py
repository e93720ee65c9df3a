"""A hand-made class with known statistics, shared by the insight tests (service, pages, browser)."""

from __future__ import annotations

from helpers import make_user
from sqlalchemy.orm import Session

from quizsvc.models import Attempt, AttemptStatus, Course, CourseRole, Item, Quiz, Response
from quizsvc.services import courses

OPTS = [{"id": "a", "text": {"en": "Alpha", "ko": "알파"}, "correct": True},
        {"id": "b", "text": {"en": "Beta", "ko": "베타"}, "correct": False},
        {"id": "c", "text": {"en": "=HYPERLINK(1)", "ko": "=HYPERLINK(1)"}, "correct": False}]
# Per student, per attempt: (c1 option, n1 answer, c2 score, neg score). n1's key is 2.
# Strong students get "neg" wrong and weak ones right: its key is wrong (discrimination < 0).
FIRST = {"s1": ("a", 2.0, 1, 0), "s2": ("a", 3.0, 1, 0), "s3": ("b", 2.0, 0, 1), "s4": ("c", 3.0, 0, 1)}
SECOND_S4 = ("a", 2.0, 1, 0)


def seed_stats_quiz(s: Session, course: Course, in_progress_user: int) -> int:
    """Four students s1..s4 with the attempts above on a quiz "stats"; returns its id."""
    quiz = Quiz(course_id=course.id, slug="stats", title="통계 퀴즈", title_en="Stats quiz")
    s.add(quiz)
    s.flush()
    items = {
        "c1": Item(quiz_id=quiz.id, key="c1", position=0, type_name="single_choice",
                   prompt={"en": "Pick", "ko": "고르기"}, config={"options": OPTS}),
        "n1": Item(quiz_id=quiz.id, key="n1", position=1, type_name="numeric",
                   prompt={"en": "Number", "ko": "수"}, config={"answer": 2.0, "tolerance": {"atol": 0.01}}),
        "c2": Item(quiz_id=quiz.id, key="c2", position=2, type_name="single_choice",
                   prompt={"en": "Pick", "ko": "고르기"}, config={"options": OPTS[:2]}),
        "neg": Item(quiz_id=quiz.id, key="neg", position=3, type_name="single_choice",
                    prompt={"en": "Wrong key", "ko": "틀린 키"}, config={"options": OPTS[:2]}),
    }
    s.add_all(items.values())
    s.flush()
    for name in FIRST:
        user = make_user(s, f"{name}@example.com")
        courses.enroll(s, user, course, CourseRole.STUDENT)
        plans = [FIRST[name]] + ([SECOND_S4] if name == "s4" else [])
        for number, (c1, n1, c2, neg) in enumerate(plans, 1):
            att = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, status=AttemptStatus.SUBMITTED)
            s.add(att)
            s.flush()
            s.add_all([
                Response(attempt_id=att.id, item_id=items["c1"].id, answer={"value": c1},
                         score=float(c1 == "a"), correct=c1 == "a"),
                Response(attempt_id=att.id, item_id=items["n1"].id, answer={"value": n1},
                         score=float(n1 == 2.0), correct=n1 == 2.0),
                Response(attempt_id=att.id, item_id=items["c2"].id, answer={"value": "a" if c2 else "b"},
                         score=float(c2), correct=bool(c2)),
                Response(attempt_id=att.id, item_id=items["neg"].id, answer={"value": "a" if neg else "b"},
                         score=float(neg), correct=bool(neg)),
            ])
    # An attempt still in progress never counts.
    s.add(Attempt(quiz_id=quiz.id, user_id=in_progress_user, number=1, status=AttemptStatus.IN_PROGRESS))
    s.commit()
    return quiz.id
