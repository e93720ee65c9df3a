"""The user's own settings: password, API tokens for CI and the CLI."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from quizsvc.db import get_session
from quizsvc.errors import DomainError, Unauthorized
from quizsvc.services import accounts
from quizsvc.services import tokens as token_svc
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, ChangePasswordForm, TokenForm
from quizsvc.web.throttle import Throttled, throttle, throttled_page

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    session = get_session()
    form = TokenForm()
    new_secret = None
    status = 200
    if form.validate_on_submit():
        try:
            _token, new_secret = token_svc.create_token(
                session, current_user, form.name.data or "", form.scopes.data or [], form.expires_in_days.data
            )
            flash(_("Token created. Copy it now: it will not be shown again."), "info")
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template(
        "account/tokens.html", form=form, tokens=token_svc.tokens_of(session, current_user),
        new_secret=new_secret, action=ActionForm(),
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    session = get_session()
    if ActionForm().validate_on_submit():
        token_svc.revoke(session, current_user, token_id)
        flash(_("Token revoked."), "info")
    return redirect(url_for("account.tokens"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        # A wrong current password is a guess at it: it counts against the account's limit.
        try:
            counted = throttle().take(throttle().account_counters(user.email))
        except Throttled as exc:
            return throttled_page("account/password.html", form, exc)
        try:
            accounts.change_password(get_session(), user, form.current.data or "", form.password.data or "")
        except DomainError as exc:
            if not isinstance(exc, Unauthorized):
                throttle().give_back(counted)
            flash_error(exc)
            status = exc.status
        else:
            throttle().give_back(counted)
            login_user(user)  # this session continues under the new token; every other one ended
            flash(_("Password changed. Every other session of your account has been signed out."), "info")
            return redirect(url_for("account.password"))
    elif request.method == "POST":
        status = 400
    return render_template("account/password.html", form=form), status
