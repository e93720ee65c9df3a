"""Where gradable assignments come from: assignment packages, by slug or by version.

The demo course's packages ship as content (``quizsvc/content/assignments/<slug>/``);
instructors import more into the database (``services.assignment_versions``), which registers
a loader for versions here. Either way an assignment is built in the sandbox once per version
(``grading.package.cache``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from quizsvc.grading.assignment import Assignment
from quizsvc.grading.diagnosis import catalogue
from quizsvc.grading.package import Package, load_dir
from quizsvc.grading.package.cache import assignment_of
from quizsvc.grading.runner import Runner

log = logging.getLogger(__name__)

DEMO_PACKAGES = Path(__file__).resolve().parent.parent / "content" / "assignments"
VERSION = re.compile(r"^[0-9a-f]{64}$")

# version -> the package of that version, or None: registered by the database layer
_version_loaders: list[Callable[[str], Package | None]] = []


class UnknownAssignment(KeyError):
    pass


def register_version_loader(loader: Callable[[str], Package | None]) -> None:
    if loader not in _version_loaders:
        _version_loaders.append(loader)


@cache
def demo_packages() -> dict[str, Package]:
    """The demo course's packages by slug (read once per process)."""
    found: dict[str, Package] = {}
    for folder in sorted(p for p in DEMO_PACKAGES.iterdir() if (p / "assignment.toml").is_file()):
        package = load_dir(folder)
        if package.slug in found:
            raise ValueError(f"duplicate assignment slug {package.slug!r}")
        found[package.slug] = package
    return dict(sorted(found.items(), key=lambda item: (item[1].manifest.order, item[0])))


def package(key: str) -> Package:
    """The package of a demo slug or of a version (content hash)."""
    if VERSION.match(key):
        for loader in _version_loaders:
            found = loader(key)
            if found is not None:
                return found
        for demo in demo_packages().values():
            if demo.version == key:
                return demo
        raise UnknownAssignment(key)
    try:
        return demo_packages()[key]
    except KeyError:
        raise UnknownAssignment(key) from None


def get(key: str, runner: Runner | None = None) -> Assignment:
    """The gradable assignment of a demo slug or a version."""
    return assignment_of(package(key), runner)


def all_assignments() -> dict[str, Assignment]:
    """The demo course's assignments by slug, built."""
    return {slug: assignment_of(p) for slug, p in demo_packages().items()}


def warm_up(keys: list[str] | None = None, runner: Runner | None = None) -> None:
    """Build what every grade needs, once per process and before the first submission: each
    version's cases and the outputs of its reference and known mistakes (from the build cache
    when it has them, else in the sandbox), and the diagnosis catalogue. A forking server does
    it before the fork, so its workers share the results."""
    for key in keys if keys is not None else list(demo_packages()):
        try:
            assignment = get(key, runner)
        except Exception:  # one broken version must not keep the others from grading
            log.exception("assignment %s does not build", key)
            continue
        assignment.program(assignment.cases)
        catalogue(assignment)  # every mistake's outputs, alone and in pairs
