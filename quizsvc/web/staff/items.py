"""The item editor: a new item from a type's starter settings (or a preset), editing, deleting,
previewing variants.

Options (choice and ordering items) are edited as rows of fields, not YAML: add, remove and move
buttons submit the form, which comes back with the change and nothing saved, so every step works
without JavaScript and by keyboard (the focus returns to where the step happened). Numeric and
vector items list the reference functions; choosing one fills in its settings template. Texts
are previewed by the server's own renderer: on every page load and, with JavaScript, live
through :func:`render_preview`.
"""

from __future__ import annotations

import string
from typing import Any

import yaml
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from quizsvc.db import get_session
from quizsvc.errors import DomainError, Invalid, not_found
from quizsvc.models import Item, Quiz
from quizsvc.quiz import bank as bank_fmt
from quizsvc.quiz.functions import reference_functions
from quizsvc.quiz.registry import all_types
from quizsvc.rendering import markdown_inline, markdown_to_html
from quizsvc.services import courses as course_svc
from quizsvc.services import item_regrade
from quizsvc.services import quizzes as quiz_svc
from quizsvc.services.attempts import item_view
from quizsvc.text import Text
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, ItemForm
from quizsvc.web.staff import bp

MAX_OPTIONS = 26
MAX_OPTION_TEXT = 5000
MAX_PREVIEW_TEXT = 20000


def option_mode(type_name: str) -> str | None:
    """"choice" (options marked correct), "ordering" (options in their right order) or None."""
    t = all_types().get(type_name)
    if t is None or "options" not in t.starter:
        return None
    return "choice" if any("correct" in o for o in t.starter["options"]) else "ordering"


def _rows_of(options: Any) -> list[dict[str, Any]]:
    rows = []
    for o in options if isinstance(options, list) else []:
        if isinstance(o, dict):
            text = o["text"] if isinstance(o.get("text"), dict) else {}
            rows.append({"id": str(o.get("id", "")), "ko": str(text.get("ko", "")),
                         "en": str(text.get("en", "")), "correct": o.get("correct") is True})
    return rows


def _rows_from_form() -> list[dict[str, Any]]:
    f = request.form
    try:
        count = max(0, min(int(f.get("opt-count", "0")), MAX_OPTIONS))
    except ValueError:
        count = 0
    return [{"id": f.get(f"opt-{i}-id", "").strip()[:64], "ko": f.get(f"opt-{i}-ko", "")[:MAX_OPTION_TEXT],
             "en": f.get(f"opt-{i}-en", "")[:MAX_OPTION_TEXT], "correct": f"opt-{i}-correct" in f}
            for i in range(count)]


