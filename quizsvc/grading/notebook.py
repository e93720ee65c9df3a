"""Code extraction from Jupyter notebooks: code cells only, IPython magics dropped with a note.

Stored outputs are ignored on purpose: they can be stale; the code is always re-executed.
A document that is not a notebook (invalid or too deeply nested JSON, no list of cells, a cell
whose source is neither a string nor a list of strings, no code at all) is refused with a
:class:`NotebookError` that says why in both languages.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Callable

from quizsvc.text import Text

_CELL_MARK = re.compile(r"# --- cell (\d+) ---")


class NotebookError(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def _cell_source(cell: dict[str, object], number: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise NotebookError(Text(
        en=f"not a valid .ipynb notebook: the source of cell {number} is neither a string nor a "
        "list of strings",
        ko=f"올바른 .ipynb 노트북이 아닙니다: {number}번 셀의 source가 문자열도 문자열 목록도 아닙니다"))


def _load(notebook_text: str) -> list[object]:
    try:
        document = json.loads(notebook_text)
    except RecursionError:  # "[[[[..." a hundred thousand deep
        raise NotebookError(Text(en="not a valid .ipynb notebook: the JSON is nested too deeply",
                                 ko="올바른 .ipynb 노트북이 아닙니다: JSON이 너무 깊게 중첩되어 있습니다")
                            ) from None
    except ValueError:
        raise NotebookError(Text(en="not a valid .ipynb notebook: the file is not valid JSON",
                                 ko="올바른 .ipynb 노트북이 아닙니다: 올바른 JSON이 아닙니다")) from None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(Text(en="not a valid .ipynb notebook: it has no list of cells",
                                 ko="올바른 .ipynb 노트북이 아닙니다: cells 목록이 없습니다"))
    return cells


def extract_code(notebook_text: str) -> tuple[str, list[Text]]:
    """Return (python source, notes) for an .ipynb document, or raise NotebookError."""
    lines: list[str] = []
    dropped = code_cells = 0
    for number, cell in enumerate(_load(notebook_text), start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell, number)
        code_cells += 1
        if source.lstrip().startswith("%%"):
            dropped += source.count("\n") + 1  # a cell magic turns the whole cell into non-Python
            continue
        lines.append(f"# --- cell {number} ---")  # what ``cell_lines`` reads back
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                indent = line[: len(line) - len(stripped)]
                lines.append(f"{indent}pass  # ignored IPython line: {stripped[:60]}")
                dropped += 1
            else:
                lines.append(line)
    if not code_cells:
        raise NotebookError(Text(en="the notebook has no code cells",
                                 ko="노트북에 코드 셀이 없습니다"))
    notes = [Text(en=f"ignored {dropped} IPython magic/shell line(s) (% or !)",
                  ko=f"IPython 매직/셸 줄 {dropped}개를 무시했습니다 (% 또는 !)")] if dropped else []
    return "\n".join(lines) + "\n", notes


def cell_lines(source: str) -> Callable[[int], tuple[int, int]]:
    """For code from :func:`extract_code`: a line number -> (cell number, line in that cell),
    which is what a student can find in their notebook."""
    marks: list[int] = []
    cells: list[int] = []
    for number, line in enumerate(source.split("\n"), start=1):
        match = _CELL_MARK.fullmatch(line)
        if match:
            marks.append(number)
            cells.append(int(match.group(1)))

    def locate(line: int) -> tuple[int, int]:
        k = bisect.bisect_right(marks, line) - 1
        return (cells[k], line - marks[k]) if k >= 0 else (0, line)

    return locate


def without_broken_cells(source: str) -> tuple[str, list[Text]]:
    """Code from :func:`extract_code` with each cell that is not valid Python on its own (a
    scratch cell, ``x.shape?`` help syntax) blanked out, line numbers kept, and a note for
    each: Jupyter runs cells one by one, so one broken cell need not sink the others."""
    lines = source.split("\n")
    marks = [i for i, line in enumerate(lines) if _CELL_MARK.fullmatch(line)]
    notes = []
    for start, end in zip(marks, [*marks[1:], len(lines)], strict=True):
        try:
            compile("\n".join(lines[start + 1: end]), "cell", "exec", ast.PyCF_ONLY_AST,
                    dont_inherit=True)
            continue
        except SyntaxError as exc:
            where = f"{exc.msg}, line {exc.lineno}", f"{exc.msg}, {exc.lineno}행"
        except (ValueError, RecursionError, MemoryError) as exc:
            where = type(exc).__name__, type(exc).__name__
        cell = lines[start].split()[3]  # "# --- cell N ---"
        lines[start + 1: end] = [""] * (end - start - 1)
        notes.append(Text(en=f"Skipped cell {cell}: it is not valid Python ({where[0]})",
                          ko=f"{cell}번 셀을 건너뛰었습니다: 올바른 파이썬 코드가 아닙니다 ({where[1]})"))
    return "\n".join(lines), notes
