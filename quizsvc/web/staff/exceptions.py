"""Per-student exceptions: one student's own close date, due date and extra tries."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from quizsvc import timezones
from quizsvc.db import get_session
from quizsvc.models import CourseRole
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import exceptions
from quizsvc.services import quizzes as quiz_svc
from quizsvc.web.forms import ExceptionForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import form_page


@bp.route("/courses/<int:course_id>/exceptions", methods=["GET", "POST"])
@login_required
def course_exceptions(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    course_svc.require_staff(session, current_user, c)  # 403, not a flash
    quizzes = quiz_svc.visible_quizzes(session, current_user, c)
    assignments = assignment_svc.visible_assignments(session, current_user, c)
    form = ExceptionForm()
    form.user_id.choices = [SelectChoice(u.id, f"{u.name} <{u.email}>")
                            for u, role in course_svc.members(session, current_user, c) if role == CourseRole.STUDENT]
    form.target.choices = ([SelectChoice(f"q-{q.id}", f"{_('Quiz')}: {q.title}") for q in quizzes]
                           + [SelectChoice(f"a-{a.id}", f"{_('Assignment')}: {a.title}") for a in assignments])
    titles = {f"q-{q.id}": q.title for q in quizzes} | {f"a-{a.id}": a.title for a in assignments}

    def save() -> object:
        return exceptions.set_exception(session, current_user, c, exceptions.ExceptionInput(
            user_id=form.user_id.data or 0, target=form.target.data or "",
            closes_at=timezones.from_local(form.closes_at.data, c.timezone),
            due_at=timezones.from_local(form.due_at.data, c.timezone), extra=form.extra.data or 0,
            extra_minutes=form.extra_minutes.data or 0))

    return form_page(
        form, save, saved=_("Exception saved."),
        then=lambda _e: url_for("staff.course_exceptions", course_id=c.id),
        page=lambda: render_template("staff/exceptions.html", course=c, form=form, titles=titles,
                                     rows=exceptions.of_course(session, current_user, c)))
