"""Setting one quiz answer's or one submission's score by hand, with a comment for the student."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.services import courses as course_svc
from quizsvc.services import overrides
from quizsvc.services.submissions import results as submission_results
from quizsvc.web.forms import OverrideForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import form_page


@bp.route("/responses/<int:response_id>/override", methods=["GET", "POST"])
@login_required
def override_response(response_id: int) -> ResponseReturnValue:
    session = get_session()
    resp = overrides.get_response(session, current_user, response_id)
    form = OverrideForm()
    return form_page(
        form, lambda: overrides.override_response(session, current_user, resp, form.score.data or 0.0,
                                                  form.comment.data or ""),
        saved=_("Score overridden."),
        then=lambda _o: url_for("staff.attempt_detail", attempt_id=resp.attempt_id),
        page=lambda: render_template(
            "staff/override.html", form=form, title=f"{resp.item.key} · {resp.attempt.user.name}",
            current=resp.score, max_score=resp.max_score,
            back=url_for("staff.attempt_detail", attempt_id=resp.attempt_id)))


@bp.route("/submissions/<int:submission_id>/override", methods=["GET", "POST"])
@login_required
def override_submission(submission_id: int) -> ResponseReturnValue:
    session = get_session()
    sub = submission_results.get_submission(session, current_user, submission_id)
    course_svc.require_staff(session, current_user, sub.assignment.course)  # 403, not a flash
    form = OverrideForm()
    back = url_for("assignments.submission", submission_id=sub.id)
    return form_page(
        form, lambda: overrides.override_submission(session, current_user, sub, form.score.data or 0.0,
                                                    form.comment.data or ""),
        saved=_("Score overridden."), then=lambda _o: back,
        page=lambda: render_template(
            "staff/override.html", form=form, title=f"{sub.assignment.title} · {sub.user.name} · #{sub.id}",
            current=sub.score, max_score=sub.max_score, back=back))
