"""``quizsvc assignment import/export``: a package into a course and back out, exit codes."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import make_user
from sqlalchemy import select

import quizsvc.app
from quizsvc.cli import main as cli
from quizsvc.db import get_engine, get_session
from quizsvc.grading.package import load_dir, load_zip
from quizsvc.models import Assignment, AssignmentVersion
from quizsvc.services import courses

MAX_NORM = Path(__file__).resolve().parent.parent / "packages" / "max_norm"


@pytest.fixture
def run(app, database_url, tmp_path, monkeypatch):
    created = []
    original = quizsvc.app.create_app

    def create_app(overrides=None, instance_path=None):
        cli_app = original({**(overrides or {}), "DATABASE_URL": database_url, "SECRET_KEY": "cli-test",
                            "PASSWORD_HASH_FAST": True}, instance_path=str(tmp_path / "cli-instance"))
        created.append(cli_app)
        return cli_app

    monkeypatch.setattr(quizsvc.app, "create_app", create_app)
    with app.app_context():
        s = get_session()
        courses.create_course(s, make_user(s, "prof@example.com", instructor=True), "c1", "강좌")
    yield lambda *args: CliRunner().invoke(cli, list(args))
    for a in created:
        get_engine(a).dispose()


def test_import_folder_then_zip_then_export(run, app, tmp_path):
    r = run("assignment", "import", str(MAX_NORM), "--course", "c1")
    assert r.exit_code == 0, r.output
    assert "assignment max-norm, version 1" in r.output and "(active" not in r.output
    package = load_dir(MAX_NORM)
    zipped = tmp_path / "max_norm.zip"
    zipped.write_bytes(package.to_zip())
    r = run("assignment", "import", str(zipped), "--course", "c1", "--json", "--publish")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["version"]["number"] == 1 and out["version"]["digest"] == package.version  # same package
    assert out["assignment"]["published"] and out["report"]["ok"]
    with app.app_context():
        assert get_session().scalar(select(Assignment.grader).where(Assignment.slug == "max-norm")) == package.version
    target = tmp_path / "out.zip"
    r = run("assignment", "export", "max_norm", "--course", "c1", "-o", str(target))
    assert r.exit_code == 0, r.output
    assert load_zip(target.read_bytes()).version == package.version
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as z:
        assert any(n.endswith("assignment.toml") for n in z.namelist())


def test_new_version_with_activate(run, app, tmp_path):
    assert run("assignment", "import", str(MAX_NORM), "--course", "c1").exit_code == 0
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    with (folder / "assignment.toml").open("a") as fh:
        fh.write("\n[cases.random]\npoints = 3\n")
    r = run("assignment", "import", str(folder), "--course", "c1", "--activate")
    assert r.exit_code == 0, r.output
    assert "version 2" in r.output and "active" in r.output and "0 submission(s) queued" in r.output
    with app.app_context():
        s = get_session()
        a = s.scalar(select(Assignment).where(Assignment.slug == "max-norm"))
        assert a.grader == load_dir(folder).version and a.version.number == 2


def test_failing_package_exits_1_with_file_where_messages(run, app, tmp_path):
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    text = (folder / "mistakes.toml").read_text()
    (folder / "mistakes.toml").write_text(text.replace('base = "vectorised.py"', 'base = "nowhere.py"', 1))
    r = run("assignment", "import", str(folder), "--course", "c1")
    assert r.exit_code == 1
    assert "mistakes.toml:row_norms: solutions/nowhere.py does not exist" in r.stderr
    wrong = folder / "solutions" / "columns_loop.py"
    (folder / "mistakes.toml").write_text(text)
    wrong.write_text(wrong.read_text().replace("return", "return 2 *", 1))
    r = run("assignment", "import", str(folder), "--course", "c1", "--json")
    assert r.exit_code == 1
    assert any(p["file"] == "solutions/columns_loop.py" for p in json.loads(r.stdout)["problems"])
    assert "solutions/columns_loop.py: expected full marks" in r.stderr
    with app.app_context():
        assert get_session().scalars(select(AssignmentVersion)).all() == []


def test_usage_errors_exit_2(run, tmp_path):
    assert run("assignment", "import", str(MAX_NORM)).exit_code == 2  # no --course
    assert run("assignment", "import", str(MAX_NORM), "--course", "nope").exit_code == 2
    assert run("assignment", "import", str(tmp_path / "missing.zip"), "--course", "c1").exit_code == 2
    assert run("assignment", "export", "max-norm").exit_code == 2
