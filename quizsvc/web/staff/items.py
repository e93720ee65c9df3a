"""The item editor: a new item from a type's starter settings, editing, deleting, previewing
variants."""

from __future__ import annotations

from typing import Any

import yaml
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from quizsvc.db import get_session
from quizsvc.errors import DomainError, Invalid, not_found
from quizsvc.models import Item, Quiz
from quizsvc.quiz import bank as bank_fmt
from quizsvc.quiz.registry import all_types
from quizsvc.services import courses as course_svc
from quizsvc.services import item_regrade
from quizsvc.services import quizzes as quiz_svc
from quizsvc.services.attempts import item_view
from quizsvc.text import Text
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, ItemForm
from quizsvc.web.staff import bp


def _item_form(item: Item | None) -> ItemForm:
    form = ItemForm()
    types = all_types()
    form.type_name.choices = [SelectChoice(name, f"{t.label.en} / {t.label.ko}")
                              for name, t in types.items()]
    if item is not None and item.type_name not in types:
        # shown as it is (and refused on saving), never silently turned into another type
        form.type_name.choices.append(SelectChoice(item.type_name, item.type_name))
    if request.method == "GET":
        if item is not None:
            form.key.data, form.type_name.data = item.key, item.type_name
            form.section.data, form.points.data = item.section, item.points
            form.prompt_ko.data, form.prompt_en.data = item.prompt.get("ko", ""), item.prompt.get("en", "")
            form.explanation_ko.data = item.explanation.get("ko", "")
            form.explanation_en.data = item.explanation.get("en", "")
            form.config.data = bank_fmt.dump_yaml(bank_fmt.canonical(item.config))
        else:
            kind = request.args.get("type", next(iter(types)))
            if kind not in types:
                raise not_found(Text(en="Question type", ko="문항 유형"))
            form.type_name.data = kind
            form.config.data = bank_fmt.dump_yaml(types[kind].starter_config())
    return form


def _item_input(form: ItemForm) -> dict[str, Any]:
    try:
        config = yaml.safe_load(form.config.data or "") or {}
    except yaml.YAMLError as exc:
        raise Invalid(Text(en="The settings are not valid YAML.", ko="설정 YAML을 읽을 수 없습니다."),
                      errors={"config": [str(exc)]}) from None
    if not isinstance(config, dict):
        raise Invalid(Text(en="The settings must be a YAML mapping.", ko="설정은 YAML 매핑이어야 합니다."),
                      errors={"config": ["not a mapping"]})
    return {
        "key": (form.key.data or "").strip(), "type_name": form.type_name.data,
        "section": form.section.data or "", "points": form.points.data,
        "prompt": {"ko": form.prompt_ko.data or "", "en": form.prompt_en.data or ""},
        "explanation": {"ko": form.explanation_ko.data or "", "en": form.explanation_en.data or ""},
        "config": config,
    }


def _render_item_form(form: ItemForm, quiz: Quiz, item: Item | None, errors: Any, status: int) -> ResponseReturnValue:
    if not errors and item is not None and item.type_name not in all_types():
        errors = {"type_name": f"unknown type {item.type_name!r}"}
    return render_template(
        "staff/item_form.html", form=form, quiz=quiz, item=item, errors=errors or {},
        templates={name: bank_fmt.dump_yaml(t.starter_config()) for name, t in all_types().items()},
    ), status


@bp.route("/quizzes/<int:quiz_id>/items/new", methods=["GET", "POST"])
@login_required
def new_item(quiz_id: int) -> ResponseReturnValue:
    session = get_session()
    q = quiz_svc.get_quiz(session, quiz_id)
    course_svc.require_editor(session, current_user, q.course)
    form = _item_form(None)
    if form.validate_on_submit():
        try:
            item = quiz_svc.create_item(session, current_user, q, _item_input(form))
            flash(_("Item added."), "info")
            return redirect(url_for("staff.preview_item", item_id=item.id))
        except DomainError as exc:
            flash_error(exc)
            return _render_item_form(form, q, None, exc.details.get("errors"), exc.status)
    return _render_item_form(form, q, None, None, 400 if request.method == "POST" else 200)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)
    form = _item_form(item)
    if form.validate_on_submit():
        try:
            quiz_svc.update_item(session, current_user, item, _item_input(form))
            flash(_("Item saved."), "info")
            if item_regrade.preview(session, current_user, item).changes:
                # submitted answers would now score differently: show who gains and who loses
                return redirect(url_for("staff.regrade_item", item_id=item.id))
            return redirect(url_for("staff.preview_item", item_id=item.id))
        except DomainError as exc:
            session.rollback()
            flash_error(exc)
            return _render_item_form(form, item.quiz, item, exc.details.get("errors"), exc.status)
    return _render_item_form(form, item.quiz, item, None, 400 if request.method == "POST" else 200)


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
