"""My grades: a student's own scores in a course, with links to each piece of feedback."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from quizsvc.db import get_session
from quizsvc.services import courses as course_svc
from quizsvc.services.grades import student_grades

bp = Blueprint("grades", __name__)


@bp.get("/courses/<int:course_id>/grades")
@login_required
def mine(course_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    course = course_svc.get_course(session, course_id)
    return render_template("student/grades.html", course=course,
                           grades=student_grades(session, current_user, course))
