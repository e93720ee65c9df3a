"""The submission may not import the grader or the reference solutions."""

from __future__ import annotations

import sys
from typing import Any

from .codes import IMPORT_BLOCKED

BLOCKED_PACKAGES = ("reference", "quizsvc")


class BlockedImport(ImportError):
    """Reported as ``import_blocked`` when the submission lets it escape."""

    def __init__(self, name: str) -> None:
        super().__init__(f"importing {name!r} is not allowed in a submission")
        self.reason = {"code": IMPORT_BLOCKED, "module": name}


class BlockTrustedPackages:
    """Meta-path hook: refuses the blocked packages (and everything under them)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise BlockedImport(name)
        return None


def install() -> None:
    """Put the hook first and forget the blocked packages already imported (none, in a fork
    server: it imports nothing of the project)."""
    if not any(isinstance(finder, BlockTrustedPackages) for finder in sys.meta_path):
        sys.meta_path.insert(0, BlockTrustedPackages())
    for mod in [m for m in sys.modules if m.split(".")[0] in BLOCKED_PACKAGES]:
        del sys.modules[mod]
