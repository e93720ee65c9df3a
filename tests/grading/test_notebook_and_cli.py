from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from quizsvc.cli import main
from quizsvc.grading import grade_source, registry
from quizsvc.grading.notebook import extract_code

SOLUTION = registry.get("weight_decay").solutions[0].source


def notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": src.splitlines(keepends=True),
         **({"outputs": [{"output_type": "stream", "text": "stale 10/10"}],
             "execution_count": 1} if kind == "code" else {})}
        for kind, src in cells]})


def test_notebook_code_cells_are_extracted_and_magics_ignored() -> None:
    text = notebook([("markdown", "# Weight decay"), ("code", "%matplotlib inline\n!pip list"),
                     ("code", "%%timeit\nx = 1"), ("code", SOLUTION)])
    source, notes = extract_code(text)
    assert "def weight_decay_update" in source and "# Weight decay" not in source
    assert "%matplotlib" not in source.replace("ignored IPython line: %matplotlib", "")
    assert notes == ["ignored 4 IPython magic/shell line(s) (% or !)"]
    result = grade_source("weight_decay", text, filename="hw.ipynb")
    assert result.all_passed and result.notes[0].startswith("ignored 4")


def test_bad_notebook_is_a_load_error() -> None:
    result = grade_source("weight_decay", "{not json", filename="hw.ipynb")
    assert result.score == 0 and "not a valid .ipynb" in result.cases[0].message


def test_cli_assignments_lists_slug_then_functions() -> None:
    out = CliRunner().invoke(main, ["assignments"])
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert len(lines) == 9
    assert "batchnorm batchnorm_forward batchnorm_backward" in lines
    assert lines[-2:] == [
        "spatial_batchnorm spatial_batchnorm_forward spatial_batchnorm_backward",
        "groupnorm groupnorm_forward groupnorm_backward"]
    assert lines[0] == "penalties l1_penalty l1_penalty_grad l2_penalty l2_penalty_grad"


def test_cli_grade_local_formats_and_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(SOLUTION)
    runner = CliRunner()
    table = runner.invoke(main, ["grade-local", "--assignment", "weight_decay", str(good)])
    assert table.exit_code == 0 and "score: 7 / 7" in table.output
    gs = runner.invoke(main, ["grade-local", "--assignment", "weight_decay", str(good),
                              "--format", "gradescope"])
    assert json.loads(gs.output)["score"] == 7
    bad = tmp_path / "bad.py"
    bad.write_text(next(m for m in registry.get("weight_decay").mistakes
                        if m.key == "missing_m").source)
    failed = runner.invoke(main, ["grade-local", "--assignment", "weight_decay", str(bad),
                                  "--format", "json"])
    assert failed.exit_code == 1 and json.loads(failed.output)["diagnoses"][0]["key"] == "missing_m"
    relaxed = runner.invoke(main, ["grade-local", "--assignment", "weight_decay", str(bad),
                                   "--format", "junit", "--min-score", "1"])
    assert relaxed.exit_code == 0 and relaxed.output.startswith("<?xml")
    unknown = runner.invoke(main, ["grade-local", "--assignment", "nope", str(good)])
    assert unknown.exit_code == 2


def test_cli_selfcheck_one_assignment() -> None:
    out = CliRunner().invoke(main, ["selfcheck", "--assignment", "weight_decay"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1] == "10 of 10 judged right"
