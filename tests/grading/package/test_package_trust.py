"""A hostile or broken package is refused with its reason, and its code never runs in the
service's process: the hostile categories of the student suite, applied to package code."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from quizsvc.grading.package import PackageError, load_dir
from quizsvc.grading.package.build import build, run_cases
from quizsvc.grading.package.check import check_package
from quizsvc.grading.runner import default_runner


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PackageError) as caught:
        build(load_dir(folder), default_runner())
    return [p.line() for p in caught.value.problems]


def test_a_reference_that_reads_the_database_is_refused_without_leaking_it(
        package_dir: Path, tmp_path: Path) -> None:
    database = tmp_path / "quizsvc.db"
    database.write_text("SECRET-ROW-4242")
    (package_dir / "reference.py").write_text(
        f"import numpy as np\nDATA = open({str(database)!r}).read()\n\n"
        "def max_norm(W, c):\n    return W\n\ndef max_norm_step(W, dW, lr, c):\n    return W\n")
    problems = _problems(package_dir)
    assert problems and all(p.startswith("reference.py") for p in problems)
    assert not any("SECRET-ROW-4242" in p for p in problems)


def test_cases_that_read_the_database_fail_in_the_sandbox(package_dir: Path,
                                                          tmp_path: Path) -> None:
    database = tmp_path / "other-course.db"
    database.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    source = (package_dir / "cases.py").read_text()
    (package_dir / "cases.py").write_text(
        source + f"\n\nimport sqlite3\nsqlite3.connect({str(database)!r}).execute('select 1')\n")
    problems = _problems(package_dir)
    assert len(problems) == 1 and problems[0].startswith("cases.py")
    assert "making the cases failed" in problems[0]


def test_cases_see_no_secret_of_the_service(package_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # What cases() returns reaches the service as data: a secret in it would be a leak.
    monkeypatch.setenv("QUIZSVC_SECRET_KEY", "do-not-leak-this-key")
    source = (package_dir / "cases.py").read_text()
    (package_dir / "cases.py").write_text(source.replace(
        "def cases():\n",
        "def cases():\n    import os\n"
        "    leaked = os.environ.get('QUIZSVC_SECRET_KEY', '')\n"
        "    assert not leaked, 'the secret key reached the sandbox'\n"))
    build(load_dir(package_dir), default_runner())  # would raise with the assertion's text


def test_a_reference_that_never_returns_is_stopped(package_dir: Path) -> None:
    (package_dir / "reference.py").write_text(
        "def max_norm(W, c):\n    while True:\n        pass\n\n"
        "def max_norm_step(W, dW, lr, c):\n    return W\n")
    problems = _problems(package_dir)
    assert problems[0].startswith("reference.py:worked_example")
    assert "time" in problems[0].lower()


def test_cases_that_never_return_are_stopped(package_dir: Path) -> None:
    (package_dir / "cases.py").write_text("def cases():\n    while True:\n        pass\n")
    problems = _problems(package_dir)
    assert problems[0].startswith("cases.py") and "time" in problems[0].lower()


def test_huge_printed_output_is_capped(package_dir: Path) -> None:
    source = (package_dir / "reference.py").read_text()
    (package_dir / "reference.py").write_text(source.replace(
        "def max_norm(W, c):\n",
        "def max_norm(W, c):\n    for _ in range(2000):\n        print('x' * 100_000)\n"))
    built = build(load_dir(package_dir), default_runner())
    printed = sum(len(c.stdout) for c in built.expected.outcomes.values())
    assert printed < 1_000_000  # 200 MB printed, a bounded amount kept
    assert all(c.ok for c in built.expected.outcomes.values())


def test_package_code_cannot_import_the_service(package_dir: Path) -> None:
    (package_dir / "cases.py").write_text("import quizsvc.settings\n\ndef cases():\n    return []\n")
    problems = _problems(package_dir)
    assert "quizsvc" in problems[0] and problems[0].startswith("cases.py")


def test_malformed_cases_are_refused_by_name(package_dir: Path) -> None:
    (package_dir / "cases.py").write_text(
        "from gradekit import Output, Text, value_case\n\n"
        "def cases():\n"
        "    def build(b):\n"
        "        b.call('not_in_the_manifest', b.value(1), name='x')\n"
        "        return [Output('y', 'worked/x')]\n"
        "    return [value_case('worked', points=1, visible=True,\n"
        "                       summary=Text(en='a', ko='가'), build=build)]\n")
    problems = _problems(package_dir)
    assert problems == [
        "cases.py:worked: a call of 'not_in_the_manifest', which assignment.toml does not list"]


def test_cases_returning_junk_are_refused(package_dir: Path) -> None:
    (package_dir / "cases.py").write_text("def cases():\n    return ['not a case']\n")
    problems = _problems(package_dir)
    assert problems[0].startswith("cases.py") and "CaseSpec" in problems[0]


def test_case_generation_runs_in_the_sandbox_not_here(package_dir: Path,
                                                      tmp_path: Path) -> None:
    marker = tmp_path / "ran-here"
    source = (package_dir / "cases.py").read_text()
    (package_dir / "cases.py").write_text(
        source + f"\n\ntry:\n    open({str(marker)!r}, 'w').write('x')\nexcept OSError:\n    pass\n")
    document, arrays = run_cases(load_dir(package_dir), default_runner())
    assert document and arrays
    assert not marker.exists()  # the sandbox cannot write outside its own folder
    assert os.getpid() > 0


def test_a_mistake_nobody_catches_fails_the_check(package_dir: Path) -> None:
    mistakes = (package_dir / "mistakes.toml").read_text()
    (package_dir / "mistakes.toml").write_text(mistakes + (
        '\n[[mistake]]\nkey = "harmless"\nbase = "vectorised.py"\n'
        'patches = [["return W * scale", "return (W * scale).copy()"]]\n'
        'title = { en = "Copies", ko = "복사함" }\nhint = { en = "Fine.", ko = "괜찮음." }\n'))
    report = check_package(load_dir(package_dir), default_runner(), pairs=False)
    assert not report.ok
    assert [p.line() for p in report.problems] == [
        "mistakes.toml:harmless: this mistake gets full marks: no case catches it"]


def test_a_wrong_solution_fails_the_check_by_file(package_dir: Path) -> None:
    (package_dir / "solutions" / "wrong.py").write_text(
        "import numpy as np\n\ndef max_norm(W, c):\n    return np.clip(W, -c, c)\n\n"
        "def max_norm_step(W, dW, lr, c):\n    return max_norm(W - lr * dW, c)\n")
    report = check_package(load_dir(package_dir), default_runner(), pairs=False)
    assert [p.file for p in report.problems] == ["solutions/wrong.py"]
    assert "expected full marks" in report.problems[0].text.en


def test_inputs_stay_the_same_in_the_sandbox_and_here(package_dir: Path) -> None:
    built = build(load_dir(package_dir), default_runner())
    case = next(c for c in built.cases if c.name == "worked_example")
    assert np.array_equal(next(iter(case.program.arrays.values())),
                          np.array([[3.0, 0.0], [4.0, 0.5]]))


def test_an_override_of_a_case_that_does_not_exist_is_named(package_dir: Path) -> None:
    text = (package_dir / "assignment.toml").read_text()
    (package_dir / "assignment.toml").write_text(text + "\n[cases.no_such_case]\npoints = 3\n")
    assert _problems(package_dir) == [
        "assignment.toml:cases.no_such_case: assignment.toml overrides a case that cases() "
        "does not make"]
