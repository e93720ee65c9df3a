"""Assignment packages in the database: importing a package as an assignment's version, listing
and exporting versions, previewing what a version would change, activating it.

Every assignment has versions: an import makes one (the package's .zip and the check report it
passed), the demo course makes one per demo package. ``Assignment.grader`` is the digest of the
active version; grading finds the package through :func:`install_loader` (the registry asks the
database for a digest it does not know). Web, API and CLI are thin over this module."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from quizsvc.errors import Conflict, Invalid, not_found
from quizsvc.grading import registry
from quizsvc.grading.engine import grade_source
from quizsvc.grading.package import Package, PackageError, load_zip
from quizsvc.grading.package.cache import assignment_of
from quizsvc.grading.package.check import CheckReport, check_package
from quizsvc.grading.runner import Runner
from quizsvc.models import (
    Assignment,
    AssignmentFeedback,
    AssignmentVersion,
    Course,
    ScoreOverride,
    ScorePolicy,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from quizsvc.services import courses as course_svc
from quizsvc.services.grades import kept_submissions
from quizsvc.services.submissions import regrading
from quizsvc.services.submissions.acceptance import Dispatcher
from quizsvc.services.submissions.claims import late_score
from quizsvc.text import Text
from quizsvc.timezones import zone

log = logging.getLogger(__name__)
MAX_PACKAGE_BYTES = 5 * 1024 * 1024  # an upload larger than this is refused (413) before reading
DUE_LOCAL_TIME = (23, 59)  # a computed due date is at this time of day in the course's zone
PREVIEW_THREADS = min(8, os.cpu_count() or 1)  # submissions graded at once by a regrade preview
POLICIES = {"best": ScorePolicy.BEST, "latest": ScorePolicy.LAST}
NO_FILE = Text(en="Choose a package (.zip) to import.", ko="가져올 패키지(.zip)를 선택하세요.")
TOO_LARGE = Text(en=f"The package is larger than {MAX_PACKAGE_BYTES // 2**20} MiB.",
                 ko=f"패키지가 {MAX_PACKAGE_BYTES // 2**20} MiB보다 큽니다.")


def course_slug(package_slug: str) -> str:
    """An assignment's slug in a course (its URLs) from a package's slug: ``_`` reads as ``-``."""
    return package_slug.replace("_", "-")


def _require_editor(session: Session, actor: User | None, course: Course) -> None:
    if actor is not None:  # None: a trusted caller (the command line, the demo loader)
        course_svc.require_editor(session, actor, course)


def _require_staff(session: Session, actor: User | None, course: Course) -> None:
    if actor is not None:
        course_svc.require_staff(session, actor, course)


# --- grading a version: digest -> package, from the database --------------------------------

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_packages: dict[str, Package] = {}  # content-addressed: the same digest is the same package
_packages_guard = threading.Lock()


def _load_version(digest: str) -> Package | None:
    found = _packages.get(digest)
    if found is not None:
        return found
    for demo in registry.demo_packages().values():  # no database round trip for the shipped ones
        if demo.version == digest:
            return demo
    for engine in _engines_to_ask():
        try:
            with engine.connect() as conn:
                data = conn.execute(select(AssignmentVersion.package).where(
                    AssignmentVersion.digest == digest).limit(1)).scalar()
        except SQLAlchemyError:  # an engine of another app whose database is gone (tests)
            continue
        if data is None:
            continue
        try:
            package = load_zip(data)
        except PackageError:
            log.exception("stored version %s no longer reads", digest[:12])
            return None
        with _packages_guard:
            _packages.setdefault(digest, package)
        return package
    return None


def _engines_to_ask() -> list[Engine]:
    """The database of the app this grade runs in (grading always runs in an app context: a
    request, the in-process pool's threads, a Celery task); outside one, every installed app's.
    Asking only its own keeps other apps' pools (tests make many) from being reopened."""
    from flask import has_app_context

    from quizsvc.db import get_engine

    return [get_engine()] if has_app_context() else list(_engines)


def install_loader(engine: Engine) -> None:
    """Make this database's versions gradable in this process (app creation, workers)."""
    _engines.add(engine)
    registry.register_version_loader(_load_version)


def active_graders(engine: Engine) -> list[str]:
    """The versions a database grades with that are not shipped packages (to build them before
    the first submission; the shipped ones are built anyway)."""
    try:
        with engine.connect() as conn:
            keys = set(conn.execute(select(Assignment.grader).distinct()).scalars())
    except SQLAlchemyError:  # not migrated yet: nothing to warm
        return []
    shipped = {p.version for p in registry.demo_packages().values()} | set(registry.demo_packages())
    return sorted(k for k in keys if k not in shipped)


def package_of(version: AssignmentVersion) -> Package:
    found = _packages.get(version.digest)
    if found is None:
        found = load_zip(version.package)
        with _packages_guard:
            _packages.setdefault(version.digest, found)
    return found


# --- importing -------------------------------------------------------------------------------

def _problems_error(report: CheckReport) -> Invalid:
    return Invalid(Text(en=f"The package has {len(report.problems)} problem(s); nothing was imported.",
                        ko=f"패키지에 문제가 {len(report.problems)}개 있어 가져오지 않았습니다."),
                   problems=[p.as_dict() for p in report.problems], report=report.as_dict())


def package_error(exc: PackageError) -> Invalid:
    """A package that does not even read (no manifest, a bad .zip): the same 422 as a failed check."""
    return Invalid(Text(en=f"The package has {len(exc.problems)} problem(s); nothing was imported.",
                        ko=f"패키지에 문제가 {len(exc.problems)}개 있어 가져오지 않았습니다."),
                   problems=[p.as_dict() for p in exc.problems])


def _due(course: Course, days: int, now: datetime) -> datetime:
    """``days`` from today, at 23:59 in the course's time zone (as UTC)."""
    local = now.astimezone(zone(course.timezone))
    due = (local + timedelta(days=days)).replace(hour=DUE_LOCAL_TIME[0], minute=DUE_LOCAL_TIME[1],
                                                 second=0, microsecond=0)
    return due.astimezone(now.tzinfo)


def _new_assignment(course: Course, package: Package, position: int, *, published: bool) -> Assignment:
    m = package.manifest
    d = m.defaults
    due = _due(course, d.due_in_days, utcnow())
    return Assignment(
        course_id=course.id, slug=course_slug(m.slug), grader=package.version, title=m.title.ko,
        title_en=m.title.en, position=position, published=published, due_at=due,
        closes_at=due + timedelta(days=d.close_after_days), late_penalty_per_day=d.late_penalty_per_day,
        max_submissions=d.max_submissions or None, score_policy=POLICIES[d.score_policy],
        feedback=AssignmentFeedback(d.feedback))


def _store(session: Session, actor_id: int | None, course: Course, package: Package, report: dict[str, Any],
           *, published: bool = False) -> tuple[Assignment, AssignmentVersion, bool]:
    """The version row (and, for a new slug, the assignment, with this version active);
    returns whether a version was made (False: this digest was already there)."""
    assignment = session.scalar(select(Assignment).where(
        Assignment.course_id == course.id, Assignment.slug.in_([course_slug(package.slug), package.slug])))
    created = assignment is None
    if assignment is None:
        last = session.scalar(select(func.max(Assignment.position)).where(Assignment.course_id == course.id))
        assignment = _new_assignment(course, package, (last or 0) + 1, published=published)
        session.add(assignment)
        session.flush()
    else:
        backfill(session, assignment)  # its package from before versions stays version 1
    version, made = _add_version(session, assignment, package, report, actor_id)
    if created:
        assignment.version = version
    return assignment, version, made


def _add_version(session: Session, assignment: Assignment, package: Package, report: dict[str, Any],
                 actor_id: int | None) -> tuple[AssignmentVersion, bool]:
    same = session.scalar(select(AssignmentVersion).where(
        AssignmentVersion.assignment_id == assignment.id, AssignmentVersion.digest == package.version))
    if same is not None:
        return same, False
    number = (session.scalar(select(func.max(AssignmentVersion.number)).where(
        AssignmentVersion.assignment_id == assignment.id)) or 0) + 1
    version = AssignmentVersion(assignment_id=assignment.id, number=number, digest=package.version,
                                package=package.to_zip(), report=report, created_by_id=actor_id)
    session.add(version)
    session.flush()
    return version, True


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:  # the same package imported twice at once: the other one won
        session.rollback()
        raise Conflict(Text(en="This package is being imported by someone else; try again.",
                            ko="다른 사용자가 이 패키지를 가져오는 중입니다. 다시 시도하세요.")) from None


def has_version(session: Session, course: Course, digest: str) -> bool:
    """Does the course already hold this exact package (as a version of any assignment)?"""
    return session.scalar(select(AssignmentVersion.id).join(
        Assignment, Assignment.id == AssignmentVersion.assignment_id).where(
        Assignment.course_id == course.id, AssignmentVersion.digest == digest).limit(1)) is not None


def import_package(session: Session, actor: User | None, course: Course, package: Package, runner: Runner,
                   *, activate_now: bool = False, publish: bool = False,
                   dispatcher: Dispatcher | None = None) -> tuple[Assignment, AssignmentVersion, CheckReport]:
    """Check ``package`` in the sandbox and store it as a version of the course's assignment of
    its slug: a new (unpublished) assignment with this version active, or a new version of an
    existing one, not yet active (``activate_now``: activate it, regrading). The same package
    twice is the same version. A failing check stores nothing (Invalid, with the problems)."""
    _require_editor(session, actor, course)
    report = check_package(package, runner)
    if not report.ok:
        raise _problems_error(report)
    _keep_build(package, report)
    actor_id = actor.id if actor is not None else None
    assignment, version, _ = _store(session, actor_id, course, package, report.as_dict(), published=publish)
    if publish:
        assignment.published = True
    _commit(session)
    if activate_now and assignment.version_id != version.id:
        activate(session, actor, assignment, version, dispatcher)
    return assignment, version, report


def _keep_build(package: Package, report: CheckReport) -> None:
    """The check built this version: keep it (this process, this machine), so the first grade
    does not build it again."""
    from quizsvc.grading.package import cache

    if report.built is not None:
        cache.remember(package, report.built)


def _trusted_report(package: Package, runner: Runner | None) -> dict[str, Any]:
    """The report of a shipped (demo) package: built (cached per version), not checked both
    ways (that costs seconds per package; the demo packages are checked by the test suite)."""
    assignment = assignment_of(package, runner)
    m = package.manifest
    return {"ok": True, "slug": m.slug, "version": package.version, "title": m.title.model_dump(),
            "cases": [{"name": c.name, "points": c.points, "hidden": not c.visible} for c in assignment.cases],
            "problems": [], "checked": [], "trusted": True}


def ensure_demo_assignments(session: Session, course: Course, runner: Runner | None = None) -> list[Assignment]:
    """The demo course's assignments, one published assignment per demo package, each made
    through the import path (a version row each), in the packages' order."""
    made = []
    packages = sorted(registry.demo_packages().values(), key=lambda p: (p.manifest.order, p.slug))
    for package in packages:
        assignment, _, _ = _store(session, None, course, package, _trusted_report(package, runner),
                                  published=True)
        made.append(assignment)
    _commit(session)
    return made


def backfill(session: Session, assignment: Assignment) -> None:
    """An assignment from before versions (its grader a demo slug) gets its package as version 1."""
    if assignment.version_id is not None or registry.VERSION.match(assignment.grader):
        return
    try:
        package = registry.package(assignment.grader)
    except registry.UnknownAssignment:
        return
    version, _ = _add_version(session, assignment, package, _trusted_report(package, None), None)
    assignment.version = version
    assignment.grader = package.version
    _commit(session)


# --- reading ---------------------------------------------------------------------------------

def versions(session: Session, actor: User | None, assignment: Assignment) -> list[AssignmentVersion]:
    """The assignment's versions, newest first (staff)."""
    _require_staff(session, actor, assignment.course)
    backfill(session, assignment)
    return list(session.scalars(select(AssignmentVersion).where(
        AssignmentVersion.assignment_id == assignment.id).order_by(AssignmentVersion.number.desc())))


def get_version(session: Session, actor: User | None, assignment: Assignment, number: int) -> AssignmentVersion:
    _require_staff(session, actor, assignment.course)
    backfill(session, assignment)
    found = session.scalar(select(AssignmentVersion).where(
        AssignmentVersion.assignment_id == assignment.id, AssignmentVersion.number == number)
    ) if 0 < number < 2**31 else None
    if found is None:
        raise not_found(Text(en="Version", ko="버전"))
    return found


def export(session: Session, actor: User | None, assignment: Assignment, version: AssignmentVersion | None = None) -> bytes:
    """The .zip of a version (default: the active one), as it was imported."""
    _require_staff(session, actor, assignment.course)
    backfill(session, assignment)
    chosen = version or assignment.version
    if chosen is None:
        raise not_found(Text(en="Version", ko="버전"))
    return chosen.package


# --- what a version would change, and activating it -----------------------------------------

@dataclass(frozen=True)
class StudentImpact:
    user_id: int
    name: str
    email: str
    submission_id: int
    old: float
    new: float
    old_max: float
    new_max: float
    overridden: bool = False  # staff set this score by hand: a regrade keeps it

    @property
    def change(self) -> float:
        return round(self.new - self.old, 6)

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "email": self.email,
                "submission_id": self.submission_id, "old": self.old, "new": self.new,
                "old_max": self.old_max, "new_max": self.new_max, "change": self.change,
                "overridden": self.overridden}


