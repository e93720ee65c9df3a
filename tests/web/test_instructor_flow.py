"""An instructor in the browser: create a course, a quiz and items (with previews), edit, delete,
publish, and see every student's attempts. Real forms with CSRF tokens throughout."""

from __future__ import annotations

import re

from sqlalchemy import select
from world import form_data, form_post, logged_in, start_web_attempt

from quizsvc.models import Course, CourseRole, Enrollment, FeedbackPolicy, Item, Quiz

NUMERIC_CONFIG = """\
compute:
  fn: l2_norm
  args: {x: [2, 3, 4]}
tolerance: {atol: 0.001}
"""

PARAM_CONFIG = """\
params:
  x: {kind: vector, shape: 3, low: -9, high: 9, integer: true}
compute:
  fn: l1_norm
  args: {x: $x}
tolerance: {atol: 0.001}
"""

CHOICE_CONFIG = """\
options:
  - id: a
    text: {ko: "드롭아웃", en: "Dropout"}
    correct: true
  - id: b
    text: {ko: "학습률 증가", en: "A larger learning rate"}
"""



def item_form(key: str, type_name: str, config: str, **extra: str) -> dict[str, str]:
    return {"key": key, "type_name": type_name, "section": "norms", "points": "2",
            "prompt_ko": extra.get("prompt_ko", "벡터 $x = [2, 3, 4]$의 L2 놈 $\\|x\\|_2$를 구하세요."),
            "prompt_en": extra.get("prompt_en", "Compute the L2 norm $\\|x\\|_2$ of $x = [2, 3, 4]$."),
            "explanation_ko": "제곱합의 제곱근: $\\sqrt{29}$", "explanation_en": "Square root of 29.",
            "config": config}


def new_id(response, pattern: str) -> int:
    m = re.search(pattern, response.headers["Location"])
    assert m, response.headers["Location"]
    return int(m.group(1))


def test_instructor_builds_and_publishes_a_quiz(w, app):
    prof = logged_in(app, "instructor")
    # a new course
    assert prof.get("/staff/courses/new").status_code == 200
    r = form_post(prof, "/staff/courses/new", {"slug": "reg-norm-202", "title": "정규화 심화",
                                               "title_en": "Regularization II"})
    assert r.status_code == 302
    course_id = new_id(r, r"/staff/courses/(\d+)$")
    page = prof.get(f"/staff/courses/{course_id}").get_data(as_text=True)
    with w.db() as s:
        course = s.get(Course, course_id)
        assert (course.slug, course.title, course.title_en) == ("reg-norm-202", "정규화 심화", "Regularization II")
        role = s.scalar(select(Enrollment.role).where(Enrollment.course_id == course_id,
                                                      Enrollment.user_id == w.ids["instructor"]))
        assert role == CourseRole.INSTRUCTOR
        join_code = course.join_code
    assert f'id="join-code">{join_code}</code>' in page
    # a quiz: created as a draft whatever the form says
    r = form_post(prof, f"/staff/courses/{course_id}/quizzes/new", {
        "slug": "norms", "title": "놈 연습", "title_en": "Norm practice",
        "description_ko": "**놈**을 계산합니다.", "description_en": "Compute *norms*.",
        "max_attempts": "2", "feedback_policy": "after_close", "shuffle_options": "y",
        "published": "y", "closes_at": "2099-01-31T12:00"})
    assert r.status_code == 302
    quiz_id = new_id(r, r"/staff/quizzes/(\d+)$")
    with w.db() as s:
        q = s.get(Quiz, quiz_id)
        assert (q.slug, q.max_attempts, q.feedback_policy, q.published) == (
            "norms", 2, FeedbackPolicy.AFTER_CLOSE, False)
        assert q.closes_at.isoformat() == "2099-01-31T03:00:00+00:00"  # entered in Seoul time
        assert q.description == {"ko": "**놈**을 계산합니다.", "en": "Compute *norms*."}
    # publishing an empty quiz is refused, by the button and by the settings form
    form_post(prof, f"/staff/quizzes/{quiz_id}/publish", {"published": "1"})
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert "문항이 없는 퀴즈는 공개할 수 없습니다." in page
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/edit", {"slug": "norms", "title": "놈 연습",
                                                           "feedback_policy": "after_close", "published": "y"})
    assert r.status_code == 422 and "문항이 없는 퀴즈는 공개할 수 없습니다." in r.get_data(as_text=True)
    with w.db() as s:
        assert s.get(Quiz, quiz_id).published is False
    # items, each followed by its preview
    new_item = prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=numeric")
    assert new_item.status_code == 200 and "l1_norm" in new_item.get_data(as_text=True)
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", item_form("l2-norm", "numeric", NUMERIC_CONFIG))
    assert r.status_code == 302
    numeric_id = new_id(r, r"/staff/items/(\d+)/preview$")
    preview = prof.get(f"/staff/items/{numeric_id}/preview").get_data(as_text=True)
    assert "<math" in preview and "<msqrt>" in preview  # LaTeX rendered server-side (MathML)
    assert "<code>5.38516</code>" in preview  # the key computed by reference/
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  item_form("pick-one", "single_choice", CHOICE_CONFIG,
                            prompt_ko="과적합을 줄이는 것은?", prompt_en="Which reduces overfitting?"))
    assert r.status_code == 302
    choice_id = new_id(r, r"/staff/items/(\d+)/preview$")
    with w.db() as s:
        items = s.scalars(select(Item).where(Item.quiz_id == quiz_id).order_by(Item.position)).all()
        assert [(i.key, i.type_name, i.points, i.position) for i in items] == [
            ("l2-norm", "numeric", 2.0, 0), ("pick-one", "single_choice", 2.0, 1)]
        assert items[0].config["tolerance"] == {"atol": 0.001}
        assert items[1].config["options"][0]["correct"] is True
    # publish, and a student who joins sees it
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/publish", {"published": "1"})
    assert r.status_code == 302
    with w.db() as s:
        assert s.get(Quiz, quiz_id).published is True
    alice = logged_in(app, "alice")
    form_post(alice, "/join", {"code": join_code})
    assert "놈 연습" in alice.get(f"/courses/{course_id}").get_data(as_text=True)
    attempt_id = start_web_attempt(alice, quiz_id)
    page = alice.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'name="item-{numeric_id}"' in page and f'name="item-{choice_id}"' in page
    assert "5.38516" not in page  # no key for the student
    # unpublish hides it from students again
    form_post(prof, f"/staff/quizzes/{quiz_id}/publish", {"published": "0"})
    assert alice.get(f"/quizzes/{quiz_id}").status_code == 404


