"""Moving quiz banks (YAML directories) into and out of the database, from the CLI and from the
browser (an uploaded .zip or .yaml, checked and shown to staff before it is applied; a .zip
download)."""

from __future__ import annotations

import io
import json
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizsvc.errors import Forbidden, Invalid
from quizsvc.models import Course, FeedbackPolicy, Item, Quiz, Response, User
from quizsvc.quiz import bank as B
from quizsvc.services import courses as course_svc
from quizsvc.text import Text


class BankProblems(Invalid):
    def __init__(self, problems: list[B.Problem]) -> None:
        super().__init__(Text(en="The quiz bank has problems.", ko="퀴즈 은행에 문제가 있습니다."),
                         errors=[str(p) for p in problems])
        self.problems = problems


def _title(value: dict[str, Any]) -> tuple[str, str]:
    return str(value.get("ko", "")).strip(), str(value.get("en", "")).strip()


def import_bank(
    session: Session, actor: User | None, directory: Path, *, course: Course | None = None
) -> Course:
    """Create or update the course and its quizzes from a bank directory.

    Quizzes and items are matched by slug/key, so importing an edited bank updates in place and
    keeps students' attempts. ``actor`` None means a trusted caller (CLI, demo loader).
    """
    bank, problems = B.check_dir(directory)
    if problems or bank is None:
        raise BankProblems(problems)
    slug = course.slug if course is not None else str(bank.course["slug"])
    if course is None:
        course = session.scalar(select(Course).where(Course.slug == slug))
    title_ko, title_en = _title(bank.course["title"])
    if course is None:
        if actor is not None and not (actor.is_admin or actor.can_create_courses):
            raise Forbidden(Text(en="You may not create courses.", ko="강좌를 만들 권한이 없습니다."))
        course = Course(slug=slug, title=title_ko, title_en=title_en, join_code=course_svc.new_join_code())
        session.add(course)
        session.flush()
        if actor is not None:
            course_svc.enroll(session, actor, course, course_svc.CourseRole.INSTRUCTOR)
    elif actor is not None:
        course_svc.require_editor(session, actor, course)
    course.title, course.title_en = title_ko, title_en
    if bank.course.get("timezone"):
        course.timezone = str(bank.course["timezone"])
    existing = {q.slug: q for q in course.quizzes}
    for bq in bank.quizzes:
        quiz = existing.get(bq.slug) or Quiz(course_id=course.id, slug=bq.slug)
        if quiz.id is None:
            session.add(quiz)
        _apply_bank_quiz(quiz, bq.data)
        session.flush()
        _sync_items(session, quiz, bq.data["items"])
    session.commit()
    # Quizzes and items were added by foreign key, not through the collections: reload those,
    # or course.quizzes (and quiz.items) would still show what was there before the import.
    session.expire(course, ["quizzes"])
    for quiz in course.quizzes:
        session.expire(quiz, ["items"])
    return course


def _apply_bank_quiz(quiz: Quiz, d: dict[str, Any]) -> None:
    quiz.title, quiz.title_en = _title(d["title"])
    quiz.description = dict(d.get("description") or {})
    quiz.position = int(d.get("position", 0))
    quiz.published = bool(d.get("published", False))
    quiz.opens_at = B._parse_dt(d.get("opens_at"))
    quiz.closes_at = B._parse_dt(d.get("closes_at"))
    quiz.max_attempts = d.get("max_attempts")
    quiz.time_limit_minutes = d.get("time_limit_minutes")
    quiz.feedback_policy = FeedbackPolicy(d.get("feedback_policy", "immediate"))
    quiz.shuffle_options = bool(d.get("shuffle_options", True))


def _sync_items(session: Session, quiz: Quiz, items: list[dict[str, Any]]) -> None:
    existing = {i.key: i for i in session.scalars(select(Item).where(Item.quiz_id == quiz.id))}
    for position, data in enumerate(items):
        spec = B.item_spec(data)
        item = existing.pop(spec.key, None) or Item(quiz_id=quiz.id, key=spec.key)
        if item.id is None:
            session.add(item)
        item.position = position
        item.type_name = spec.type_name
        item.section = str(data.get("section", ""))
        item.points = spec.points
        item.prompt = dict(spec.prompt)
        item.explanation = dict(spec.explanation)
        item.config = dict(spec.config)
    # An item dropped from the file goes, unless students answered it: their answers are kept.
    answered = [
        key for key, item in existing.items()
        if session.scalar(select(func.count()).select_from(Response).where(Response.item_id == item.id))
    ]
    if answered:
        session.rollback()
        raise BankProblems([
            B.Problem(f"{quiz.slug}.yaml", key, "students answered this item: keep it in the file")
            for key in answered
        ])
    for item in existing.values():
        session.delete(item)


