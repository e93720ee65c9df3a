"""The item editor (issue 16, Authoring): fixed-answer numeric items end to end, the reference
functions listed with their templates and their arguments checked, options edited as fields
(add, remove, reorder, mark correct) without JavaScript, and the JSON preview of Markdown and
math."""

from __future__ import annotations

import re

from helpers import csrf_token
from sqlalchemy import select
from world import Api, form_post, logged_in, make_token

from quizsvc.models import Item, Quiz


def base_form(key: str, type_name: str, config: str = "", **extra: str) -> dict[str, str]:
    return {"key": key, "type_name": type_name, "section": "", "points": "1",
            "prompt_ko": "문제", "prompt_en": "Question", "explanation_ko": "", "explanation_en": "",
            "config": config, **extra}


def draft_quiz(w) -> int:
    quiz_id = w.quiz_id("overfitting-and-norms")
    return quiz_id


def test_a_fixed_answer_item_is_written_in_the_editor_answered_through_the_api_and_exported(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = draft_quiz(w)
    page = prof.get(f"/staff/quizzes/{quiz_id}").get_data(as_text=True)
    assert f"/staff/quizzes/{quiz_id}/items/new?type=numeric&amp;preset=fixed" in page
    new = prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=numeric&preset=fixed").get_data(as_text=True)
    assert "answer: 0.5" in new and "compute:" not in new.split('id="config"')[1].split("</textarea>")[0]
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  base_form("fixed-lr", "numeric", "answer: 0.003\ntolerance: {rtol: 0.01}\n",
                            prompt_en="The learning rate the paper used?"))
    assert r.status_code == 302, r.get_data(as_text=True)
    item_id = int(re.search(r"/staff/items/(\d+)/preview", r.headers["Location"]).group(1))
    assert "<code>0.003</code>" in prof.get(f"/staff/items/{item_id}/preview").get_data(as_text=True)
    with w.db() as s:
        assert s.get(Item, item_id).config == {"answer": 0.003, "tolerance": {"rtol": 0.01}}
    # a student answers it through the API: graded against the typed key
    alice = Api(app, make_token(w, "alice"))
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    result = alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(item_id): "3e-3"}}).get_json()
    assert result["feedback_visible"] is True
    fb = next(f for f in result["items"] if f["item_id"] == item_id)
    assert fb["correct"] is True and fb["score"] == 1.0
    # and the bank export keeps it as typed
    from quizsvc.services import bank as bank_svc

    with w.db() as s:
        exported = bank_svc.export_course(s, None, s.get(Quiz, quiz_id).course)
    item = next(i for q in exported.quizzes for i in q.data["items"] if i["key"] == "fixed-lr")
    assert item["answer"] == 0.003 and "compute" not in item


def test_the_editor_lists_the_reference_functions_and_fills_in_a_template(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = draft_quiz(w)
    page = prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=numeric").get_data(as_text=True)
    assert 'id="fn-weight_decay_factor"' in page and "lr, lam, m" in page
    assert "L2가 매 단계 W에 곱하는 인자" in page  # Korean by default
    options = re.findall(r'<option value="([a-z0-9_]+)">', page.split('id="function"')[1].split("</select>")[0])
    assert "l2_norm" in options and "batch_normalize" not in options  # a vector: not for a numeric item
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  base_form("wd", "numeric", "tolerance: {rtol: 0.5}\n", action="use-function",
                            function="weight_decay_factor"))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    box = page.split('id="config"')[1].split("</textarea>")[0]
    assert "fn: weight_decay_factor" in box and "lr: 0.1" in box
    tag = re.search(r'<textarea[^>]*id="config"[^>]*>', page)
    assert tag and " autofocus" in tag.group(0)  # the focus goes to what changed
    with w.db() as s:
        assert s.scalar(select(Item).where(Item.key == "wd")) is None  # nothing saved
    # an argument the function does not take is named, with what it takes
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", base_form(
        "wd", "numeric", "compute: {fn: weight_decay_factor, args: {lr: 0.1, lambda: 0.5, m: 10}}\n"
        "tolerance: {rtol: 0.01}\n"))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "weight_decay_factor has no argument &#39;lambda&#39; (it takes lr, lam, m)" in text
    assert "weight_decay_factor needs argument lam" in text
    # a function that does not fit the type is refused
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  base_form("wd", "numeric", "", action="use-function", function="batch_normalize"))
    assert r.status_code == 200 and 'flash-error' in r.get_data(as_text=True)


def _rows(page: str) -> list[tuple[str, str, str, bool]]:
    out = []
    for i in range(int(re.search(r'name="opt-count" value="(\d+)"', page).group(1))):
        ident = re.search(rf'name="opt-{i}-id" value="([^"]*)"', page).group(1)
        ko = re.search(rf'name="opt-{i}-ko"[^>]*>([^<]*)</textarea>', page).group(1)
        en = re.search(rf'name="opt-{i}-en"[^>]*>([^<]*)</textarea>', page).group(1)
        out.append((ident, ko, en, bool(re.search(rf'name="opt-{i}-correct" value="y" checked', page))))
    return out


def _post_rows(rows, **extra) -> dict[str, str]:
    data = {"opt-count": str(len(rows))}
    for i, (ident, ko, en, correct) in enumerate(rows):
        data.update({f"opt-{i}-id": ident, f"opt-{i}-ko": ko, f"opt-{i}-en": en})
        if correct:
            data[f"opt-{i}-correct"] = "y"
    return {**data, **extra}


def test_options_are_added_moved_removed_and_marked_in_fields_without_javascript(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = draft_quiz(w)
    url = f"/staff/quizzes/{quiz_id}/items/new"
    page = prof.get(url + "?type=multi_select").get_data(as_text=True)
    assert _rows(page) == [("a", "", "", True), ("b", "", "", False)]
    assert "options:" not in page.split('id="config"')[1].split("</textarea>")[0]  # fields, not YAML
    rows = [("a", "드롭아웃", "Dropout", True), ("b", "$L_2$ 규제", "$L_2$ penalty", True)]
    form = base_form("regularisers", "multi_select", "scoring: partial\n")
    r = form_post(prof, url, {**form, **_post_rows(rows, action="add")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and _rows(page)[-1] == ("c", "", "", False)
    assert re.search(r'id="opt-2-ko"[^>]*autofocus', page)  # the new row's text is next
    assert "<math" in page.split('id="preview-opt-1-en"')[1].split("</div>")[0]  # previews rendered
    rows = [*rows, ("c", "학습률 증가", "A larger learning rate", False)]
    r = form_post(prof, url, {**form, **_post_rows(rows, action="up-2")})
    page = r.get_data(as_text=True)
    assert [row[0] for row in _rows(page)] == ["a", "c", "b"]
    assert re.search(r'id="opt-1-up"[^>]*autofocus', page)  # the focus follows the moved option
    moved = _rows(page)
    r = form_post(prof, url, {**form, **_post_rows(moved, action="remove-0")})
    assert [row[0] for row in _rows(r.get_data(as_text=True))] == ["c", "b"]
    r = form_post(prof, url, {**form, **_post_rows(moved, action="save")})
    assert r.status_code == 302, r.get_data(as_text=True)
    with w.db() as s:
        item = s.scalar(select(Item).where(Item.key == "regularisers"))
        assert item.config == {"scoring": "partial", "options": [
            {"id": "a", "text": {"ko": "드롭아웃", "en": "Dropout"}, "correct": True},
            {"id": "c", "text": {"ko": "학습률 증가", "en": "A larger learning rate"}, "correct": False},
            {"id": "b", "text": {"ko": "$L_2$ 규제", "en": "$L_2$ penalty"}, "correct": True}]}
        item_id = item.id
    # editing shows them as rows again; a problem with an option is named
    page = prof.get(f"/staff/items/{item_id}/edit").get_data(as_text=True)
    assert [row[0] for row in _rows(page)] == ["a", "c", "b"]
    bad = [(ident, ko, "" if ident == "c" else en, c) for ident, ko, en, c in _rows(page)]
    r = form_post(prof, f"/staff/items/{item_id}/edit", {**form, **_post_rows(bad, action="save")})
    assert r.status_code == 422 and "option c: needs text in ko and en" in r.get_data(as_text=True)
    # options written in the settings as well as in the fields are refused, not merged
    r = form_post(prof, f"/staff/items/{item_id}/edit",
                  {**form, "config": "options: []\n", **_post_rows(moved, action="save")})
    assert r.status_code == 422 and "edit them in the option fields" in r.get_data(as_text=True)


def test_ordering_items_list_their_steps_in_order_without_a_correct_mark(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = draft_quiz(w)
    page = prof.get(f"/staff/quizzes/{quiz_id}/items/new?type=ordering").get_data(as_text=True)
    assert len(_rows(page)) == 3 and "opt-0-correct" not in page
    steps = [("fwd", "순전파", "Forward pass", False), ("loss", "손실 계산", "Compute the loss", False),
             ("bwd", "역전파", "Backward pass", False)]
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  {**base_form("steps", "ordering", "scoring: pairs\n"), **_post_rows(steps)})
    assert r.status_code == 302, r.get_data(as_text=True)
    with w.db() as s:
        options = s.scalar(select(Item).where(Item.key == "steps")).config["options"]
    assert [o["id"] for o in options] == ["fwd", "loss", "bwd"] and "correct" not in options[0]


def test_the_preview_endpoint_renders_markdown_and_math_and_checks_its_input(w, app):
    prof = logged_in(app, "instructor")
    token = csrf_token(prof, "/account/tokens")
    r = prof.post("/staff/render-preview", json={"text": "**굵게** $\\sqrt{x}$ <script>x</script>"},
                  headers={"X-CSRFToken": token})
    assert r.status_code == 200
    html = r.get_json()["html"]
    assert "<strong>굵게</strong>" in html and "<msqrt>" in html and "<script" not in html
    inline = prof.post("/staff/render-preview", json={"text": "*a*", "inline": True},
                       headers={"X-CSRFToken": token}).get_json()["html"]
    assert inline == "<em>a</em>"
    assert prof.post("/staff/render-preview", json={"text": "x"}).status_code == 400  # no CSRF token
    assert prof.post("/staff/render-preview", json={"txt": 1}, headers={"X-CSRFToken": token}).status_code == 400
    assert prof.post("/staff/render-preview", data="[", content_type="application/json",
                     headers={"X-CSRFToken": token}).status_code == 400
    too_long = prof.post("/staff/render-preview", json={"text": "x" * 20001}, headers={"X-CSRFToken": token})
    assert too_long.status_code == 413
    anonymous = app.test_client()
    assert anonymous.post("/staff/render-preview", json={"text": "x"}).status_code in (302, 400, 401)


def test_fixing_a_typed_key_after_students_answered_leads_to_the_regrade(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = draft_quiz(w)
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new",
                  base_form("typed", "numeric", "answer: 0.4\ntolerance: {atol: 0.001}\n"))
    item_id = int(re.search(r"/staff/items/(\d+)/preview", r.headers["Location"]).group(1))
    alice = Api(app, make_token(w, "alice"))
    attempt = alice("POST", f"/quizzes/{quiz_id}/attempts").get_json()
    result = alice("POST", f"/attempts/{attempt['id']}/submit", {"answers": {str(item_id): "0.5"}}).get_json()
    assert next(f for f in result["items"] if f["item_id"] == item_id)["correct"] is False
    r = form_post(prof, f"/staff/items/{item_id}/edit",
                  base_form("typed", "numeric", "answer: 0.5\ntolerance: {atol: 0.001}\n"),
                  token_from=f"/staff/items/{item_id}/edit")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/items/{item_id}/regrade")
