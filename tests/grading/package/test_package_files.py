"""Reading packages: what a folder or a .zip may hold, the manifest's validation, versions."""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from quizsvc.grading.package import PackageError, load_dir, load_zip
from quizsvc.grading.package.files import MAX_FILE_BYTES


def _zip(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _lines(exc: pytest.ExceptionInfo[PackageError]) -> list[str]:
    return [p.line() for p in exc.value.problems]


def test_a_package_round_trips_through_zip_with_the_same_version(package_dir: Path) -> None:
    package = load_dir(package_dir)
    again = load_zip(package.to_zip())
    assert again.version == package.version
    assert again.files.contents == package.files.contents
    assert package.to_zip() == again.to_zip()  # the same content, the same bytes


def test_the_version_follows_the_content(package_dir: Path) -> None:
    before = load_dir(package_dir).version
    (package_dir / "__pycache__").mkdir()
    (package_dir / "__pycache__" / "cases.cpython-311.pyc").write_bytes(b"\0")
    (package_dir / ".DS_Store").write_bytes(b"\0")
    assert load_dir(package_dir).version == before  # what a package never holds is skipped
    text = (package_dir / "statement.en.md").read_text()
    (package_dir / "statement.en.md").write_text(text.replace("\n", "\r\n"))
    assert load_dir(package_dir).version == before  # line endings of a Windows checkout
    (package_dir / "statement.en.md").write_text(text + "\nMore.\n")
    assert load_dir(package_dir).version != before


def test_a_zip_of_the_files_or_of_the_folder_is_the_same_package(package_dir: Path) -> None:
    files = {p.relative_to(package_dir).as_posix(): p.read_bytes()
             for p in package_dir.rglob("*") if p.is_file()}
    flat = load_zip(_zip(files))
    nested = load_zip(_zip({f"max_norm/{k}": v for k, v in files.items()}))
    assert flat.version == nested.version == load_dir(package_dir).version


def test_paths_outside_the_package_and_links_are_refused() -> None:
    with pytest.raises(PackageError) as caught:
        load_zip(_zip({"../evil.py": b"x", "assignment.toml": b""}, symlink="link.py"))
    lines = _lines(caught)
    assert "../evil.py: a path outside the package" in lines
    assert "link.py: a symbolic link (not allowed in a package)" in lines


def test_a_symlink_in_a_folder_is_refused(package_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.py").write_text("KEY = 1\n")
    (package_dir / "solutions" / "linked.py").symlink_to(tmp_path / "secret.py")
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    assert _lines(caught) == ["solutions/linked.py: a symbolic link (not allowed in a package)"]


def test_oversized_and_binary_files_are_refused(package_dir: Path) -> None:
    (package_dir / "notes.txt").write_bytes(b"\xff\xfe" + b"x" * 10)
    (package_dir / "big.md").write_text("x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    assert sorted(_lines(caught)) == ["big.md: larger than 512 KiB", "notes.txt: not UTF-8 text"]


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    with pytest.raises(PackageError) as caught:
        load_zip(_zip({"statement.en.md": b"0" * (MAX_FILE_BYTES * 8)}))
    assert _lines(caught) == ["statement.en.md: larger than 512 KiB"]


def test_not_a_zip() -> None:
    with pytest.raises(PackageError) as caught:
        load_zip(b"PK\x03\x04 but not really")
    assert _lines(caught) == ["not a .zip archive"]


def test_missing_files_are_named(package_dir: Path) -> None:
    (package_dir / "statement.ko.md").unlink()
    shutil.rmtree(package_dir / "solutions")
    (package_dir / "mistakes.toml").unlink()
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    assert _lines(caught) == [
        "statement.ko.md: missing (every package has it)",
        "solutions/: no correct solution (at least one solutions/*.py)"]


def test_manifest_errors_say_where(package_dir: Path) -> None:
    text = (package_dir / "assignment.toml").read_text()
    (package_dir / "assignment.toml").write_text(
        text.replace('slug = "max_norm"', 'slug = "Max Norm!"')
        .replace('signature = "max_norm(W, c) -> W_constrained"', 'signature = "other(W)"')
        .replace('score_policy = "best"', 'score_policy = "median"'))
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    places = [(p.file, p.where) for p in caught.value.problems]
    assert places == [("assignment.toml", "slug"), ("assignment.toml", "functions.0"),
                      ("assignment.toml", "defaults.score_policy")]
    assert all(p.text.ko for p in caught.value.problems)


def test_invalid_toml_and_a_missing_mistake_base(package_dir: Path) -> None:
    (package_dir / "mistakes.toml").write_text(
        '[[mistake]]\nkey = "x"\nbase = "gone.py"\npatches = [["a", "b"]]\n'
        'title = { en = "t", ko = "t" }\nhint = { en = "h", ko = "h" }\n')
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    assert _lines(caught) == ["mistakes.toml:x: solutions/gone.py does not exist"]
    (package_dir / "assignment.toml").write_text("slug = \n")
    with pytest.raises(PackageError) as caught:
        load_dir(package_dir)
    assert _lines(caught)[0].startswith("assignment.toml: not valid TOML")