def _options_of(rows: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if not (r["id"] or r["ko"].strip() or r["en"].strip() or r["correct"]):
            continue  # a row added and left blank
        option: dict[str, Any] = {"id": r["id"], "text": {"ko": r["ko"], "en": r["en"]}}
        if mode == "choice":
            option["correct"] = r["correct"]
        out.append(option)
    return out


def _new_row_id(rows: list[dict[str, Any]], mode: str) -> str:
    taken = {r["id"] for r in rows}
    if mode == "choice":
        free = [c for c in string.ascii_lowercase if c not in taken]
        if free:
            return free[0]
    n = len(rows) + 1
    while f"step-{n}" in taken:
        n += 1
    return f"step-{n}"


def _apply_row_action(action: str, rows: list[dict[str, Any]], mode: str) -> str:
    """Add, remove or move an option row; returns the id of the field to focus next."""
    verb, _sep, arg = action.partition("-")
    if verb == "add":
        if len(rows) >= MAX_OPTIONS:
            return "add-option"
        rows.append({"id": _new_row_id(rows, mode), "ko": "", "en": "", "correct": False})
        return f"opt-{len(rows) - 1}-ko"
    try:
        i = int(arg)
    except ValueError:
        return ""
    if not 0 <= i < len(rows):
        return ""
    if verb == "remove":
        del rows[i]
        return f"opt-{i - 1}-remove" if i else ("opt-0-remove" if rows else "add-option")
    j = i - 1 if verb == "up" else i + 1 if verb == "down" else -1
    if not 0 <= j < len(rows):
        return f"opt-{i}-{verb}"
    rows[i], rows[j] = rows[j], rows[i]
    return f"opt-{j}-{verb}" if 0 < j < len(rows) - 1 else f"opt-{j}-{'down' if verb == 'up' else 'up'}"


def _item_form(item: Item | None) -> tuple[ItemForm, list[dict[str, Any]]]:
    form = ItemForm()
    types = all_types()
    form.type_name.choices = [SelectChoice(name, f"{t.label.en} / {t.label.ko}")
                              for name, t in types.items()]
    if item is not None and item.type_name not in types:
        # shown as it is (and refused on saving), never silently turned into another type
        form.type_name.choices.append(SelectChoice(item.type_name, item.type_name))
    rows: list[dict[str, Any]] = []
    if request.method == "GET":
        if item is not None:
            form.key.data, form.type_name.data = item.key, item.type_name
            form.section.data, form.points.data = item.section, item.points
            form.prompt_ko.data, form.prompt_en.data = item.prompt.get("ko", ""), item.prompt.get("en", "")
            form.explanation_ko.data = item.explanation.get("ko", "")
            form.explanation_en.data = item.explanation.get("en", "")
            config = dict(item.config)
        else:
            kind = request.args.get("type", next(iter(types)))
            if kind not in types:
                raise not_found(Text(en="Question type", ko="문항 유형"))
            form.type_name.data = kind
            config = types[kind].starter_config(request.args.get("preset", ""))
        if option_mode(form.type_name.data or ""):
            rows = _rows_of(config.pop("options", []))
        form.config.data = bank_fmt.dump_yaml(bank_fmt.canonical(config)) if config else ""
    elif option_mode(form.type_name.data or "") and "opt-count" in request.form:
        rows = _rows_from_form()
    return form, rows


def _item_input(form: ItemForm, rows: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        config = yaml.safe_load(form.config.data or "") or {}
    except yaml.YAMLError as exc:
        raise Invalid(Text(en="The settings are not valid YAML.", ko="설정 YAML을 읽을 수 없습니다."),
                      errors={"config": [str(exc)]}) from None
    if not isinstance(config, dict):
        raise Invalid(Text(en="The settings must be a YAML mapping.", ko="설정은 YAML 매핑이어야 합니다."),
                      errors={"config": ["not a mapping"]})
    mode = option_mode(form.type_name.data or "")
    if mode and "opt-count" in request.form:
        if "options" in config:
            raise Invalid(Text(en="Edit the options in their fields, not in the settings.",
                               ko="선택지는 설정이 아니라 선택지 칸에서 고치세요."),
                          errors={"config": ["options: edit them in the option fields"]})
        config["options"] = _options_of(rows, mode)
    return {
        "key": (form.key.data or "").strip(), "type_name": form.type_name.data,
        "section": form.section.data or "", "points": form.points.data,
        "prompt": {"ko": form.prompt_ko.data or "", "en": form.prompt_en.data or ""},
        "explanation": {"ko": form.explanation_ko.data or "", "en": form.explanation_en.data or ""},
        "config": config,
    }


def _use_function(form: ItemForm, name: str) -> str:
    """Fill the settings with a reference function's template, if it suits the item's type."""
    fn = next((f for f in reference_functions() if f.name == name), None)
    if fn is None or fn.type_name != form.type_name.data:
        flash(_("Choose a reference function from the list."), "error")
        return "function"
    form.config.data = fn.template
    return "config"


def _render_item_form(form: ItemForm, quiz: Quiz, item: Item | None, rows: list[dict[str, Any]],
                      errors: Any, status: int, focus: str = "") -> ResponseReturnValue:
    if not errors and item is not None and item.type_name not in all_types():
        errors = {"type_name": f"unknown type {item.type_name!r}"}
    type_name = form.type_name.data or ""
    templates = {}
    for name, t in all_types().items():
        templates[name] = bank_fmt.dump_yaml(t.starter_config())
        for preset in t.presets:
            templates[f"{name} ({preset})"] = bank_fmt.dump_yaml(t.starter_config(preset))
    previews = {
        name: markdown_to_html(text)
        for name, text in (("prompt_ko", form.prompt_ko.data), ("prompt_en", form.prompt_en.data),
                           ("explanation_ko", form.explanation_ko.data),
                           ("explanation_en", form.explanation_en.data)) if (text or "").strip()
    }
    for i, r in enumerate(rows):
        for lang in ("ko", "en"):
            if r[lang].strip():
                previews[f"opt-{i}-{lang}"] = markdown_inline(r[lang])
    functions = reference_functions() if type_name in ("numeric", "vector") else ()
    return render_template(
        "staff/item_form.html", form=form, quiz=quiz, item=item, errors=errors or {},
        templates=templates, rows=rows, mode=option_mode(type_name), focus=focus,
        previews=previews, functions=functions, max_options=MAX_OPTIONS,
    ), status


def _editor(quiz: Quiz, item: Item | None) -> ResponseReturnValue:
    session = get_session()
    form, rows = _item_form(item)
    if request.method == "GET":
        return _render_item_form(form, quiz, item, rows, None, 200)
    action = request.form.get("action", "save")
    if action != "save":
        # a step of editing (an option row, a function's template, a preview): nothing is saved
        if not form.validate_on_submit() and form.csrf_token.errors:
            return _render_item_form(form, quiz, item, rows, None, 400)
        for f in form:  # a half-written item is no error yet: only the CSRF token counts here
            f.errors = []
        mode = option_mode(form.type_name.data or "")
        if action.startswith(("add", "remove-", "up-", "down-")) and mode:
            focus = _apply_row_action(action, rows, mode)
        elif action == "use-function":
            focus = _use_function(form, request.form.get("function", ""))
        else:
            focus = "preview-button"
        return _render_item_form(form, quiz, item, rows, None, 200, focus)
    if form.validate_on_submit():
        try:
            data = _item_input(form, rows)
            if item is None:
                saved = quiz_svc.create_item(session, current_user, quiz, data)
                flash(_("Item added."), "info")
                return redirect(url_for("staff.preview_item", item_id=saved.id))
            quiz_svc.update_item(session, current_user, item, data)
            flash(_("Item saved."), "info")
            if item_regrade.preview(session, current_user, item).changes:
                # submitted answers would now score differently: show who gains and who loses
                return redirect(url_for("staff.regrade_item", item_id=item.id))
            return redirect(url_for("staff.preview_item", item_id=item.id))
        except DomainError as exc:
            session.rollback()
            flash_error(exc)
            return _render_item_form(form, quiz, item, rows, exc.details.get("errors"), exc.status)
    return _render_item_form(form, quiz, item, rows, None, 400)


@bp.route("/quizzes/<int:quiz_id>/items/new", methods=["GET", "POST"])
@login_required
def new_item(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)
    return _editor(q, None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)
    return _editor(item.quiz, item)


@bp.post("/render-preview")
@login_required
def render_preview() -> ResponseReturnValue:
    """Markdown and math to HTML by the server's renderer, for the editor's live preview (the
    CSRF token comes in the X-CSRFToken header)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return jsonify({"error": "send {\"text\": \"...\"}"}), 400
    text = body["text"]
    if len(text) > MAX_PREVIEW_TEXT:
        return jsonify({"error": f"at most {MAX_PREVIEW_TEXT} characters"}), 413
    html = markdown_inline(text) if body.get("inline") is True else markdown_to_html(text)
    return jsonify({"html": html}), 200, {"Cache-Control": "no-store"}


@bp.post("/items/<int:item_id>/delete")
@login_required
def delete_item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)
    quiz_id = item.quiz_id
    if ActionForm().validate_on_submit():
        try:
            quiz_svc.delete_item(session, current_user, item)
            flash(_("Item deleted."), "info")
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("staff.quiz", quiz_id=quiz_id))


@bp.get("/items/<int:item_id>/preview")
@login_required
def preview_item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    count = request.args.get("variants", default=3, type=int) or 3
    variants = quiz_svc.preview_variants(session, current_user, item, count)
    views = [(v, item_view(item, v)) for v in variants]
    return render_template("staff/item_preview.html", item=item, quiz=item.quiz, views=views,
                           form=ActionForm())
