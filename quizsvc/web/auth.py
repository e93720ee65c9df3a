"""Log in, log out, register, choose the language."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from quizsvc.db import get_session
from quizsvc.errors import DomainError
from quizsvc.services import accounts
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, LoginForm, RegisterForm

bp = Blueprint("auth", __name__)

# Failed logins per client address in a sliding window. Per process: it slows guessing down,
# it does not replace a front proxy's limits in a multi-process deployment.
_failures: dict[str, deque[float]] = defaultdict(deque)
WINDOW = 300.0


def _too_many(addr: str) -> bool:
    q = _failures[addr]
    now = time.monotonic()
    while q and now - q[0] > WINDOW:
        q.popleft()
    return len(q) >= current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("student.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("student.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        addr = request.remote_addr or "?"
        if _too_many(addr):
            flash(_("Too many failed logins. Wait a few minutes and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        _failures[addr].append(time.monotonic())
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():  # type: ignore[no-untyped-def]
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                get_session(), form.email.data or "", form.name.data or "", form.password.data or "",
                locale=request.cookies.get("lang", "ko"),
            )
        except DomainError as exc:
            flash_error(exc)
            return render_template("auth/register.html", form=form), exc.status
        login_user(user)
        flash(_("Welcome! Join a course with the code your instructor gave you."), "info")
        return redirect(url_for("student.dashboard"))
    return render_template("auth/register.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    if ActionForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    if code not in ("ko", "en") or not ActionForm().validate_on_submit():
        return redirect(url_for("student.dashboard"))
    if current_user.is_authenticated:
        accounts.set_locale(get_session(), current_user, code)
    resp = make_response(redirect(_safe_next(request.form.get("next"))))
    resp.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp
