"""Quiz banks as YAML: ``bank check`` on the shipped and on broken banks, and the lossless round
trip through the database (import -> export -> import into a fresh DB -> export)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from quizsvc import migrate
from quizsvc.app import create_app
from quizsvc.cli import main as cli
from quizsvc.db import get_engine, get_session
from quizsvc.models import Course, Item, Quiz
from quizsvc.quiz.bank import check_dir
from quizsvc.quiz.registry import all_types
from quizsvc.services.bank import BankProblems, export_to_dir, import_bank
from quizsvc.services.demo import DEMO_BANK


def shipped_files() -> list[Path]:
    return sorted(p for p in DEMO_BANK.glob("*.yaml") if p.name != "course.yaml")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(DEMO_BANK, target)
    return target


def find_item(bank: Path, pred: Callable[[dict], bool]) -> tuple[Path, int, dict]:
    for path in sorted(bank.glob("*.yaml")):
        if path.name == "course.yaml":
            continue
        for i, item in enumerate(load(path)["items"]):
            if pred(item):
                return path, i, item
    raise AssertionError("the shipped bank has no such item")


def mutate_item(bank: Path, pred: Callable[[dict], bool], change: Callable[[dict], None]) -> tuple[str, str]:
    path, index, _ = find_item(bank, pred)
    data = load(path)
    change(data["items"][index])
    dump(path, data)
    return path.name, data["items"][index].get("key", f"items[{index}]")


def run_check(directory: Path) -> Any:
    return CliRunner().invoke(cli, ["bank", "check", str(directory)])


# --- bank check ----------------------------------------------------------------------------


def test_shipped_bank_passes_check():
    bank, problems = check_dir(DEMO_BANK)
    assert problems == []
    n_items = sum(len(load(p)["items"]) for p in shipped_files())
    assert n_items >= 20 and bank is not None
    assert {q.file for q in bank.quizzes} == {p.name for p in shipped_files()}
    result = run_check(DEMO_BANK)
    assert result.exit_code == 0, result.output
    assert f"ok: {len(shipped_files())} quizzes, {n_items} items" in result.stdout
    # every item type is represented, and so are parameterised items
    types = {it["type"] for p in shipped_files() for it in load(p)["items"]}
    assert types == set(all_types())
    assert any("params" in it for p in shipped_files() for it in load(p)["items"])


def _is_single(it: dict) -> bool:
    return it["type"] == "single_choice"


def _is_fixed_numeric(it: dict) -> bool:
    return it["type"] == "numeric" and "params" not in it


def _two_correct(it: dict) -> None:
    for o in it["options"][:2]:
        o["correct"] = True


def _drop_tolerance(it: dict) -> None:
    del it["tolerance"]


def _unknown_fn(it: dict) -> None:
    it["compute"]["fn"] = "secret_formula"


def _typed_answer(it: dict) -> None:
    it["answer"] = 12345.5


def _no_english_prompt(it: dict) -> None:
    it["prompt"]["en"] = ""


def _no_english_option(it: dict) -> None:
    del it["options"][1]["text"]["en"]


def _unknown_type(it: dict) -> None:
    it["type"] = "essay"


def _no_key(it: dict) -> None:
    del it["key"]


@pytest.mark.parametrize(("pred", "change", "message"), [
    (_is_single, _two_correct, "exactly one option must be correct (found 2)"),
    (_is_fixed_numeric, _drop_tolerance, "tolerance is missing: give rtol and/or atol, or sigfigs"),
    (_is_fixed_numeric, _unknown_fn, "compute: unknown reference function 'secret_formula'"),
    (_is_fixed_numeric, _typed_answer, "answer 12345.5 is not what compute gives ("),
    (_is_single, _no_english_prompt, "prompt: missing en text"),
    (_is_single, _no_english_option, "needs text in ko and en"),
    (_is_single, _unknown_type, "unknown type 'essay'"),
], ids=["two-correct", "no-tolerance", "unknown-fn", "typed-answer", "no-en-prompt", "no-en-option",
        "unknown-type"])
def test_check_reports_file_and_item(bank_copy, pred, change, message):
    fname, key = mutate_item(bank_copy, pred, change)
    _, problems = check_dir(bank_copy)
    assert [(p.file, p.where) for p in problems] == [(fname, key)], problems
    assert message in problems[0].message
    result = run_check(bank_copy)
    assert result.exit_code == 1
    assert f"{fname}:{key}: " in result.stderr and message in result.stderr
    assert "1 problem(s)" in result.stderr
    assert "ok:" not in result.stdout


def test_check_reports_a_missing_key_by_position(bank_copy):
    fname, where = mutate_item(bank_copy, _is_single, _no_key)
    _, problems = check_dir(bank_copy)
    assert [str(p) for p in problems] == [f"{fname}:{where}: key is required"]
    assert where.startswith("items[")


def test_check_reports_duplicate_item_keys(bank_copy):
    path = shipped_files()[0]
    data = load(bank_copy / path.name)
    first, second = data["items"][0]["key"], data["items"][1]["key"]
    data["items"][1]["key"] = first
    dump(bank_copy / path.name, data)
    _, problems = check_dir(bank_copy)
    assert [str(p) for p in problems] == [f"{path.name}:{first}: duplicate key"]
    assert second != first
    result = run_check(bank_copy)
    assert result.exit_code == 1 and f"{path.name}:{first}: duplicate key" in result.stderr


def test_check_reports_duplicate_mapping_keys_in_yaml(bank_copy):
    # PyYAML keeps the last of two equal keys; in a bank that silently drops content.
    path = bank_copy / shipped_files()[0].name
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith("slug:"))
    lines.insert(n + 1, "slug: another-slug")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = check_dir(bank_copy)
    assert len(problems) == 1 and problems[0].file == path.name
    assert "duplicate key 'slug'" in problems[0].message and f"line {n + 2}" in problems[0].message
    assert run_check(bank_copy).exit_code == 1


def test_check_reports_duplicate_quiz_slugs(bank_copy):
    a, b = shipped_files()[:2]
    data = load(bank_copy / b.name)
    data["slug"] = load(a)["slug"]
    dump(bank_copy / b.name, data)
    _, problems = check_dir(bank_copy)
    assert [str(p) for p in problems] == [f"{b.name}:slug: duplicate quiz slug {data['slug']!r}"]


def test_check_reports_bad_yaml_with_its_line(bank_copy):
    path = bank_copy / shipped_files()[0].name
    path.write_text("slug: broken\nitems:\n  - key: [unclosed\n", encoding="utf-8")
    _, problems = check_dir(bank_copy)
    assert len(problems) == 1
    assert problems[0].file == path.name and "invalid YAML" in problems[0].message
    assert "line" in problems[0].message
    result = run_check(bank_copy)
    assert result.exit_code == 1 and f"{path.name}: invalid YAML" in result.stderr


def test_check_reports_quiz_level_problems(bank_copy):
    path = bank_copy / shipped_files()[0].name
    data = load(path)
    data["title"]["en"] = " "
    data["feedback_policy"] = "never"
    data["max_attempts"] = 0
    data["colour"] = "blue"
    dump(path, data)
    _, problems = check_dir(bank_copy)
    got = {str(p) for p in problems}
    assert got == {
        f"{path.name}: unknown keys: colour",
        f"{path.name}:title: missing en text",
        f"{path.name}:feedback_policy: must be one of immediate, after_close",
        f"{path.name}:max_attempts: must be a whole number >= 1 (or omitted: unlimited)",
    }


def test_check_fails_on_missing_course_file_and_empty_dir(tmp_path):
    _, problems = check_dir(tmp_path)
    assert {str(p) for p in problems} == {
        "course.yaml: missing (slug and title of the course)",
        "course.yaml:slug: required",
        "course.yaml:title: must have ko and en texts",
        ".: no quiz files (*.yaml) found",
    }
    result = run_check(tmp_path / "nope")
    assert result.exit_code == 1 and "not a directory" in result.stderr


# --- import / export -----------------------------------------------------------------------



def _import_export(url: str, source: Path, target: Path, instance: Path) -> list[Path]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "t", "TESTING": True}, instance_path=str(instance))
    try:
        with app.app_context():
            migrate.upgrade(get_engine())
            session = get_session()
            course = import_bank(session, None, source)
            return export_to_dir(session, None, course, target)
    finally:
        get_engine(app).dispose()


def _semantic(data: Any) -> Any:
    """Bank data with date-times compared as instants (+09:00 and UTC are the same moment)."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ("opens_at", "closes_at") and v is not None:
                v = (v if isinstance(v, datetime) else datetime.fromisoformat(str(v))).timestamp()
            out[k] = _semantic(v)
        return out
    if isinstance(data, list):
        return [_semantic(v) for v in data]
    return data


