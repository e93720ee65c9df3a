from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizsvc.cli import main
from quizsvc.grading import grade_source, registry
from quizsvc.grading.intake import Unreadable, read_submission
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
    assert [(n.en, n.ko) for n in notes] == [("ignored 4 IPython magic/shell line(s) (% or !)",
                                             "IPython 매직/셸 줄 4개를 무시했습니다 (% 또는 !)")]
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


CODE_CELL = {"cell_type": "code", "metadata": {}, "outputs": [], "source": SOLUTION}
MALFORMED_NOTEBOOKS = {
    "source of numbers": (json.dumps({"cells": [{**CODE_CELL, "source": [1, 2]}]}),
                          "the source of cell 1 is neither a string nor a list of strings"),
    "source object": (json.dumps({"cells": [CODE_CELL, {**CODE_CELL, "source": {"a": "b"}}]}),
                      "the source of cell 2 is neither a string nor a list of strings"),
    "nested brackets": ("[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply"),
    "nested cells": (json.dumps({"cells": []})[:-2] + "[" * 100_000 + "]" * 100_001 + "}",
                     "the JSON is nested too deeply"),
    "not json": ("{not json", "the file is not valid JSON"),
    "no cells": (json.dumps({"nbformat": 4}), "it has no list of cells"),
    "cells not a list": (json.dumps({"cells": {"0": CODE_CELL}}), "it has no list of cells"),
    "only markdown": (notebook([("markdown", "# notes")]), "the notebook has no code cells"),
}


@pytest.mark.parametrize("name", MALFORMED_NOTEBOOKS)
def test_a_malformed_notebook_is_refused_and_never_breaks_grading(name: str) -> None:
    text, reason = MALFORMED_NOTEBOOKS[name]
    with pytest.raises(Unreadable) as refused:
        read_submission(text, "hw.ipynb")
    assert reason in refused.value.text.en and refused.value.text.ko != refused.value.text.en
    # Stored before this check existed, it is still graded (0, with the reason), not retried
    # as a grading failure.
    for language in ("en", "ko"):
        result = grade_source("weight_decay", text, filename="hw.ipynb", language=language)
        assert result.score == 0 and not any(c.passed for c in result.cases)
        said = refused.value.text.get(language)
        assert any(said in n for n in result.notes), result.notes


@pytest.mark.parametrize("source", [
    "x = " + "(" * 100_000 + ")" * 100_000,  # the tokenizer's own limit: a SyntaxError
    "x = " + "-" * 100_000 + "1",  # MemoryError in the parser
    "x = " + "1+" * 100_000 + "1",  # RecursionError in the parser
    "x = f" + "()" * 50_000,
    "x = " + "lambda: " * 10_000 + "1",
])
def test_code_that_crashes_the_parser_is_refused_a_syntax_error_is_not(source: str) -> None:
    for text, filename in ((source, "hw.py"), (json.dumps({"cells": [{**CODE_CELL, "source": source}]}),
                                               "hw.ipynb")):
        try:
            compile(source, "s", "exec")
        except SyntaxError:
            read_submission(text, filename)  # graded 0 with Python's message: the student's to see
            continue
        except (RecursionError, MemoryError):
            pass
        with pytest.raises(Unreadable, match="nested too deeply for Python's parser"):
            read_submission(text, filename)
    read_submission("def weight_decay_update(W:\n", "hw.py")  # an ordinary syntax error


def test_cli_grade_local_refuses_what_the_server_refuses(tmp_path: Path) -> None:
    bad = tmp_path / "hw.ipynb"
    bad.write_text(MALFORMED_NOTEBOOKS["source of numbers"][0])
    out = CliRunner().invoke(main, ["grade-local", "--assignment", "weight_decay", str(bad)])
    assert out.exit_code == 2 and "the source of cell 1 is neither a string" in out.output
    ko = CliRunner().invoke(main, ["grade-local", "--assignment", "weight_decay", "--language",
                                   "ko", str(bad)])
    assert ko.exit_code == 2 and "1번 셀의 source가 문자열도 문자열 목록도 아닙니다" in ko.output
    deep = tmp_path / "deep.py"
    deep.write_text("x = " + "1+" * 100_000 + "1\n")
    out = CliRunner().invoke(main, ["grade-local", "--assignment", "weight_decay", str(deep)])
    assert out.exit_code == 2 and "nested too deeply" in out.output


def test_cli_grade_local_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    latin = tmp_path / "hw.py"
    latin.write_bytes("# r\xe9sum\xe9\n".encode("latin-1"))
    out = CliRunner().invoke(main, ["grade-local", "--assignment", "weight_decay", str(latin)])
    assert out.exit_code == 2 and "not UTF-8 text" in out.output


def test_a_homework_notebook_is_graded_and_skipped_code_is_placed_in_its_cells() -> None:
    text = notebook([
        ("markdown", "# Weight decay"),
        ("code", "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt"),
        ("code", SOLUTION),
        ("code", "W = np.ones((3, 3))\nfor step in range(10):\n"
                 "    W = weight_decay_update(W, W, 0.1, 0.5, 4)\nplt.plot(W)"),
    ])
    result = grade_source("weight_decay", text, filename="hw.ipynb")
    assert result.all_passed, result.to_table()
    assert result.notes[1].endswith("matplotlib.pyplot (cell 2, line 3)")
    assert result.notes[2] == ("Skipped top-level code that the graded functions do not use: "
                               "cell 4, line 1 (assignment to W), cell 4, lines 2–3 (for loop), "
                               "cell 4, line 4 (call plt.plot(...))")
    korean = grade_source("weight_decay", text, filename="hw.ipynb", language="ko")
    assert korean.notes[2].endswith("4번 셀 2–3행 (for 반복문), 4번 셀 4행 (plt.plot(...) 호출)")


def test_a_cell_that_is_not_python_is_skipped_and_the_rest_graded() -> None:
    text = notebook([
        ("code", "import numpy as np\nnp.linalg.norm?"),  # IPython help syntax
        ("code", SOLUTION),
        ("code", "for step in range(3)\n    print(step)"),  # a scratch cell, broken
    ])
    result = grade_source("weight_decay", text, filename="hw.ipynb")
    assert result.all_passed, result.to_table()
    assert result.notes[:2] == ["Skipped cell 1: it is not valid Python (invalid syntax, line 2)",
                                "Skipped cell 3: it is not valid Python (expected ':', line 1)"]
    korean = grade_source("weight_decay", text, filename="hw.ipynb", language="ko")
    assert korean.notes[0] == "1번 셀을 건너뛰었습니다: 올바른 파이썬 코드가 아닙니다 (invalid syntax, 2행)"
    # A .py file with a syntax error is not taken apart: Python's error is the feedback.
    assert "SyntaxError" in grade_source("weight_decay", SOLUTION + "\nfor i in x\n").notes[0]


def test_in_a_notebook_a_misspelt_function_is_placed_in_its_cell() -> None:
    misspelt = SOLUTION.replace("def weight_decay_update(", "def weight_decay_updat(")
    line = misspelt.splitlines().index(next(x for x in misspelt.splitlines()
                                            if x.startswith("def weight_decay_updat("))) + 1
    text = notebook([("markdown", "# Weight decay"), ("code", "import numpy as np"),
                     ("code", misspelt)])
    result = grade_source("weight_decay", text, filename="hw.ipynb")
    assert result.score == 0
    assert any(n.startswith("weight_decay_update is not defined in your file; did you mean "
                            f"weight_decay_updat (cell 3, line {line})?") for n in result.notes)