@dataclass
class Impact:
    version: int
    digest: str
    students: list[StudentImpact] = field(default_factory=list)

    @property
    def gained(self) -> int:
        return sum(1 for s in self.students if s.change > 0)

    @property
    def lost(self) -> int:
        return sum(1 for s in self.students if s.change < 0)

    @property
    def unchanged(self) -> int:
        return sum(1 for s in self.students if s.change == 0)

    def biggest(self, n: int = 5) -> list[StudentImpact]:
        changed = [s for s in self.students if s.change != 0]
        return sorted(changed, key=lambda s: (-abs(s.change), s.user_id))[:n]

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "digest": self.digest, "gained": self.gained, "lost": self.lost,
                "unchanged": self.unchanged, "students": [s.as_dict() for s in self.students],
                "biggest": [s.as_dict() for s in self.biggest()]}


def regrade_preview(session: Session, actor: User | None, assignment: Assignment, version: AssignmentVersion,
                    runner: Runner) -> Impact:
    """Each student's counted submission (under the score policy) graded with ``version``,
    nothing stored: who would gain, who would lose, and by how much (late penalties as
    stored; a score staff set by hand stays)."""
    _require_editor(session, actor, assignment.course)
    candidate = assignment_of(package_of(version), runner)
    kept, _ = kept_submissions(session, [assignment])
    overridden = set(session.scalars(select(ScoreOverride.submission_id).where(
        ScoreOverride.submission_id.in_([s.id for s in kept.values()]))))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([k[0] for k in kept])))}
    rows = sorted(kept.items())
    todo = {sub.id: (sub.source, sub.filename) for _, sub in rows if sub.id not in overridden}

    def grade(item: tuple[int, tuple[str, str]]) -> tuple[int, float, float]:
        sid, (source, filename) = item
        result = grade_source(candidate, source, filename=filename, runner=runner)
        return sid, float(result.score), float(result.max_score)

    # The sandbox pool grades several at once (as the grading threads do).
    with ThreadPoolExecutor(max_workers=PREVIEW_THREADS) as pool:
        graded = {sid: (score, top) for sid, score, top in pool.map(grade, todo.items())}
    impact = Impact(version.number, version.digest)
    for (user_id, _), sub in rows:
        old, old_max = float(sub.score or 0.0), float(sub.max_score or 0.0)
        if sub.id in graded:
            raw, new_max = graded[sub.id]
            new = late_score(raw, assignment.late_penalty_per_day, sub.late_days)
        else:  # staff set this score by hand: a regrade keeps it
            new, new_max = old, old_max
        user = users[user_id]
        impact.students.append(StudentImpact(user_id, user.name, user.email, sub.id, old, new, old_max,
                                             new_max, sub.id in overridden))
    return impact