def test_edit_item_and_quiz(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = w.quiz_id("overfitting-and-norms")
    item = next(i for i in w.items(quiz_id) if i["type"] == "numeric" and not i["params"])
    page = prof.get(f"/staff/items/{item['id']}/edit").get_data(as_text=True)
    assert "compute:" in page and "tolerance:" in page  # the config is shown as YAML
    r = form_post(prof, f"/staff/items/{item['id']}/edit",
                  item_form(item["key"], "numeric", NUMERIC_CONFIG.replace("0.001", "0.05"),
                            prompt_en="Edited: $\\|x\\|_2$ of $x = [2, 3, 4]$"))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/items/{item['id']}/preview")
    with w.db() as s:
        it = s.get(Item, item["id"])
        assert it.config["tolerance"] == {"atol": 0.05}
        assert it.prompt["en"].startswith("Edited:") and it.points == 2.0
    # an invalid edit is shown with its problems and changes nothing
    r = form_post(prof, f"/staff/items/{item['id']}/edit",
                  item_form(item["key"], "numeric", "compute: {fn: l2_norm, args: {x: [1]}}\n"))
    assert r.status_code == 422
    assert "tolerance is missing" in r.get_data(as_text=True)
    with w.db() as s:
        assert s.get(Item, item["id"]).config["tolerance"] == {"atol": 0.05}
    # quiz settings
    page = prof.get(f"/staff/quizzes/{quiz_id}/edit").get_data(as_text=True)
    assert 'value="overfitting-and-norms"' in page
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/edit", {
        "slug": "overfitting-and-norms", "title": "새 제목", "title_en": "New title",
        "max_attempts": "5", "feedback_policy": "immediate", "published": "y"})
    assert r.status_code == 302
    with w.db() as s:
        q = s.get(Quiz, quiz_id)
        assert (q.title, q.title_en, q.max_attempts, q.published, q.shuffle_options) == (
            "새 제목", "New title", 5, True, False)


def test_preview_shows_several_variants(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = w.quiz_id("overfitting-and-norms")
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", item_form(
        "l1-random-x", "numeric", PARAM_CONFIG, prompt_ko="$x = {{x}}$의 L1 놈은?", prompt_en="L1 norm of $x = {{x}}$?"))
    assert r.status_code == 302
    item_id = new_id(r, r"/staff/items/(\d+)/preview$")
    page = prof.get(f"/staff/items/{item_id}/preview?variants=6").get_data(as_text=True)
    params = re.findall(r'<code class="params">([^<]+)</code>', page)
    keys = re.findall(r'<p class="key">[^<]*<code>([^<]+)</code>', page)
    assert len(params) == 6 and len(keys) == 6
    assert len(set(params)) > 1
    import html
    import json

    for p, k in zip(params, keys, strict=True):
        x = json.loads(html.unescape(p))["x"]
        assert float(k) == sum(abs(v) for v in x)
    # the same preview twice shows the same variants
    again = prof.get(f"/staff/items/{item_id}/preview?variants=6").get_data(as_text=True)
    assert re.findall(r'<code class="params">([^<]+)</code>', again) == params


