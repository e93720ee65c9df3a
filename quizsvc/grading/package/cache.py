"""Built versions, once per process and, where a folder is given, once per machine: a package
is built (its code run in the sandbox) the first time its version is needed, then read back."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from quizsvc.grading.assignment import Assignment
from quizsvc.grading.package import store
from quizsvc.grading.package.assemble import assignment_from
from quizsvc.grading.package.build import Built, build
from quizsvc.grading.package.loading import Package
from quizsvc.grading.runner import Runner, default_runner

log = logging.getLogger(__name__)

_memory: dict[str, Assignment] = {}
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()
folder: Path | None = None  # set by the app, the worker and `serve` (the instance folder's)


def use_folder(path: Path | str | None) -> None:
    global folder
    folder = Path(path) if path else None


def _lock(version: str) -> threading.Lock:
    with _guard:
        return _locks.setdefault(version, threading.Lock())


def assignment_of(package: Package, runner: Runner | None = None) -> Assignment:
    """The gradable assignment of ``package``'s version. PackageError if it does not build."""
    found = _memory.get(package.version)
    if found is not None:
        return found
    with _lock(package.version):
        found = _memory.get(package.version)
        if found is not None:
            return found
        built = _read(package)
        if built is None:
            log.info("building assignment %s version %s in the sandbox", package.slug,
                     package.version[:12])
            built = build(package, runner or default_runner())
            _write(package, built)
        found = _memory[package.version] = assignment_from(package, built)
        return found


def remember(package: Package, built: Built) -> Assignment:
    """Keep a build made elsewhere (the check before an import): the first grade of this
    version then reads it instead of building again."""
    with _lock(package.version):
        found = _memory.get(package.version)
        if found is None:
            _write(package, built)
            found = _memory[package.version] = assignment_from(package, built)
        return found


def _path(package: Package) -> Path | None:
    return folder / f"{package.version}.npz" if folder else None


def _read(package: Package) -> Built | None:
    path = _path(package)
    if path is None or not path.is_file():
        return None
    return store.load(package, path.read_bytes())


def _write(package: Package, built: Built) -> None:
    path = _path(package)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(store.dump(package, built))
        os.replace(handle.name, path)  # whole or not at all, even with several writers
    except OSError as exc:  # a read-only instance folder: built again by the next process
        log.warning("cannot keep the build of %s: %s", package.slug, exc)


def forget() -> None:
    """Tests: drop every built version from memory."""
    _memory.clear()
