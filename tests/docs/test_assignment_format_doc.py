"""docs/assignment-format.md's worked example is a real package: written out file by file from
the page, it passes `quizsvc assignment check`."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from quizsvc.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "assignment-format.md"
FILE_BLOCK = re.compile(r"^`soft_threshold/([^`]+)`:\n\n```[a-z]*\n(.*?)^```", re.M | re.S)


def test_the_worked_example_passes_check(tmp_path: Path) -> None:
    files = FILE_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    names = [name for name, _ in files]
    assert {"assignment.toml", "reference.py", "cases.py", "mistakes.toml", "starter.py",
            "statement.en.md", "statement.ko.md"} <= set(names)
    root = tmp_path / "soft_threshold"
    for name, text in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["assignment", "check", str(root)])
    assert result.exit_code == 0, result.output
    assert "ok: 3 cases (1 hidden)" in result.output
    assert "soft_threshold/mistake:hard_threshold" in result.output