DEFAULTS = {"published": False, "feedback_policy": "immediate", "shuffle_options": True, "position": 0}


def test_round_trip_is_lossless(app, session, tmp_path, fresh_db_url):
    first = tmp_path / "first"
    course = import_bank(session, None, DEMO_BANK)
    written = export_to_dir(session, None, course, first)
    assert sorted(p.name for p in written) == sorted(["course.yaml", *(p.name for p in shipped_files())])
    second = tmp_path / "second"
    _import_export(fresh_db_url, first, second, tmp_path / "inst")
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # the exported files pass the check and say what the shipped ones say
    assert check_dir(first)[1] == []
    assert load(first / "course.yaml") == load(DEMO_BANK / "course.yaml")
    for path in shipped_files():
        shipped, exported = load(path), load(first / path.name)
        expected = {**DEFAULTS, **shipped}
        expected["items"] = [{"points": 1, **it} for it in shipped["items"]]
        assert _semantic(exported) == _semantic(expected), path.name


def test_export_uses_a_stable_key_order(app, session, tmp_path):
    course = import_bank(session, None, DEMO_BANK)
    export_to_dir(session, None, course, tmp_path / "a")
    path = tmp_path / "a" / shipped_files()[0].name
    top = list(load(path))
    assert top[:2] == ["slug", "title"] and top[-1] == "items"
    for item in load(path)["items"]:
        keys = list(item)
        assert keys[:2] == ["key", "type"]
        assert keys.index("prompt") < keys.index("explanation") if "explanation" in keys else True
        assert list(item["prompt"]) == ["ko", "en"]
    # Korean is written as is, not escaped
    assert "\\u" not in path.read_text(encoding="utf-8")
    assert any("\uac00" <= ch <= "\ud7a3" for ch in path.read_text(encoding="utf-8"))


