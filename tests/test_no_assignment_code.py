"""quizsvc keeps no assignment-specific code: every assignment is a package (course content),
so no service module defines an assignment's function or names one of the demo slugs."""

from __future__ import annotations

import ast
from pathlib import Path

from quizsvc.grading.registry import DEMO_PACKAGES, demo_packages

PACKAGE = Path(__file__).resolve().parents[1] / "quizsvc"


def _service_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if DEMO_PACKAGES not in p.parents]


def test_no_service_module_defines_or_names_a_demo_assignment() -> None:
    packages = demo_packages()
    functions = {f.name for p in packages.values() for f in p.manifest.functions}
    slugs = set(packages)
    found = []
    for path in _service_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in functions:
                found.append(f"{path.relative_to(PACKAGE)}: defines {node.name}")
            if isinstance(node, ast.Constant) and node.value in slugs | functions:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: names {node.value!r}")
    assert found == []


def test_the_demo_packages_are_content_not_python_packages() -> None:
    assert not list(DEMO_PACKAGES.rglob("__init__.py"))
    assert len(demo_packages()) == 9
