"""Assignment packages: an assignment as course content (a folder or a .zip), read, checked,
built into a gradable :class:`quizsvc.grading.assignment.Assignment` and cached per version.

The package's own code (reference, cases, solutions, mistakes) runs only in the sandbox; see
docs/assignment-format.md."""

from quizsvc.grading.package.files import PackageError, Problem
from quizsvc.grading.package.loading import Package, load_dir, load_zip

__all__ = ["Package", "PackageError", "Problem", "load_dir", "load_zip"]
