"""A programming assignment for its staff: recent submissions, regrading and its progress."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.queue import get_dispatcher
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services.submissions import regrading
from quizsvc.services.submissions import results as submission_results
from quizsvc.web.forms import ActionForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import button


def _staff_assignment(assignment_id: int, *, editor: bool = False) -> tuple[Any, Any]:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    (course_svc.require_editor if editor else course_svc.require_staff)(session, current_user, a.course)
    return session, a


@bp.get("/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id)
    return render_template("staff/assignment.html", assignment=a, form=ActionForm(),
                           submissions=submission_results.recent_submissions(session, a),
                           progress=regrading.progress(session, a),
                           can_edit=course_svc.can_edit(session, current_user, a.course))


@bp.get("/assignments/<int:assignment_id>/progress")
@login_required
def assignment_progress(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id)
    return jsonify(regrading.progress(session, a))


@bp.post("/assignments/<int:assignment_id>/regrade")
@login_required
def regrade(assignment_id: int) -> ResponseReturnValue:
    session, a = _staff_assignment(assignment_id, editor=True)

    def act() -> tuple[str, str | None]:
        n = regrading.regrade(session, current_user, a, get_dispatcher(current_app))
        return _("%(n)s submissions queued for regrading.", n=n), None

    return button(act, back=url_for("staff.assignment", assignment_id=a.id))
