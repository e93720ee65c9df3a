"""``quizsvc assignment check`` (an author's CI step) and ``quizsvc selfcheck --database``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

import quizsvc.app
from quizsvc.cli import main as cli
from quizsvc.db import get_engine, get_session
from quizsvc.models import Assignment

MAX_NORM = Path(__file__).resolve().parents[1] / "packages" / "max_norm"


def test_check_of_a_good_package_exits_0_and_lists_what_it_judged() -> None:
    result = CliRunner().invoke(cli, ["assignment", "check", str(MAX_NORM)])
    assert result.exit_code == 0, result.output
    assert "max_norm (Max-norm constraints), version " in result.output
    assert "ok max_norm/mistake:always_rescale 8/11 diagnosed as always_rescale" in " ".join(
        result.output.split())
    assert "ok: 7 cases (4 hidden), 13 submissions judged right" in result.output


def test_check_json_and_korean(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["assignment", "check", str(MAX_NORM), "--json", "--no-pairs"])
    report = json.loads(result.output)
    assert report["ok"] and report["slug"] == "max_norm" and len(report["version"]) == 64
    assert {c["name"]: c["hidden"] for c in report["cases"]}["zero_column"] is True
    assert [r["kind"] for r in report["checked"]].count("pair") == 0
    korean = CliRunner().invoke(cli, ["assignment", "check", str(MAX_NORM), "--language", "ko",
                                      "--no-pairs"])
    assert "최대 노름 제약" in korean.output


def test_check_of_a_broken_package_exits_1_with_file_and_case(tmp_path: Path) -> None:
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    (folder / "solutions" / "vectorised.py").write_text(
        (folder / "solutions" / "vectorised.py").read_text().replace("norms > c", "norms >= c"))
    mistakes = (folder / "mistakes.toml").read_text()
    (folder / "mistakes.toml").write_text(mistakes.replace(
        'np.where(norms > c, c / np.where(norms > 0, norms, 1.0), 1.0)', 'no such code'))
    result = CliRunner().invoke(cli, ["assignment", "check", str(folder)])
    assert result.exit_code == 1
    assert "mistakes.toml:always_rescale: patch target found 0 times" in result.output


def test_check_of_a_zip_and_of_a_missing_file(tmp_path: Path) -> None:
    from quizsvc.grading.package import load_dir

    archive = tmp_path / "max_norm.zip"
    archive.write_bytes(load_dir(MAX_NORM).to_zip())
    assert CliRunner().invoke(cli, ["assignment", "check", str(archive), "--no-pairs"]).exit_code == 0
    folder = tmp_path / "broken"
    shutil.copytree(MAX_NORM, folder)
    (folder / "cases.py").unlink()
    (folder / "cases.toml").unlink()
    result = CliRunner().invoke(cli, ["assignment", "check", str(folder)])
    assert result.exit_code == 1
    assert "cases.py: no cases: cases.toml, cases.py or both" in result.output


@pytest.fixture
def run(app: Any, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    created: list[Any] = []
    original = quizsvc.app.create_app

    def create_app(overrides: Any = None, instance_path: Any = None) -> Any:
        cli_app = original({**(overrides or {}), "DATABASE_URL": database_url,
                            "SECRET_KEY": "cli-test", "PASSWORD_HASH_FAST": True},
                           instance_path=str(tmp_path / "cli-instance"))
        created.append(cli_app)
        return cli_app

    monkeypatch.setattr(quizsvc.app, "create_app", create_app)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    for a in created:
        get_engine(a).dispose()


def test_selfcheck_of_the_published_assignments_of_a_database(run: Any, app: Any) -> None:
    assert run("demo").exit_code == 0
    with app.app_context():
        session = get_session()
        session.execute(update(Assignment).where(Assignment.slug != "layernorm")
                        .values(published=False))
        session.commit()
    result = run("selfcheck", "--database", "--no-pairs")
    assert result.exit_code == 0, result.output
    assert "/layernorm: version " in result.output
    assert "layernorm/mistake:batch_axis" in result.output
    assert "batchnorm/" not in result.output  # unpublished: not checked
