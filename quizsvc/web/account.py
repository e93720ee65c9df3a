"""The user's own settings: API tokens for CI and the CLI."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.errors import DomainError
from quizsvc.services import tokens as token_svc
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm, TokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
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
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    if ActionForm().validate_on_submit():
        token_svc.revoke(session, current_user, token_id)
        flash(_("Token revoked."), "info")
    return redirect(url_for("account.tokens"))
