"""A package's files, read from a folder or a .zip with limits: only text files of the kinds a
package has, no links, no paths outside the package, bounded sizes. Its version is the SHA-256
of its files (names and bytes), so the same content always has the same version."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from quizsvc.text import Text

MAX_FILES = 200
MAX_FILE_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024
SUFFIXES = (".toml", ".py", ".md", ".txt")
SKIPPED_PARTS = ("__pycache__", ".git", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package, said where it is (a file, a case, a mistake)."""

    text: Text
    file: str = ""
    where: str = ""  # a case name, a mistake key, a solution file

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "where": self.where, "en": self.text.en, "ko": self.text.ko}

    def line(self, language: str = "en") -> str:
        place = ":".join(p for p in (self.file, self.where) if p)
        return f"{place}: {self.text.get(language)}" if place else self.text.get(language)


class PackageError(Exception):
    """A package that cannot be read or built; ``problems`` say why, file by file."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.line() for p in problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class Files:
    contents: dict[str, bytes] = field(default_factory=dict)  # posix path -> bytes

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.contents):
            data = self.contents[name]
            h.update(f"{name}\0{len(data)}\0".encode())
            h.update(data)
        return h.hexdigest()

    def text(self, name: str) -> str:
        return self.contents[name].decode("utf-8")

    def names(self, folder: str, suffix: str) -> list[str]:
        return sorted(n for n in self.contents
                      if n.startswith(folder + "/") and n.endswith(suffix) and n.count("/") == 1)

    def to_zip(self, folder: str) -> bytes:
        """The package as a .zip holding one folder, ``folder`` (what ``load_zip`` reads);
        fixed timestamps: the same content gives the same bytes."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.contents):
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, self.contents[name])
        return buffer.getvalue()


def _too_many() -> Problem:
    return Problem(Text(en=f"more than {MAX_FILES} files", ko=f"파일이 {MAX_FILES}개를 넘습니다"))


def _checked_name(name: str) -> str | Problem | None:
    """The package-relative name, a Problem, or None for a file a package never has (skipped)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        return Problem(Text(en="a path outside the package", ko="패키지 밖을 가리키는 경로입니다"),
                       name)
    if any(part in SKIPPED_PARTS or part.startswith(".") for part in path.parts):
        return None
    if path.suffix not in SUFFIXES:
        return None
    return path.as_posix()


def _add(files: dict[str, bytes], problems: list[Problem], name: str, data: bytes,
         total: list[int]) -> None:
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(Text(en=f"larger than {MAX_FILE_BYTES // 1024} KiB",
                                     ko=f"{MAX_FILE_BYTES // 1024} KiB보다 큽니다"), name))
        return
    total[0] += len(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(Text(en="not UTF-8 text", ko="UTF-8 텍스트가 아닙니다"), name))
        return
    files[name] = data.replace(b"\r\n", b"\n")


def read_dir(root: Path) -> Files:
    if not root.is_dir():
        raise PackageError([Problem(Text(en=f"{root} is not a folder", ko=f"{root}은(는) 폴더가 아닙니다"))])
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    total = [0]
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            problems.append(Problem(Text(en="a symbolic link (not allowed in a package)",
                                         ko="심볼릭 링크는 패키지에 넣을 수 없습니다"), rel))
            continue
        if not stat.S_ISREG(mode):
            continue
        name = _checked_name(rel)
        if isinstance(name, Problem):
            problems.append(name)
        elif name is not None:
            if len(files) >= MAX_FILES:
                problems.append(_too_many())
                break
            _add(files, problems, name, path.read_bytes(), total)
    _finish(problems, total[0])
    return Files(files)


def read_zip(data: bytes) -> Files:
    """A .zip holding the package's files, at its top or inside one folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise PackageError([Problem(Text(en="not a .zip archive", ko=".zip 압축 파일이 아닙니다"))]) from None
    if len(infos) > MAX_FILES * 4:
        raise PackageError([_too_many()])
    names = [i.filename for i in infos]
    tops = {n.split("/", 1)[0] for n in names}
    prefix = ""
    if len(tops) == 1 and all("/" in n for n in names):
        prefix = next(iter(tops)) + "/"  # one folder: the package
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    total = [0]
    for info in infos:
        if (info.external_attr >> 16) & 0o170000 == stat.S_IFLNK:
            problems.append(Problem(Text(en="a symbolic link (not allowed in a package)",
                                         ko="심볼릭 링크는 패키지에 넣을 수 없습니다"), info.filename))
            continue
        name = _checked_name(info.filename[len(prefix):])
        if isinstance(name, Problem):
            problems.append(name)
            continue
        if name is None:
            continue
        if info.file_size > MAX_FILE_BYTES:  # before decompressing it (a zip bomb)
            problems.append(Problem(Text(en=f"larger than {MAX_FILE_BYTES // 1024} KiB",
                                         ko=f"{MAX_FILE_BYTES // 1024} KiB보다 큽니다"), name))
            continue
        if len(files) >= MAX_FILES:
            problems.append(_too_many())
            break
        try:
            with archive.open(info) as handle:
                data_read = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError):
            problems.append(Problem(Text(en="cannot be read from the archive",
                                         ko="압축 파일에서 읽을 수 없습니다"), name))
            continue
        _add(files, problems, name, data_read, total)
    _finish(problems, total[0])
    return Files(files)


def _finish(problems: list[Problem], total: int) -> None:
    if total > MAX_TOTAL_BYTES:
        problems.append(Problem(Text(en=f"the package is larger than {MAX_TOTAL_BYTES // 2**20} MiB",
                                     ko=f"패키지가 {MAX_TOTAL_BYTES // 2**20} MiB보다 큽니다")))
    if problems:
        raise PackageError(problems)
