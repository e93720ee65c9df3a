"""Data flows one way (design brief §2): request → (web | api | cli) → services → (models, quiz,
grading, queue) → sandbox. Checked statically over every import statement of the package, the
lazy ones inside functions included."""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "quizsvc"
PARTS = ("sandbox", "grading", "quiz", "models", "services", "queue", "web", "api", "cli")
# What each part may import of the others (anything not listed is a layering error).
ALLOWED = {
    "sandbox": set(),
    "grading": {"sandbox"},
    "quiz": set(),
    "models": set(),
    "services": {"grading", "quiz", "models", "queue"},
    "queue": {"grading", "models", "services", "sandbox"},
    "web": {"services", "models", "quiz", "grading", "queue", "sandbox", "api"},
    "api": {"services", "models", "quiz", "grading", "queue"},
    "cli": {"services", "models", "quiz", "grading", "queue", "sandbox"},
}


def _imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        part = rel[0] if len(rel) > 1 else None
        if part not in PARTS:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                     and node.module else [a.name for a in node.names]
                     if isinstance(node, ast.Import) else [])
            if isinstance(node, ast.ImportFrom) and node.module == "quizsvc":
                names = [f"quizsvc.{a.name}" for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "quizsvc" and len(bits) > 1 and bits[1] in PARTS and bits[1] != part:
                    edges[part].add(bits[1])
    return edges


def test_each_part_imports_only_the_layers_below_it() -> None:
    edges = _imports()
    wrong = {part: sorted(edges[part] - ALLOWED[part]) for part in PARTS if edges[part] - ALLOWED[part]}
    assert wrong == {}


def test_no_import_cycles_between_parts() -> None:
    edges = _imports()

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    assert [(a, b) for a, b in itertools.combinations(PARTS, 2)
            if b in reach(a) and a in reach(b)] == []
