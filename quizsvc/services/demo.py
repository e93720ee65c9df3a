"""The demo course: shipped bank, one instructor, one student, passwords made on first run."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizsvc.models import Course, CourseRole, User
from quizsvc.services import accounts, bank, courses
from quizsvc.services.assignments import ensure_course_assignments

DEMO_BANK = Path(__file__).resolve().parent.parent / "content" / "bank"
INSTRUCTOR_EMAIL = "instructor@demo.quizsvc.local"
STUDENT_EMAIL = "student@demo.quizsvc.local"
CREDENTIALS_FILE = "demo_credentials.json"


@dataclass
class DemoLogins:
    instructor: tuple[str, str]
    student: tuple[str, str]
    join_code: str
    created: bool


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def ensure_demo(session: Session, instance_path: Path) -> DemoLogins | None:
    """Load the demo course into an empty database; on later runs, re-read the saved logins."""
    cred_path = instance_path / CREDENTIALS_FILE
    has_users = session.scalar(select(func.count()).select_from(User))
    if has_users:
        if not cred_path.exists():
            return None
        saved = json.loads(cred_path.read_text())
        course = session.scalar(select(Course).where(Course.slug == saved["course"]))
        return DemoLogins(tuple(saved["instructor"]), tuple(saved["student"]),
                          course.join_code if course else "", created=False)
    ins_pw, stu_pw = accounts.generate_password(), accounts.generate_password()
    instructor = accounts.create_user(session, INSTRUCTOR_EMAIL, "데모 교수자 (Demo Instructor)", ins_pw,
                                      can_create_courses=True)
    student = accounts.create_user(session, STUDENT_EMAIL, "데모 학생 (Demo Student)", stu_pw)
    course = bank.import_bank(session, instructor, DEMO_BANK)
    ensure_course_assignments(session, course)
    courses.enroll(session, student, course, CourseRole.STUDENT)
    instance_path.mkdir(parents=True, exist_ok=True)
    _write_private(cred_path, json.dumps({
        "instructor": [INSTRUCTOR_EMAIL, ins_pw], "student": [STUDENT_EMAIL, stu_pw], "course": course.slug,
    }))
    return DemoLogins((INSTRUCTOR_EMAIL, ins_pw), (STUDENT_EMAIL, stu_pw), course.join_code, created=True)
