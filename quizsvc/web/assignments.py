"""Programming assignments in the browser: statement, editor or upload, results as they arrive."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc import settings as app_settings
from quizsvc.db import get_session
from quizsvc.errors import DomainError
from quizsvc.grading import registry
from quizsvc.models import SubmissionStatus
from quizsvc.queue import get_dispatcher
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import exceptions, overrides
from quizsvc.services.submissions import acceptance, formatting, results
from quizsvc.web import flash_error
from quizsvc.web.forms import ActionForm

bp = Blueprint("assignments", __name__)


@bp.get("/assignments/<int:assignment_id>")
@login_required
def show(assignment_id: int) -> ResponseReturnValue:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    staff = assignment_svc.require_visible(session, current_user, a)
    subs = results.submissions_of(session, current_user, a)
    kept = results.kept_submission(subs, a.score_policy)
    return render_template(
        "assignments/show.html", assignment=a, suite=registry.get(a.grader), submissions=subs, kept=kept,
        form=ActionForm(), staff=staff, code=request.args.get("code", ""),
        own=None if staff else exceptions.for_assignment(session, a, current_user),
    )


@bp.post("/assignments/<int:assignment_id>/submit")
@login_required
def submit(assignment_id: int) -> ResponseReturnValue:
    session = get_session()
    a = assignment_svc.get_assignment(session, assignment_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("assignments.show", assignment_id=a.id))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(acceptance.MAX_SOURCE_BYTES + 1)
        try:
            source, filename = raw.decode("utf-8"), upload.filename
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text."), "error")
            return redirect(url_for("assignments.show", assignment_id=a.id)), 303
    else:
        source, filename = request.form.get("code", ""), "solution.py"
    try:
        sub = acceptance.submit(
            session, current_user, a, source, filename, via="web", dispatcher=get_dispatcher(current_app),
            limits=acceptance.Limits(app_settings.current().submit_rate_per_min))
    except DomainError as exc:
        flash_error(exc)
        subs = results.submissions_of(session, current_user, a)
        return render_template(
            "assignments/show.html", assignment=a, suite=registry.get(a.grader), submissions=subs,
            kept=results.kept_submission(subs, a.score_policy), form=ActionForm(),
            staff=course_svc.is_staff(session, current_user, a.course), code=source,
        ), exc.status
    return redirect(url_for("assignments.submission", submission_id=sub.id))


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int) -> ResponseReturnValue:
    session = get_session()
    sub = results.get_submission(session, current_user, submission_id)
    staff = course_svc.is_staff(session, current_user, sub.assignment.course)
    return render_template("assignments/submission.html", sub=sub, assignment=sub.assignment,
                           result=formatting.public_result(sub, staff=staff), staff=staff,
                           override=overrides.for_submission(session, sub),
                           done=sub.status in (SubmissionStatus.GRADED, SubmissionStatus.ERROR))


@bp.get("/submissions/<int:submission_id>/status")
@login_required
def status(submission_id: int) -> ResponseReturnValue:
    """Polled by the submission page's script until the grade is in."""
    sub = results.get_submission(get_session(), current_user, submission_id)
    return jsonify({"status": sub.status.value, "score": sub.score, "max_score": sub.max_score})