def export_course(session: Session, actor: User | None, course: Course) -> B.Bank:
    if actor is not None:
        course_svc.require_staff(session, actor, course)
    bank = B.Bank(course={"slug": course.slug, "title": {"ko": course.title, "en": course.title_en},
                          "timezone": course.timezone})
    for quiz in course.quizzes:
        data: dict[str, Any] = {
            "slug": quiz.slug,
            "title": {"ko": quiz.title, "en": quiz.title_en},
        }
        if quiz.description:
            data["description"] = quiz.description
        data["position"] = quiz.position
        data["published"] = quiz.published
        if quiz.opens_at:
            data["opens_at"] = quiz.opens_at.isoformat()
        if quiz.closes_at:
            data["closes_at"] = quiz.closes_at.isoformat()
        if quiz.max_attempts is not None:
            data["max_attempts"] = quiz.max_attempts
        if quiz.time_limit_minutes is not None:
            data["time_limit_minutes"] = quiz.time_limit_minutes
        data["feedback_policy"] = quiz.feedback_policy.value
        data["shuffle_options"] = quiz.shuffle_options
        data["items"] = [
            B.item_to_bank(i.key, i.type_name, i.section, i.points, i.prompt, i.explanation, i.config)
            for i in quiz.items
        ]
        bank.quizzes.append(B.BankQuiz(B.canonical(data), f"{quiz.slug}.yaml"))
    return bank


def export_to_dir(session: Session, actor: User | None, course: Course, directory: Path) -> list[Path]:
    return B.write_dir(export_course(session, actor, course), directory)


def export_zip(session: Session, actor: User | None, course: Course) -> bytes:
    """The course's bank as a .zip of its YAML files (what ``bank export`` writes), at the top."""
    bank = export_course(session, actor, course)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(B.COURSE_FILE, B.dump_yaml(B.canonical(bank.course)))
        for quiz in bank.quizzes:
            zf.writestr(f"{quiz.slug}.yaml", B.dump_yaml(quiz.data))
    return out.getvalue()


# --- uploads from the browser -------------------------------------------------------------------

MAX_FILES = 200
MAX_FILE_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024  # unpacked: a small zip may inflate a thousandfold
UPLOAD_HOURS = 2  # an upload not applied by then is removed
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.ya?ml$")


def _refused(en: str, ko: str) -> Invalid:
    return Invalid(Text(en=en, ko=ko), errors={"file": [en]})


@dataclass
class QuizPlan:
    slug: str
    title: dict[str, str]
    items: int
    new: bool
    dropped: list[str] = field(default_factory=list)  # item keys the import removes


@dataclass
class UploadReport:
    token: str
    problems: list[B.Problem]
    quizzes: list[QuizPlan]
    notes: list[Text]

    @property
    def ok(self) -> bool:
        return not self.problems