def test_delete_item_and_quiz(w, app):
    prof = logged_in(app, "instructor")
    r = form_post(prof, f"/staff/courses/{w.course_id}/quizzes/new",
                  {"slug": "scratch", "title": "연습", "feedback_policy": "immediate"})
    quiz_id = new_id(r, r"/staff/quizzes/(\d+)$")
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", item_form("n1", "numeric", NUMERIC_CONFIG))
    item_id = new_id(r, r"/staff/items/(\d+)/preview$")
    r = form_post(prof, f"/staff/items/{item_id}/delete")
    assert r.status_code == 302
    with w.db() as s:
        assert s.get(Item, item_id) is None
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/delete")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/courses/{w.course_id}")
    with w.db() as s:
        assert s.get(Quiz, quiz_id) is None


def test_answered_items_and_attempted_quizzes_are_not_deleted(w, app):
    quiz_id = w.quiz_id("dropout")
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    answers = w.answers(quiz_id, "alice")
    form_post(alice, f"/attempts/{attempt_id}", {**form_data(answers), "action": "submit"})
    prof = logged_in(app, "instructor")
    item_id = next(iter(answers))
    form_post(prof, f"/staff/items/{item_id}/delete")
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert "학생 답안 1개가 있는 문항은 삭제할 수 없습니다." in page
    form_post(prof, f"/staff/quizzes/{quiz_id}/delete")
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert "학생 응시 기록이 있는 퀴즈는 삭제할 수 없습니다." in page
    with w.db() as s:
        assert s.get(Item, item_id) is not None and s.get(Quiz, quiz_id) is not None


def test_results_show_every_students_attempts(w, app):
    quiz_id = w.quiz_id("dropout")
    total = sum(i["points"] for i in w.items(quiz_id))
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    a1 = start_web_attempt(alice, quiz_id)
    form_post(alice, f"/attempts/{a1}", {**form_data(w.answers(quiz_id, "alice")), "action": "submit"})
    a2 = start_web_attempt(alice, quiz_id)  # left in progress
    b1 = start_web_attempt(bob, quiz_id)
    form_post(bob, f"/attempts/{b1}", {"action": "submit", "confirmed": "1"})
    for who in ("instructor", "ta"):
        page = logged_in(app, who).get(f"/staff/quizzes/{quiz_id}/results").get_data(as_text=True)
        assert "alice@example.com" in page and "bob@example.com" in page
        assert f'href="/staff/attempts/{a1}">#1 ({total:g}/{total:g})</a>' in page
        assert f'href="/staff/attempts/{a2}">#2 (' in page
        assert f'href="/staff/attempts/{b1}">#1 (0/{total:g})</a>' in page
    detail = logged_in(app, "instructor").get(f"/staff/attempts/{a1}").get_data(as_text=True)
    assert f'<p class="score">{total:g} / {total:g}</p>' in detail
    # the instructor's own API view agrees
    with w.db() as s:
        from quizsvc.models import User
        from quizsvc.services.attempts import quiz_results

        rows = quiz_results(s, s.get(User, w.ids["instructor"]), s.get(Quiz, quiz_id))
        assert {r.user.email: r.best for r in rows} == {"alice@example.com": total, "bob@example.com": 0}


def test_the_editor_never_turns_an_item_into_another_type(w, app):
    """An unknown ?type= used to open a single-choice form, and an item whose stored type is
    gone was shown (and saved) as single choice."""
    prof = logged_in(app, "instructor")
    quiz_id = w.quiz_id("overfitting-and-norms")
    assert prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=essay").status_code == 404
    item = next(i for i in w.items(quiz_id) if i["type"] == "numeric" and not i["params"])
    with w.db() as s:
        s.get(Item, item["id"]).type_name = "essay"
        s.commit()
    page = prof.get(f"/staff/items/{item['id']}/edit")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "unknown type &#39;essay&#39;" in body
    assert '<option selected value="essay">essay</option>' in body
    r = form_post(prof, f"/staff/items/{item['id']}/edit", item_form(item["key"], "essay", NUMERIC_CONFIG))
    assert r.status_code == 422 and "unknown type &#39;essay&#39;" in r.get_data(as_text=True)
    with w.db() as s:
        assert s.get(Item, item["id"]).type_name == "essay"
