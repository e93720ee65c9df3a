"""The question-type registry: the stored ``type_name`` string maps to a type object."""

from __future__ import annotations

import threading

from quizsvc.quiz.base import QuestionType

_TYPES: dict[str, QuestionType] = {}


class UnknownQuestionType(KeyError):
    pass


def register(qtype: QuestionType) -> QuestionType:
    if qtype.name in _TYPES:
        raise RuntimeError(f"question type {qtype.name!r} registered twice")
    _TYPES[qtype.name] = qtype
    return qtype


def get_type(name: str) -> QuestionType:
    _load_builtin()
    try:
        return _TYPES[name]
    except KeyError:
        raise UnknownQuestionType(name) from None


def all_types() -> dict[str, QuestionType]:
    _load_builtin()
    return dict(_TYPES)


_loaded = False
_loading = threading.Lock()


def _load_builtin() -> None:
    """Register the built-in types on first use. ``_loaded`` turns true only once they are all
    registered: a request thread that saw it true early met an empty registry (a 500 on the
    first concurrent requests a fresh worker took)."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        from quizsvc.quiz.types import multi_select, numeric, single_choice, vector

        for module in (single_choice, multi_select, numeric, vector):
            register(module.TYPE)
        _loaded = True
