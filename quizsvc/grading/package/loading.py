"""Reading a package: its files, its manifest and mistakes, the texts it must have."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from quizsvc.grading.package.files import Files, PackageError, Problem, read_dir, read_zip
from quizsvc.grading.package.manifest import Manifest, Mistakes
from quizsvc.text import Text

REQUIRED = ("assignment.toml", "reference.py", "statement.en.md", "statement.ko.md", "starter.py")


@dataclass(frozen=True)
class Package:
    files: Files
    manifest: Manifest
    mistakes: Mistakes

    @cached_property
    def version(self) -> str:
        """The content hash: the same files, the same version."""
        return self.files.digest

    @property
    def slug(self) -> str:
        return self.manifest.slug

    def text(self, name: str) -> str:
        return self.files.text(name)

    @property
    def solution_files(self) -> list[str]:
        return self.files.names("solutions", ".py")

    def to_zip(self) -> bytes:
        return self.files.to_zip(self.slug)


def _validated(model: type[BaseModel], files: Files, name: str) -> Any:
    try:
        data = tomllib.loads(files.text(name))
    except tomllib.TOMLDecodeError as exc:
        raise PackageError([Problem(Text(en=f"not valid TOML: {exc}",
                                         ko=f"올바른 TOML이 아닙니다: {exc}"), name)]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:20]:
            where = ".".join(str(p) for p in error["loc"])
            problems.append(Problem(Text(en=error["msg"], ko=f"잘못된 값입니다: {error['msg']}"),
                                    name, where))
        raise PackageError(problems) from None


def from_files(files: Files) -> Package:
    missing = [Problem(Text(en="missing (every package has it)", ko="없습니다 (모든 패키지에 필요합니다)"), n)
               for n in REQUIRED if n not in files.contents]
    if "cases.py" not in files.contents and "cases.toml" not in files.contents:
        missing.append(Problem(Text(en="no cases: cases.toml, cases.py or both",
                                    ko="케이스가 없습니다: cases.toml이나 cases.py가 필요합니다"),
                               "cases.py"))
    if not files.names("solutions", ".py"):
        missing.append(Problem(Text(en="no correct solution (at least one solutions/*.py)",
                                    ko="정답 풀이가 없습니다 (solutions/*.py가 하나 이상 필요합니다)"),
                               "solutions/"))
    if missing:
        raise PackageError(missing)
    manifest = _validated(Manifest, files, "assignment.toml")
    mistakes = (_validated(Mistakes, files, "mistakes.toml") if "mistakes.toml" in files.contents
                else Mistakes())
    problems = []
    for entry in mistakes.mistake:
        wanted = f"solutions/{entry.base}" if entry.base else str(entry.file)
        if wanted not in files.contents:
            problems.append(Problem(Text(en=f"{wanted} does not exist", ko=f"{wanted} 파일이 없습니다"),
                                    "mistakes.toml", entry.key))
    if problems:
        raise PackageError(problems)
    return Package(files, manifest, mistakes)


def load_dir(path: Path | str) -> Package:
    return from_files(read_dir(Path(path)))


def load_zip(data: bytes) -> Package:
    return from_files(read_zip(data))
