"""The flows staff pages share: a form that saves through a service, and a button that acts.

Permission checks come first, in the view (a refusal is a 403 page, not a flash); then a
domain error from the service is flashed and the page shown again with its status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, request
from flask_wtf import FlaskForm

from quizsvc.errors import DomainError
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm

T = TypeVar("T")


def form_page(form: FlaskForm, save: Callable[[], T], *, saved: str, then: Callable[[T], str],
              page: Callable[[], str]) -> Any:
    """A valid POST is saved, announced (``saved``) and redirected to ``then(result)``; a refused
    one shows ``page`` again with the error's status; an invalid POST shows it with 400."""
    status = 200
    if form.validate_on_submit():
        try:
            result = save()
        except DomainError as exc:
            flash_error(exc)
            status = exc.status
        else:
            flash(saved, "info")
            return redirect(then(result))
    elif request.method == "POST":
        status = 400
    return page(), status


def button(act: Callable[[], tuple[str, str | None]], *, back: str) -> Any:
    """A button's POST (a CSRF-checked :class:`ActionForm`): ``act`` returns the message to
    flash and where to go (None: ``back``); a domain error is flashed, and back."""
    if ActionForm().validate_on_submit():
        try:
            message, target = act()
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(message, "info")
            return redirect(target or back)
    return redirect(back)
