"""Code extraction from Jupyter notebooks: code cells only, IPython magics dropped with a note.

Stored outputs are ignored on purpose: they can be stale; the code is always re-executed.
"""

from __future__ import annotations

import json


class NotebookError(ValueError):
    pass


def _cell_source(cell: dict[str, object]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def extract_code(notebook_text: str) -> tuple[str, list[str]]:
    """Return (python source, notes) for an .ipynb document."""
    try:
        document = json.loads(notebook_text)
        cells = document["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise NotebookError(f"not a valid .ipynb notebook: {exc}") from None
    lines: list[str] = []
    dropped = 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell)
        if source.lstrip().startswith("%%"):
            dropped += source.count("\n") + 1  # a cell magic turns the whole cell into non-Python
            continue
        lines.append(f"# --- cell {number} ---")
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                indent = line[: len(line) - len(stripped)]
                lines.append(f"{indent}pass  # ignored IPython line: {stripped[:60]}")
                dropped += 1
            else:
                lines.append(line)
    notes = [f"ignored {dropped} IPython magic/shell line(s) (% or !)"] if dropped else []
    return "\n".join(lines) + "\n", notes
