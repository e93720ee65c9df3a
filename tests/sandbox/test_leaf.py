"""The sandbox is a leaf: nothing of it imports the rest of quizsvc (grading above all), and the
code that runs inside imports nothing of the project, only its own modules, relatively."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import quizsvc.sandbox

SANDBOX = Path(quizsvc.sandbox.__file__).parent
MODULES = sorted(m.name for m in pkgutil.walk_packages([str(SANDBOX)], "quizsvc.sandbox."))


def test_every_module_is_walked() -> None:
    assert {"quizsvc.sandbox.pool", "quizsvc.sandbox.inside.child",
            "quizsvc.sandbox.inside.server", "quizsvc.sandbox.inside.calls"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_importing_a_sandbox_module_imports_nothing_else_of_quizsvc(module: str) -> None:
    code = (f"import sys, {module}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'quizsvc'"
            " and not m.startswith('quizsvc.sandbox')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['quizsvc']", done.stdout


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import statement, at any depth (lazy imports included)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


@pytest.mark.parametrize("path", sorted(SANDBOX.rglob("*.py")), ids=lambda p: p.name)
def test_no_import_leaves_the_sandbox_package(path: Path) -> None:
    inside = SANDBOX / "inside" in path.parents
    for level, module in _imports(path):
        if level:
            continue
        top = module.split(".")[0]
        if inside:  # staged alone in the sandbox: only the standard library and NumPy
            assert top != "quizsvc", (path.name, module)
        else:
            assert top != "quizsvc" or module.startswith("quizsvc.sandbox"), (path.name, module)