def test_reimport_updates_in_place_and_keeps_answers(tmp_path, w):
    with w.db() as session:
        course = session.get(Course, w.course_id)
        quiz = course.quizzes[0]
        item_ids = {i.key: i.id for i in quiz.items}
        edited = tmp_path / "edited"
        export_to_dir(session, None, course, edited)
        data = load(edited / f"{quiz.slug}.yaml")
        data["title"]["en"] = "Renamed quiz"
        data["items"][0]["points"] = 5
        removed = data["items"].pop()["key"]
        dump(edited / f"{quiz.slug}.yaml", data)
        again = import_bank(session, w.user(session, "instructor"), edited)
        assert again.id == course.id
        session.expire_all()
        q = session.get(Quiz, quiz.id)
        assert q.title_en == "Renamed quiz"
        assert {i.key: i.id for i in q.items} == {k: v for k, v in item_ids.items() if k != removed}
        assert q.items[0].points == 5


def test_import_refuses_to_drop_answered_items(tmp_path, w):
    from quizsvc.services import attempts

    with w.db() as session:
        course = session.get(Course, w.course_id)
        quiz = next(q for q in course.quizzes if q.published)
        last = quiz.items[-1]
        attempt = attempts.start_attempt(session, w.user(session, "alice"), quiz)
        view = next(v for v in attempts.attempt_items(session, w.user(session, "alice"), attempt) if v.id == last.id)
        answer = view.options[0]["id"] if view.options else "1"
        if last.type_name == "vector":
            answer = "[1, 2, 3]"
        attempts.save_answers(session, w.user(session, "alice"), attempt, {last.id: answer})
        edited = tmp_path / "edited"
        export_to_dir(session, None, course, edited)
        data = load(edited / f"{quiz.slug}.yaml")
        data["items"].pop()
        data["title"]["en"] = "Should not be saved"
        dump(edited / f"{quiz.slug}.yaml", data)
        with pytest.raises(BankProblems) as exc:
            import_bank(session, w.user(session, "instructor"), edited)
        assert exc.value.problems[0].where == last.key
        assert "students answered this item" in exc.value.problems[0].message
        session.expire_all()
        assert session.get(Item, last.id) is not None
        assert session.get(Quiz, quiz.id).title_en != "Should not be saved"


def test_import_of_a_broken_bank_changes_nothing(app, session, bank_copy):
    mutate_item(bank_copy, _is_single, _two_correct)
    with pytest.raises(BankProblems) as exc:
        import_bank(session, None, bank_copy)
    assert any("exactly one option must be correct" in e for e in exc.value.details["errors"])
    assert session.scalar(select(func.count()).select_from(Quiz)) == 0
