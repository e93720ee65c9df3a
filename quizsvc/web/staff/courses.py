"""A new course, a course's page (quizzes, assignments, members), a student's reset link."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizsvc import settings as app_settings
from quizsvc import timezones
from quizsvc.db import get_session
from quizsvc.services import accounts, password_resets
from quizsvc.services import assignments as assignment_svc
from quizsvc.services import courses as course_svc
from quizsvc.services import quizzes as quiz_svc
from quizsvc.web.forms import ActionForm, CourseForm, CourseSettingsForm
from quizsvc.web.staff import bp
from quizsvc.web.staff.flow import form_page


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course() -> ResponseReturnValue:
    form = CourseForm()
    return form_page(
        form,
        lambda: course_svc.create_course(get_session(), current_user, form.slug.data or "",
                                         form.title.data or "", form.title_en.data or "",
                                         (form.timezone.data or "").strip()),
        saved=_("Course created. Share the join code with your students."),
        then=lambda course: url_for("staff.course", course_id=course.id),
        page=lambda: render_template("staff/course_form.html", form=form))


@bp.route("/courses/<int:course_id>/settings", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    course_svc.require_editor(session, current_user, c)
    form = CourseSettingsForm()
    if request.method == "GET":
        form.title.data, form.title_en.data, form.timezone.data = c.title, c.title_en, c.timezone
    return form_page(
        form,
        lambda: course_svc.update_course(session, current_user, c, form.title.data or "",
                                         form.title_en.data or "", (form.timezone.data or "").strip()),
        saved=_("Course settings saved."),
        then=lambda course: url_for("staff.course", course_id=course.id),
        page=lambda: render_template("staff/course_settings.html", form=form, course=c,
                                     zones=sorted(timezones.names())))


@bp.get("/courses/<int:course_id>")
@login_required
def course(course_id: int) -> ResponseReturnValue:
    session = get_session()
    c = course_svc.get_course(session, course_id)
    members = course_svc.members(session, current_user, c)
    return render_template(
        "staff/course.html", course=c, quizzes=quiz_svc.visible_quizzes(session, current_user, c),
        assignments=assignment_svc.visible_assignments(session, current_user, c),
        members=members, status_of=quiz_svc.status_of, form=ActionForm(),
        can_edit=course_svc.can_edit(session, current_user, c),
    )


@bp.post("/courses/<int:course_id>/members/<int:user_id>/reset-link")
@login_required
def member_reset_link(course_id: int, user_id: int) -> ResponseReturnValue:
    """A one-time password reset link for a student, shown once to pass on (no e-mail)."""
    session = get_session()
    c = course_svc.get_course(session, course_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.course", course_id=c.id))
    target = accounts.get_user(session, user_id)
    password_resets.require_can_issue(session, current_user, target, c)
    hours = app_settings.current().password_reset_hours
    secret = password_resets.issue(session, target, hours=hours, actor=current_user)
    link = url_for("auth.reset_password", token=secret, _external=True)
    return (render_template("staff/reset_link.html", course=c, user=target, link=link, hours=hours),
            200, {"Cache-Control": "no-store"})
