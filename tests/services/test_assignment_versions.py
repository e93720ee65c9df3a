"""Assignment packages as versions in the database: import (new, new version, same package),
refusal of a failing package, the regrade preview on a real case, activation and regrading."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from world import World

from quizsvc.errors import Forbidden, Invalid
from quizsvc.grading import registry
from quizsvc.grading.package import Package, load_dir
from quizsvc.grading.runner import default_runner
from quizsvc.models import (
    Assignment,
    AssignmentVersion,
    Course,
    ScorePolicy,
    Submission,
    SubmissionStatus,
)
from quizsvc.services import assignment_versions as versions_svc
from quizsvc.services.assignments import ensure_course_assignments
from quizsvc.services.submissions import acceptance, claims, regrading

MAX_NORM = Path(__file__).resolve().parent.parent / "packages" / "max_norm"


def mistaken(key: str) -> str:
    """The source of a known mistake of max_norm, made from its base solution as the grader does."""
    entry = next(m for m in tomllib.loads((MAX_NORM / "mistakes.toml").read_text())["mistake"]
                 if m["key"] == key)
    source = (MAX_NORM / "solutions" / entry["base"]).read_text()
    for old, new in entry["patches"]:
        assert source.count(old) == 1
        source = source.replace(old, new)
    return source


def modified_copy(tmp_path: Path, extra_toml: str) -> Package:
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    with (folder / "assignment.toml").open("a") as fh:
        fh.write(extra_toml)
    return load_dir(folder)


def _counts(s: Any) -> tuple[int, int]:
    return (s.scalar(select(func.count()).select_from(Assignment)),
            s.scalar(select(func.count()).select_from(AssignmentVersion)))


def _grade_all(s: Any, ids: list[int]) -> None:
    runner = default_runner()
    for sid in ids:
        assert claims.process(s, sid, runner)


def test_import_new_then_new_version_then_same_package(w: World, tmp_path: Path) -> None:
    package = load_dir(MAX_NORM)
    with w.db() as s:
        prof, course = w.user(s, "instructor"), s.get(Course, w.course_id)
        course.timezone = "America/New_York"
        s.commit()
        a, v, report = versions_svc.import_package(s, prof, course, package, default_runner())
        assert report.ok and report.assignment is not None
        assert (a.slug, a.published, a.grader, a.version_id) == ("max-norm", False, package.version, v.id)
        assert (v.number, v.digest, v.created_by_id) == (1, package.version, prof.id)
        assert v.report["ok"] and {c["name"] for c in v.report["cases"]} >= {"worked_example", "zero_column"}
        # The manifest's defaults, dates in the course's zone
        d = package.manifest.defaults
        assert a.title_en == package.manifest.title.en and a.title == package.manifest.title.ko
        assert (a.late_penalty_per_day, a.max_submissions, a.score_policy) == (
            d.late_penalty_per_day, d.max_submissions, ScorePolicy.BEST)
        local_due = a.due_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
        assert (local_due.hour, local_due.minute) == (23, 59)
        assert (a.closes_at - a.due_at).days == d.close_after_days
        assert versions_svc.package_of(v).version == package.version  # the stored .zip reads back
        assert registry.get(package.version).slug == "max_norm"  # gradable by its digest

        again = versions_svc.import_package(s, prof, course, load_dir(MAX_NORM), default_runner())
        assert (again[0].id, again[1].id) == (a.id, v.id) and _counts(s)[1] == 1  # idempotent

        changed = modified_copy(tmp_path, "\n[cases.random]\npoints = 1\n")
        a2, v2, _ = versions_svc.import_package(s, prof, course, changed, default_runner())
        assert a2.id == a.id and v2.number == 2 and v2.digest == changed.version != package.version
        s.refresh(a2)
        assert (a2.grader, a2.version_id) == (package.version, v.id)  # not active yet
        listed = versions_svc.versions(s, prof, a2)
        assert [x.number for x in listed] == [2, 1]
        assert versions_svc.export(s, prof, a2) == v.package
        assert versions_svc.export(s, prof, a2, v2) == changed.to_zip()


def test_failing_package_is_refused_with_its_problems_and_nothing_stored(w: World, tmp_path: Path) -> None:
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    wrong = folder / "solutions" / "columns_loop.py"
    wrong.write_text(wrong.read_text().replace("return", "return 2 *", 1))
    with w.db() as s:
        before = _counts(s)
        with pytest.raises(Invalid) as caught:
            versions_svc.import_package(s, w.user(s, "instructor"), s.get(Course, w.course_id),
                                        load_dir(folder), default_runner())
        problems = caught.value.details["problems"]
        assert caught.value.status == 422
        assert any(p["file"] == "solutions/columns_loop.py" for p in problems), problems
        assert _counts(s) == before


def test_only_editors_import(w: World) -> None:
    with w.db() as s, pytest.raises(Forbidden):
        versions_svc.import_package(s, w.user(s, "ta"), s.get(Course, w.course_id), load_dir(MAX_NORM),
                                    default_runner())


def test_preview_says_who_gains_and_who_loses_then_activate_regrades(w: World, tmp_path: Path) -> None:
    with w.db() as s:
        prof, course = w.user(s, "instructor"), s.get(Course, w.course_id)
        a, v1, _ = versions_svc.import_package(s, prof, course, load_dir(MAX_NORM), default_runner(),
                                               publish=True)
        alice_sub = acceptance.submit(s, w.user(s, "alice"), a, mistaken("always_rescale"))
        bob_sub = acceptance.submit(s, w.user(s, "bob"), a, (MAX_NORM / "solutions" / "vectorised.py").read_text())
        _grade_all(s, [alice_sub.id, bob_sub.id])
        s.expire_all()
        alice_old, bob_old = s.get(Submission, alice_sub.id), s.get(Submission, bob_sub.id)
        assert bob_old.score == bob_old.max_score and alice_old.score < alice_old.max_score
        assert alice_old.graded_version == bob_old.graded_version == v1.digest
        passed = {c["name"]: c["passed"] for c in alice_old.result["cases"]}
        assert passed["random"] and not passed["all_inside"]  # what the new points act on
        a_id, alice_score, bob_score = a.id, alice_old.score, bob_old.score

        # Version 2: "random" worth 1 point instead of 2, "all_inside" worth 5 instead of 1.
        changed = modified_copy(tmp_path, "\n[cases.random]\npoints = 1\n\n[cases.all_inside]\npoints = 5\n")
        _, v2, _ = versions_svc.import_package(s, prof, course, changed, default_runner())
        s.commit()
        before = [(x.id, x.score, x.status, x.graded_version) for x in s.scalars(select(Submission))]
        impact = versions_svc.regrade_preview(s, prof, s.get(Assignment, a_id), v2, default_runner())
        s.expire_all()
        assert [(x.id, x.score, x.status, x.graded_version) for x in s.scalars(select(Submission))] == before
        by_user = {x.user_id: x for x in impact.students}
        alice, bob = by_user[w.ids["alice"]], by_user[w.ids["bob"]]
        assert (alice.old, alice.change) == (alice_score, -1.0)  # passes "random" (now -1), fails "all_inside"
        assert (bob.old, bob.change) == (bob_score, 3.0)  # -1 on "random", +4 on "all_inside"
        assert bob.new == bob.new_max == bob_score + 3
        assert (impact.gained, impact.lost, impact.unchanged) == (1, 1, 0)
        assert [x.user_id for x in impact.biggest()] == [w.ids["bob"], w.ids["alice"]]
        assert impact.as_dict()["students"][0]["change"] in (-1.0, 3.0)

        queued = versions_svc.activate(s, prof, s.get(Assignment, a_id), v2, None)
        assert queued == 2
        assert regrading.progress(s, s.get(Assignment, a_id))["queued"] == 2
        _grade_all(s, [alice_sub.id, bob_sub.id])
        s.expire_all()
        assignment = s.get(Assignment, a_id)
        assert (assignment.grader, assignment.version_id) == (v2.digest, v2.id)
        for sid, expected in ((alice_sub.id, alice.new), (bob_sub.id, bob.new)):
            sub = s.get(Submission, sid)
            assert (sub.status, sub.score, sub.graded_version) == (SubmissionStatus.GRADED, expected, v2.digest)
        assert versions_svc.stale_submissions(s, assignment) == 0


def test_demo_course_assignments_are_versions(w: World) -> None:
    with w.db() as s:
        course = s.get(Course, w.course_id)
        made = ensure_course_assignments(s, course)
        demo = registry.demo_packages()
        assert {a.slug for a in made} == {slug.replace("_", "-") for slug in demo}
        for a in made:
            package = demo[a.slug.replace("-", "_")]
            assert a.published and a.grader == package.version and a.version is not None
            assert (a.version.number, a.version.digest) == (1, package.version)
            assert a.version.report["cases"] and a.version.report["ok"]
        assert ensure_course_assignments(s, course) == []  # once


def test_an_assignment_from_before_versions_gets_its_package_as_version_1(w: World) -> None:
    with w.db() as s:
        a = Assignment(course_id=w.course_id, slug="bn", grader="batchnorm", title="배치 정규화")
        s.add(a)
        s.commit()
        listed = versions_svc.versions(s, w.user(s, "instructor"), a)
        assert [v.number for v in listed] == [1]
        assert a.grader == listed[0].digest == registry.package("batchnorm").version
        assert a.version_id == listed[0].id


def test_a_new_package_for_an_assignment_from_before_versions_is_version_2(w: World, tmp_path: Path) -> None:
    demo = registry.demo_packages()["layernorm"]
    with w.db() as s:
        s.add(Assignment(course_id=w.course_id, slug="layernorm", grader="layernorm", title="레이어 정규화"))
        s.commit()
        folder = tmp_path / "layernorm"
        shutil.copytree(registry.DEMO_PACKAGES / "layernorm", folder)
        (folder / "statement.en.md").write_text((folder / "statement.en.md").read_text() + "\nRevised.\n")
        a, v, _ = versions_svc.import_package(s, w.user(s, "instructor"), s.get(Course, w.course_id),
                                              load_dir(folder), default_runner())
        assert v.number == 2 and a.grader == demo.version and a.version.number == 1


def test_workers_build_the_databases_versions_before_the_first_job(w: World, app: Any) -> None:
    from quizsvc.db import get_engine
    from quizsvc.grading.package import cache
    from quizsvc.queue import warm_grading

    package = load_dir(MAX_NORM)
    with w.db() as s:
        versions_svc.import_package(s, w.user(s, "instructor"), s.get(Course, w.course_id), package,
                                    default_runner())
        versions_svc.ensure_demo_assignments(s, s.get(Course, w.course_id))  # shipped: built anyway
    assert versions_svc.active_graders(get_engine(app)) == [package.version]
    cache.forget()
    versions_svc._packages.clear()  # as in a new process: the package comes from the database
    warm_grading(None, app)
    assert package.version in cache._memory


def test_preview_keeps_a_score_staff_set_by_hand(w: World, tmp_path: Path) -> None:
    from quizsvc.services import overrides

    with w.db() as s:
        prof, course = w.user(s, "instructor"), s.get(Course, w.course_id)
        a, _, _ = versions_svc.import_package(s, prof, course, load_dir(MAX_NORM), default_runner(), publish=True)
        sub = acceptance.submit(s, w.user(s, "bob"), a, (MAX_NORM / "solutions" / "vectorised.py").read_text())
        _grade_all(s, [sub.id])
        s.expire_all()
        overrides.override_submission(s, prof, s.get(Submission, sub.id), 7.0, "partial credit by hand")
        changed = modified_copy(tmp_path, "\n[cases.random]\npoints = 1\n")
        _, v2, _ = versions_svc.import_package(s, prof, course, changed, default_runner())
        impact = versions_svc.regrade_preview(s, prof, s.get(Assignment, a.id), v2, default_runner())
        [bob] = impact.students
        assert bob.overridden and (bob.old, bob.new, bob.change) == (7.0, 7.0, 0.0)
        assert (impact.gained, impact.lost, impact.unchanged) == (0, 0, 1)