def activate(session: Session, actor: User | None, assignment: Assignment, version: AssignmentVersion,
             dispatcher: Dispatcher | None) -> int:
    """Grade with ``version`` from now on, and queue every finished submission for a regrade
    (``regrading.progress`` follows it). Returns how many were queued."""
    _require_editor(session, actor, assignment.course)
    if version.assignment_id != assignment.id:
        raise not_found(Text(en="Version", ko="버전"))
    assignment.grader = version.digest
    assignment.version = version
    session.commit()
    return regrading.regrade(session, actor, assignment, dispatcher)


def stale_submissions(session: Session, assignment: Assignment) -> int:
    """Graded submissions whose grade is not from the active version."""
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.assignment_id == assignment.id, Submission.status == SubmissionStatus.GRADED,
        (Submission.graded_version.is_(None)) | (Submission.graded_version != assignment.grader))) or 0


# --- lookups and the shapes web, API and CLI show -------------------------------------------

def assignment_in(session: Session, course: Course, slug: str) -> Assignment:
    """A course's assignment by its slug (a package's slug, with ``_``, also finds it)."""
    found = session.scalar(select(Assignment).where(
        Assignment.course_id == course.id, Assignment.slug.in_([slug, course_slug(slug)]))
    ) if "\x00" not in slug else None
    if found is None:
        raise not_found(Text(en="Assignment", ko="과제"))
    return found


def version_dict(version: AssignmentVersion, active_id: int | None) -> dict[str, Any]:
    return {"number": version.number, "digest": version.digest, "active": version.id == active_id,
            "created_at": version.created_at.isoformat(),
            "created_by": version.created_by.email if version.created_by else None,
            "ok": bool(version.report.get("ok", True)), "bytes": len(version.package)}


def assignment_dict(assignment: Assignment) -> dict[str, Any]:
    return {"id": assignment.id, "slug": assignment.slug, "title": assignment.title,
            "title_en": assignment.title_en, "published": assignment.published,
            "grader": assignment.grader,
            "version": assignment.version.number if assignment.version else None}