def _uploads(root: Path) -> Path:
    folder = root / "bank-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_HOURS * 3600
    for old in folder.iterdir():
        if old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _unpack(filename: str, data: bytes, target: Path) -> None:
    """Write the upload's YAML files into ``target``, flat; refuse what is not a bank."""
    lower = filename.lower()
    if lower.endswith((".yaml", ".yml")):
        if len(data) > MAX_FILE_BYTES:
            raise _refused(f"A YAML file may have at most {MAX_FILE_BYTES // 1024} KiB.",
                           f"YAML 파일은 최대 {MAX_FILE_BYTES // 1024} KiB입니다.")
        stem = re.sub(r"[^A-Za-z0-9._-]", "-", PurePosixPath(filename).stem)[:80].strip(".-") or "quiz"
        (target / f"{stem}.yaml").write_bytes(data)
        return
    if not lower.endswith(".zip"):
        raise _refused("Upload a .zip of YAML files or a single .yaml file.",
                       ".zip(YAML 파일 묶음)이나 .yaml 파일 하나를 올리세요.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refused("The .zip file cannot be read.", ".zip 파일을 읽을 수 없습니다.") from None
    # what a zip made by hand carries besides the bank: a folder around it, macOS and editor files
    members = [i for i in members if not any(part.startswith((".", "__MACOSX")) for part in
                                             PurePosixPath(i.filename).parts)]
    yaml_files = [i for i in members if i.filename.lower().endswith((".yaml", ".yml"))]
    if len(yaml_files) > MAX_FILES:
        raise _refused(f"A bank may have at most {MAX_FILES} files.", f"퀴즈 은행의 파일은 최대 {MAX_FILES}개입니다.")
    folders = {PurePosixPath(i.filename).parent for i in yaml_files}
    if len(folders) > 1:
        raise _refused("Put every YAML file in one folder of the .zip (course.yaml next to the quizzes).",
                       ".zip 안의 YAML 파일을 모두 한 폴더에 두세요 (course.yaml과 퀴즈 파일을 함께).")
    total = 0
    for info in yaml_files:
        name = PurePosixPath(info.filename).name
        if not _NAME.match(name):
            raise _refused(f"{name[:60]!r}: name YAML files with letters, digits, '.', '_' and '-'.",
                           f"{name[:60]!r}: YAML 파일 이름에는 영문자, 숫자, '.', '_', '-'만 쓰세요.")
        if info.file_size > MAX_FILE_BYTES:
            raise _refused(f"{name}: a YAML file may have at most {MAX_FILE_BYTES // 1024} KiB.",
                           f"{name}: YAML 파일은 최대 {MAX_FILE_BYTES // 1024} KiB입니다.")
        try:
            with archive.open(info) as fh:
                content = fh.read(MAX_FILE_BYTES + 1)  # the declared size may lie
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            raise _refused(f"{name}: cannot be unpacked.", f"{name}: 압축을 풀 수 없습니다.") from None
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            raise _refused(f"The bank may have at most {MAX_TOTAL_BYTES // (1024 * 1024)} MiB of YAML.",
                           f"퀴즈 은행의 YAML은 모두 합해 최대 {MAX_TOTAL_BYTES // (1024 * 1024)} MiB입니다.")
        (target / ("course.yaml" if name.lower() in ("course.yaml", "course.yml") else name)).write_bytes(content)
    if not yaml_files:
        raise _refused("The .zip holds no YAML files.", ".zip에 YAML 파일이 없습니다.")


def _plan(session: Session, course: Course, bank: B.Bank) -> tuple[list[QuizPlan], list[B.Problem]]:
    existing = {q.slug: q for q in course.quizzes}
    plans, problems = [], []
    for bq in bank.quizzes:
        quiz = existing.get(bq.slug)
        keys = {str(i.get("key")) for i in bq.data.get("items") or [] if isinstance(i, dict)}
        plan = QuizPlan(bq.slug, dict(bq.data.get("title") or {}), len(bq.data.get("items") or []), quiz is None)
        for item in quiz.items if quiz is not None else []:
            if item.key in keys:
                continue
            plan.dropped.append(item.key)
            if session.scalar(select(func.count()).select_from(Response).where(Response.item_id == item.id)):
                problems.append(B.Problem(bq.file, item.key, "students answered this item: keep it in the file"))
        plans.append(plan)
    return plans, problems


def check_upload(session: Session, actor: User, course: Course, filename: str, data: bytes,
                 root: Path) -> UploadReport:
    """Unpack an uploaded bank next to the instance, check it as ``bank check`` does, and say
    what importing it would do. Nothing in the database changes; :func:`apply_upload` imports
    it by the report's token. A bank without course.yaml (a single quiz file) is for this
    course as it is."""
    course_svc.require_editor(session, actor, course)
    token = secrets.token_urlsafe(18)
    target = _uploads(root) / token
    target.mkdir()
    try:
        _unpack(filename, data, target)
    except Invalid:
        shutil.rmtree(target, ignore_errors=True)
        raise
    notes: list[Text] = []
    course_file = target / B.COURSE_FILE
    if not course_file.exists():
        course_file.write_text(B.dump_yaml({"slug": course.slug, "title": {"ko": course.title, "en": course.title_en}}),
                               encoding="utf-8")
    bank, problems = B.check_dir(target)
    plans: list[QuizPlan] = []
    if bank is not None and not problems:
        other = bank.course.get("slug")
        if other != course.slug:
            notes.append(Text(en=f"course.yaml names the course {other!r}: its quizzes go into this course.",
                              ko=f"course.yaml은 강좌 {other!r}를 가리킵니다. 퀴즈는 이 강좌에 들어갑니다."))
        plans, problems = _plan(session, course, bank)
    (target / ".upload.json").write_text(json.dumps({"user": actor.id, "course": course.id}), encoding="utf-8")
    return UploadReport(token, problems, plans, notes)


def apply_upload(session: Session, actor: User, course: Course, token: str, root: Path) -> Course:
    """Import a checked upload (by its report's token) into the course; the upload is used once."""
    course_svc.require_editor(session, actor, course)
    target = root / "bank-uploads" / token if _TOKEN.match(token) else None
    meta_file = target / ".upload.json" if target is not None else None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file is not None else None
    except (OSError, ValueError):
        meta = None
    if target is None or meta != {"user": actor.id, "course": course.id}:
        raise Invalid(Text(en="That upload is gone or was not yours: upload the bank again.",
                           ko="올린 파일이 없거나 본인이 올린 것이 아닙니다. 다시 올리세요."))
    try:
        return import_bank(session, actor, target, course=course)
    finally:
        shutil.rmtree(target, ignore_errors=True)
