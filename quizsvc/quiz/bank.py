"""Quiz banks as YAML ("quiz as code"): one file per quiz plus ``course.yaml``.

Pure functions over files and plain data: no database. ``services.bank`` moves banks in and out
of the database; ``quizsvc bank check`` uses :func:`check_dir` to validate a bank in CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from quizsvc.quiz.base import ItemSpec
from quizsvc.quiz.registry import UnknownQuestionType, get_type
from quizsvc.timezones import names as timezone_names

QUIZ_FIELDS = (
    "slug", "title", "description", "position", "published", "opens_at", "closes_at",
    "max_attempts", "time_limit_minutes", "feedback_policy", "shuffle_options", "items",
)  # fmt: skip
ITEM_FIELDS = ("key", "type", "section", "points", "prompt", "explanation")
FEEDBACK_POLICIES = ("immediate", "after_close")
MAX_TIME_LIMIT = 24 * 60  # minutes; a longer "time limit" is a close date
COURSE_FILE = "course.yaml"


@dataclass
class Problem:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


@dataclass
class BankQuiz:
    data: dict[str, Any]
    file: str = ""

    @property
    def slug(self) -> str:
        return str(self.data["slug"])

@dataclass
class Bank:
    course: dict[str, Any]
    quizzes: list[BankQuiz] = field(default_factory=list)


def item_spec(item: dict[str, Any]) -> ItemSpec:
    """Split a bank item into the common fields and the type's own config."""
    config = {k: v for k, v in item.items() if k not in ITEM_FIELDS}
    return ItemSpec(
        key=str(item.get("key", "")),
        type_name=str(item.get("type", "")),
        prompt=item.get("prompt") or {},
        explanation=item.get("explanation") or {},
        config=config,
        points=float(item.get("points", 1)),
    )


def item_to_bank(
    key: str, type_name: str, section: str, points: float,
    prompt: dict[str, Any], explanation: dict[str, Any], config: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"key": key, "type": type_name}
    if section:
        out["section"] = section
    out["points"] = int(points) if float(points).is_integer() else points
    out["prompt"] = prompt
    if explanation:
        out["explanation"] = explanation
    out.update(config)
    return out


# --- reading -------------------------------------------------------------------------------


def _parse_dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML keeps the last of two equal keys; in a bank that silently loses content."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


