"""Log in, log out, register, choose the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from quizsvc.db import get_session
from quizsvc.errors import Conflict, DomainError
from quizsvc.services import accounts, password_resets
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, LoginForm, NewPasswordForm, RegisterForm
from quizsvc.web.throttle import Throttled, throttle, throttled_page

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("student.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("student.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = accounts.normalize_email(form.email.data or "")
        try:
            counted = throttle().take(throttle().login_counters(email))
        except Throttled as exc:
            return throttled_page("auth/login.html", form, exc)
        user = accounts.authenticate(get_session(), email, form.password.data or "")
        if user is not None:
            throttle().give_back(counted)
            login_user(user)
            resp = redirect(_safe_next(request.args.get("next")))
            throttle().remember_device(resp, email)
            return resp
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    form = RegisterForm()
    if form.validate_on_submit():
        # Only refused registrations count: that is how one probes for existing addresses.
        try:
            counted = throttle().take(throttle().register_counters())
        except Throttled as exc:
            return throttled_page("auth/register.html", form, exc)
        try:
            user = accounts.create_user(
                get_session(), form.email.data or "", form.name.data or "", form.password.data or "",
                locale=request.cookies.get("lang", "ko"),
            )
        except Conflict:
            # Without e-mail delivery a registration either succeeds or not; the answer at
            # least does not say that the address has an account (and the attempt counts).
            flash(_("An account could not be created with these details. If you already have "
                    "an account, log in; if you forgot its password, ask your instructor for a "
                    "reset link."), "error")
            return render_template("auth/register.html", form=form), 400
        except DomainError as exc:
            flash_error(exc)
            return render_template("auth/register.html", form=form), exc.status
        throttle().give_back(counted)
        login_user(user)
        flash(_("Welcome! Join a course with the code your instructor gave you."), "info")
        resp = redirect(url_for("student.dashboard"))
        throttle().remember_device(resp, user.email)
        return resp
    return render_template("auth/register.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        # Server-side: the cookie just used (and any copy of it) names a token that is gone.
        # That ends the account's sessions on every device, which on a shared lab machine is
        # the safe side.
        accounts.end_sessions(get_session(), current_user)
        logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """The one-time link an instructor or administrator issued (services.password_resets)."""
    session = get_session()
    password_resets.pending(session, token)  # a spent, expired or unknown link: 422 page
    form = NewPasswordForm()
    if form.validate_on_submit():
        password_resets.use(session, token, form.password.data or "")
        flash(_("Your new password is set and every session of the account has ended. Log in with it."), "info")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status, {"Cache-Control": "no-store"}


@bp.post("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    if code not in ("ko", "en") or not ActionForm().validate_on_submit():
        return redirect(url_for("student.dashboard"))
    if current_user.is_authenticated:
        accounts.set_locale(get_session(), current_user, code)
    resp = make_response(redirect(_safe_next(request.form.get("next"))))
    resp.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp
