"""The browser UI: blueprints, login, error pages, template helpers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from quizsvc import timezones
from quizsvc.db import get_session
from quizsvc.errors import DomainError
from quizsvc.models import User
from quizsvc.quiz.registry import all_types, type_of
from quizsvc.rendering import markdown_inline, markdown_to_html
from quizsvc.services import accounts
from quizsvc.text import Text
from quizsvc.web.text_input import refuse_control_characters

_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page explains itself


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    # The cookie names the user's current session token too: logout, a new password and
    # "sign out everywhere" replace it, so a copied cookie ends with them.
    return accounts.user_for_session(get_session(), session_id)


def lang() -> str:
    return str(get_locale() or "ko")


def tr(text: Any) -> str:
    """Pick the reader's language from a Text or a stored {"ko", "en"} mapping, falling back to
    the other language when the reader's is empty."""
    if isinstance(text, Text):
        text = text.as_dict()
    if not isinstance(text, dict):
        return "" if text is None else str(text)
    other = "en" if lang() == "ko" else "ko"
    return str(text.get(lang()) or text.get(other) or "")


def tr_other(text: Any) -> str:
    """The other language's text, shown alongside (Korean UI with English, and back)."""
    if isinstance(text, Text):
        text = text.as_dict()
    if not isinstance(text, dict):
        return ""
    other = "en" if lang() == "ko" else "ko"
    mine = text.get(lang())
    return str(text.get(other) or "") if mine else ""


def flash_error(exc: DomainError) -> None:
    flash(tr(exc.message), "error")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_web(app: Flask) -> None:
    from quizsvc.web import account, assignments, auth, grades, health, staff, student, throttle

    login_manager.init_app(app)
    app.before_request(refuse_control_characters)
    throttle.init_app(app)
    for bp in (auth.bp, student.bp, staff.bp, account.bp, health.bp, assignments.bp, grades.bp):
        app.register_blueprint(bp)

    all_types()  # discover the question types now: two with one name stop the start-up
    app.jinja_env.globals.update(tr=tr, tr_other=tr_other, lang=lang, question_type=type_of)
    app.jinja_env.filters["md"] = markdown_to_html
    app.jinja_env.filters["md_inline"] = markdown_inline
    app.jinja_env.filters["tr"] = tr

    @app.template_filter("status_label")
    def _status_label(status: Any) -> str:
        """A submission's status in the reader's language (the badge's class keeps the value)."""
        labels = {"queued": _("queued"), "running": _("grading"), "graded": _("graded"),
                  "error": _("error")}
        value = getattr(status, "value", status)
        return labels.get(value, value)

    @app.template_filter("hangul")
    def _hangul(value: Any) -> Markup:
        """Korean text on a page in another language carries lang="ko", so that Korean line
        breaking (keep-all) and a Korean voice apply to it."""
        text = escape(value)
        if lang() != "ko" and _HANGUL.search(str(value)):
            return Markup('<span lang="ko">%s</span>') % text
        return text

    @app.template_filter("dt")
    @pass_context
    def _dt(ctx: Context, value: Any) -> str:
        """In the time zone of the page's course (of its ``course``, ``quiz`` or ``assignment``)."""
        if not value:
            return "—"
        course = ctx.get("course") or getattr(ctx.get("quiz"), "course", None) \
            or getattr(ctx.get("assignment"), "course", None)
        if course is None:
            return str(value.strftime("%Y-%m-%d %H:%M UTC"))
        return timezones.show(value, course.timezone)

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> ResponseReturnValue:
        if wants_json():
            from quizsvc.api.errors import error_response

            return error_response(exc)
        return render_template("errors/error.html", status=exc.status, message=tr(exc.message)), exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
        msg = _("The form expired or was sent from elsewhere. Reload the page and try again.")
        return render_template("errors/error.html", status=400, message=msg), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if wants_json():
            from quizsvc.api.errors import http_error_response

            return http_error_response(exc)
        messages = {
            404: _("Page not found."),
            405: _("That action is not allowed here."),
            413: _("The upload is too large."),
        }
        msg = messages.get(exc.code or 500, exc.description or "")
        from quizsvc.api.errors import passed_on_headers

        return (render_template("errors/error.html", status=exc.code, message=msg), exc.code or 500,
                passed_on_headers(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            from quizsvc.api.errors import internal_error_response

            return internal_error_response()
        return render_template("errors/error.html", status=500, message=_("Something went wrong on our side.")), 500
