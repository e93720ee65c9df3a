"""Regrading a quiz item: the preview of who gains and who loses, and the button that applies it."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.services import courses as course_svc
from quizsvc.services import item_regrade
from quizsvc.services import quizzes as quiz_svc
from quizsvc.web.forms import ActionForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import button


@bp.get("/items/<int:item_id>/regrade")
@login_required
def regrade_item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    plan = item_regrade.preview(session, current_user, item)
    return render_template("staff/regrade.html", item=item, quiz=item.quiz, plan=plan, form=ActionForm(),
                           can_edit=course_svc.can_edit(session, current_user, item.quiz.course))


@bp.post("/items/<int:item_id>/regrade")
@login_required
def apply_regrade(item_id: int) -> ResponseReturnValue:
    session = get_session()
    item = quiz_svc.get_item(session, item_id)
    course_svc.require_editor(session, current_user, item.quiz.course)  # 403, not a flash
    quiz_id = item.quiz_id

    def act() -> tuple[str, str | None]:
        record = item_regrade.apply(session, current_user, item)
        if record is None:
            return _("Nothing to regrade: every score is up to date."), None
        return (_("Regraded %(n)s attempts (total change %(change)s).", n=record.attempts_changed,
                  change=f"{record.total_change:+g}"), None)

    return button(act, back=url_for("staff.quiz", quiz_id=quiz_id))