def read_dir(directory: Path) -> tuple[Bank | None, list[Problem]]:
    """Read a bank directory; problems are reported, never raised."""
    problems: list[Problem] = []
    course_path = directory / COURSE_FILE
    course: dict[str, Any] = {}
    if not directory.is_dir():
        return None, [Problem(str(directory), "", "not a directory")]
    if course_path.exists():
        try:
            course = load_yaml(course_path) or {}
        except yaml.YAMLError as exc:
            problems.append(Problem(COURSE_FILE, "", f"invalid YAML: {exc}"))
    else:
        problems.append(Problem(COURSE_FILE, "", "missing (slug and title of the course)"))
    quizzes = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == COURSE_FILE:
            continue
        try:
            data = load_yaml(path)
        except yaml.YAMLError as exc:
            problems.append(Problem(path.name, "", f"invalid YAML: {exc}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(path.name, "", "a quiz file must be a mapping"))
            continue
        quizzes.append(BankQuiz(data, path.name))
    return Bank(course, quizzes), problems


# --- checking ------------------------------------------------------------------------------


def _localized(value: Any, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        return "must have ko and en texts"
    missing = [lang for lang in ("ko", "en") if not str(value.get(lang) or "").strip()]
    return f"missing {' and '.join(missing)} text" if missing else None


def check_course(course: dict[str, Any]) -> list[Problem]:
    problems = []
    if not isinstance(course.get("slug"), str) or not course.get("slug"):
        problems.append(Problem(COURSE_FILE, "slug", "required"))
    if msg := _localized(course.get("title")):
        problems.append(Problem(COURSE_FILE, "title", msg))
    tz = course.get("timezone")
    if tz is not None and (not isinstance(tz, str) or tz not in timezone_names()):
        problems.append(Problem(COURSE_FILE, "timezone", "not an IANA time zone name, such as Asia/Seoul"))
    return problems


def check_quiz(quiz: BankQuiz) -> list[Problem]:
    f, d = quiz.file, quiz.data
    problems: list[Problem] = []
    unknown = set(d) - set(QUIZ_FIELDS)
    if unknown:
        problems.append(Problem(f, "", f"unknown keys: {', '.join(sorted(unknown))}"))
    if not isinstance(d.get("slug"), str) or not d.get("slug"):
        problems.append(Problem(f, "slug", "required"))
    if msg := _localized(d.get("title")):
        problems.append(Problem(f, "title", msg))
    if msg := _localized(d.get("description"), required=False):
        problems.append(Problem(f, "description", msg))
    if d.get("feedback_policy", "immediate") not in FEEDBACK_POLICIES:
        problems.append(Problem(f, "feedback_policy", f"must be one of {', '.join(FEEDBACK_POLICIES)}"))
    ma = d.get("max_attempts")
    if ma is not None and (not isinstance(ma, int) or isinstance(ma, bool) or ma < 1):
        problems.append(Problem(f, "max_attempts", "must be a whole number >= 1 (or omitted: unlimited)"))
    tl = d.get("time_limit_minutes")
    if tl is not None and (not isinstance(tl, int) or isinstance(tl, bool) or not 1 <= tl <= MAX_TIME_LIMIT):
        problems.append(Problem(f, "time_limit_minutes",
                                f"must be a whole number of minutes from 1 to {MAX_TIME_LIMIT} (or omitted: no limit)"))
    try:
        opens, closes = _parse_dt(d.get("opens_at")), _parse_dt(d.get("closes_at"))
        if opens and closes and closes <= opens:
            problems.append(Problem(f, "closes_at", "must be after opens_at"))
    except (TypeError, ValueError) as exc:
        problems.append(Problem(f, "opens_at/closes_at", f"not an ISO date-time: {exc}"))
    items = d.get("items")
    if not isinstance(items, list) or not items:
        problems.append(Problem(f, "items", "a quiz needs at least one item"))
        return problems
    seen: set[str] = set()
    for i, item in enumerate(items):
        problems += check_item(f, i, item, seen)
    return problems


def check_item(f: str, index: int, item: Any, seen: set[str]) -> list[Problem]:
    if not isinstance(item, dict):
        return [Problem(f, f"items[{index}]", "must be a mapping")]
    key = item.get("key")
    where = f"{key}" if isinstance(key, str) and key else f"items[{index}]"
    problems = []
    if not isinstance(key, str) or not key:
        problems.append(Problem(f, where, "key is required"))
    elif key in seen:
        problems.append(Problem(f, where, "duplicate key"))
    else:
        seen.add(key)
    if msg := _localized(item.get("prompt")):
        problems.append(Problem(f, where, f"prompt: {msg}"))
    if msg := _localized(item.get("explanation"), required=False):
        problems.append(Problem(f, where, f"explanation: {msg}"))
    pts = item.get("points", 1)
    if not isinstance(pts, int | float) or isinstance(pts, bool) or pts <= 0:
        problems.append(Problem(f, where, "points must be a positive number"))
    try:
        qtype = get_type(str(item.get("type")))
    except UnknownQuestionType:
        problems.append(Problem(f, where, f"unknown type {item.get('type')!r}"))
        return problems
    problems += [Problem(f, where, msg) for msg in qtype.validate(item_spec(item))]
    return problems


def check_bank(bank: Bank) -> list[Problem]:
    problems = check_course(bank.course)
    slugs: set[str] = set()
    for quiz in bank.quizzes:
        problems += check_quiz(quiz)
        slug = quiz.data.get("slug")
        if isinstance(slug, str):
            if slug in slugs:
                problems.append(Problem(quiz.file, "slug", f"duplicate quiz slug {slug!r}"))
            slugs.add(slug)
    if not bank.quizzes:
        problems.append(Problem(".", "", "no quiz files (*.yaml) found"))
    return problems


def check_dir(directory: Path) -> tuple[Bank | None, list[Problem]]:
    bank, problems = read_dir(directory)
    if bank is not None:
        problems += check_bank(bank)
    return bank, problems


# --- writing ---

# One key order for every mapping in a bank file, so exports are stable whatever order the
# database returns (PostgreSQL's JSONB sorts keys its own way).
KEY_ORDER = [
    "slug", "key", "id", "type", "timezone", "kind", "section", "points", "title", "description", "position",
    "published", "opens_at", "closes_at", "max_attempts", "time_limit_minutes", "feedback_policy", "shuffle_options",
    "prompt", "text", "correct", "feedback", "explanation", "options", "fixed_order", "scoring",
    "penalty", "params", "compute", "fn", "args", "tolerance", "rtol", "atol", "sigfigs",
    "partial_credit", "input_hint", "answer", "ko", "en", "items",
]  # fmt: skip
_RANK = {k: i for i, k in enumerate(KEY_ORDER)}


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_RANK.get(k, len(_RANK)), str(k)))
        return {k: canonical(value[k]) for k in keys}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    # sort_keys=False: the writer builds dicts in a fixed, human-friendly order.
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def write_dir(bank: Bank, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / COURSE_FILE]
    written[0].write_text(dump_yaml(bank.course), encoding="utf-8")
    for quiz in bank.quizzes:
        path = directory / f"{quiz.slug}.yaml"
        path.write_text(dump_yaml(quiz.data), encoding="utf-8")
        written.append(path)
    return written
