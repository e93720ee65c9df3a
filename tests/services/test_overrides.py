"""Staff set one quiz answer's or one submission's score by hand, with a comment: the student
sees the comment on their result page (and through the API), the attempt total and the gradebook
count the new score, a later regrade leaves it alone, and bad input is refused with a 4xx."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from test_item_regrade import _gradebook, _setup, _totals
from world import form_post, logged_in

from quizsvc.grading import registry
from quizsvc.models import (
    Assignment,
    Attempt,
    Course,
    Item,
    Response,
    ScoreOverride,
    Submission,
    SubmissionStatus,
    User,
)
from quizsvc.services import item_regrade, tokens
from quizsvc.services.gradebook import gradebook
from quizsvc.services.submissions import regrading

COMMENT = "풀이 과정이 맞아 부분 점수를 줍니다. (Partial credit: the working is right.)"


def _response_id(w: Any, item_id: int, who: str) -> int:
    with w.db() as s:
        return s.scalar(select(Response.id).join(Attempt).where(
            Response.item_id == item_id, Attempt.user_id == w.ids[who]))


def test_an_item_override_is_shown_to_the_student_and_counted(w, app):
    quiz_id, item_id, wrong = _setup(w)
    before = _totals(w, quiz_id)
    rid = _response_id(w, item_id, "bob")
    path = f"/staff/responses/{rid}/override"
    ta = logged_in(app, "ta")
    assert ta.get(path).status_code == 200
    # bad input: a clear 4xx and nothing changes
    assert form_post(ta, path, {"score": "5", "comment": COMMENT}, token_from=path).status_code == 422
    assert form_post(ta, path, {"score": "0.5", "comment": "  "}, token_from=path).status_code == 400
    assert form_post(ta, path, {"score": "half", "comment": COMMENT}, token_from=path).status_code == 400
    assert ta.post(path, data={"score": "0.5", "comment": COMMENT}).status_code == 400  # no CSRF token
    assert _totals(w, quiz_id) == before
    # students cannot reach it
    assert logged_in(app, "bob").get(path).status_code == 404

    r = form_post(ta, path, {"score": "0.5", "comment": COMMENT}, token_from=path)
    assert r.status_code == 302
    assert _totals(w, quiz_id)["bob"] == (before["bob"][0] + 0.5, before["bob"][1])
    assert _gradebook(w, quiz_id)["bob"] == before["bob"][0] + 0.5
    with w.db() as s:
        o = s.scalars(select(ScoreOverride)).one()
        assert (o.response_id, o.actor_id, o.old_score, o.new_score, o.comment) == (
            rid, w.ids["ta"], 0.0, 0.5, COMMENT)
        attempt_id = s.scalar(select(Response.attempt_id).where(Response.id == rid))

    bob = logged_in(app, "bob")
    page = bob.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert COMMENT in page
    assert COMMENT not in logged_in(app, "alice").get(
        f"/attempts/{w.attempts(quiz_id, 'alice')[0].id}/result").get_data(as_text=True)
    with w.db() as s:
        _t, secret = tokens.create_token(s, s.get(User, w.ids["bob"]), "t", ["read"])
    api = app.test_client().get(f"/api/v1/attempts/{attempt_id}/result",
                                headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [i["staff_comment"] for i in api["items"] if i["item_id"] == item_id] == [COMMENT]

    # a regrade that makes bob's choice right leaves his overridden score alone
    with w.db() as s:
        item = s.get(Item, item_id)
        item.config = {**item.config, "options": [{**o, "correct": o["id"] == wrong} for o in item.config["options"]]}
        s.commit()
        plan = item_regrade.preview(s, s.get(User, w.ids["instructor"]), s.get(Item, item_id))
        assert [c.user.id for c in plan.changes] == [w.ids["alice"]]


def test_a_submission_override_is_shown_kept_by_regrades_and_counted(w, app):
    with w.db() as s:
        grader = next(iter(registry.all_assignments()))
        assignment = Assignment(course_id=w.course_id, slug=grader, grader=grader, title="과제", published=True)
        s.add(assignment)
        s.flush()
        sub = Submission(assignment_id=assignment.id, user_id=w.ids["alice"], source="def f(): pass\n",
                         status=SubmissionStatus.GRADED, raw_score=4.0, score=4.0, max_score=10.0,
                         grade_count=1, result={"assignment": grader, "cases": []})
        s.add(sub)
        s.commit()
        sid, aid = sub.id, assignment.id
    path = f"/staff/submissions/{sid}/override"
    prof = logged_in(app, "instructor")
    assert form_post(prof, path, {"score": "11", "comment": COMMENT}, token_from=path).status_code == 422
    assert logged_in(app, "alice").get(path).status_code in (403, 404)
    r = form_post(prof, path, {"score": "7", "comment": COMMENT}, token_from=path)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/submissions/{sid}")
    page = logged_in(app, "alice").get(f"/submissions/{sid}").get_data(as_text=True)
    assert COMMENT in page and 'id="override"' not in page
    with w.db() as s:
        prof_user = s.get(User, w.ids["instructor"])
        book = gradebook(s, prof_user, s.get(Course, w.course_id))
        assert dict((u.id, sc[f"a{aid}"]) for u, sc in book.rows)[w.ids["alice"]] == 7.0
        # an assignment regrade does not requeue it (its grade would replace the staff's)
        assert regrading.regrade(s, prof_user, s.get(Assignment, aid), None) == 0
        sub = s.get(Submission, sid)
        assert (sub.status, sub.score, sub.raw_score) == (SubmissionStatus.GRADED, 7.0, 4.0)
        assert s.scalars(select(ScoreOverride)).one().old_score == 4.0
