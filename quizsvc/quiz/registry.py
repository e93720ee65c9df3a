"""The question-type registry: the stored ``type_name`` string maps to a type object.

Types are discovered: every module of ``quizsvc.quiz.types`` is imported, and a module declares
its type with ``@question_type`` on the class. A new type is one new module (plus its templates);
nothing here or elsewhere lists the types. Two types with one name stop the start-up.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Any, TypeVar

from quizsvc.quiz.base import AnswerError, ItemSpec, QuestionType, Score, Variant
from quizsvc.text import Text

_TYPES: dict[str, QuestionType] = {}

Q = TypeVar("Q", bound=type[QuestionType])


class UnknownQuestionType(KeyError):
    pass


def register(qtype: QuestionType) -> QuestionType:
    if qtype.name in _TYPES:
        raise RuntimeError(
            f"question type {qtype.name!r} registered twice: {type(_TYPES[qtype.name]).__module__} "
            f"and {type(qtype).__module__}"
        )
    _TYPES[qtype.name] = qtype
    return qtype


def question_type(cls: Q) -> Q:
    """Class decorator: register one instance of the type when its module is imported."""
    register(cls())
    return cls


def get_type(name: str) -> QuestionType:
    _discover()
    try:
        return _TYPES[name]
    except KeyError:
        raise UnknownQuestionType(name) from None


def type_of(name: str) -> QuestionType:
    """The type of a stored item. A name no module registers (a type removed since the item was
    written) gives a stand-in that says so, so the item shows an error instead of a crash."""
    try:
        return get_type(name)
    except UnknownQuestionType:
        return UnavailableType(name)


def all_types() -> dict[str, QuestionType]:
    """Every type, in menu order."""
    _discover()
    return {t.name: t for t in sorted(_TYPES.values(), key=lambda t: (t.menu_order, t.name))}


_discovered = False
_discovering = threading.Lock()


def _discover() -> None:
    """Import every module of ``quizsvc.quiz.types`` (sorted by name: a deterministic order) on
    first use. ``_discovered`` turns true only once all are registered: a request thread that
    saw it true early met an empty registry (a 500 on the first concurrent requests a fresh
    worker took)."""
    global _discovered
    if _discovered:
        return
    with _discovering:
        if _discovered:
            return
        from quizsvc.quiz import types as package

        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _discovered = True


class UnavailableType(QuestionType):
    """Stands in for a stored item whose type no module provides: it is shown with an error,
    cannot be answered, and scores nothing (with a message saying why)."""

    label = Text(en="Unknown type", ko="알 수 없는 유형")

    def __init__(self, name: str) -> None:
        self.name = name

    def _message(self) -> Text:
        return Text(
            en=f"This item's type ({self.name}) is not available; please tell your instructor.",
            ko=f"이 문항의 유형({self.name})을 사용할 수 없습니다. 강사에게 알려 주세요.",
        )

    def validate(self, spec: ItemSpec) -> list[str]:
        return [f"unknown type {self.name!r}"]

    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        return Variant(seed=seed, prompt=dict(spec.prompt))

    def parse(self, raw: Any, variant: Variant) -> Any:
        raise AnswerError(self._message())

    def score(self, value: Any, variant: Variant) -> Score:
        return Score(0.0, False, self._message())

    def answer_schema(self) -> dict[str, Any]:
        return {}

    def form_answer(self, form: Any, name: str, options: list[dict[str, Any]]) -> Any:
        return ""  # nothing to read: the item counts as unanswered

    @property
    def answer_template(self) -> str:
        return "items/unavailable.html"
