"""What every question type provides, and the plain data that flows through it.

A type is a stateless object registered under a name (one module of ``quizsvc.quiz.types``,
found by the registry). It owns everything about itself: the editor's starter config, validating
a config (for the editor and ``bank check``), the variant a given student sees (shuffled options,
drawn parameters, the key computed by ``reference/``), reading an answer from a web form or JSON,
scoring it, the answer's JSON schema for the OpenAPI document, and the templates that show it.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

    FormData = MultiDict[str, str]  # a submitted web form

from quizsvc.text import Text

Localized = dict[str, str]  # stored content (item prompts, bank files): {"ko": "...", "en": "..."}


class AnswerError(ValueError):
    """A raw answer that cannot be read. It is shown to the student; no attempt is consumed."""

    def __init__(self, message: Text) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class ItemSpec:
    """The parts of an item a type needs; built from an ``Item`` row or a bank file."""

    key: str
    type_name: str
    prompt: Localized
    config: dict[str, Any]
    explanation: Localized = field(default_factory=dict)
    points: float = 1.0


@dataclass
class Variant:
    """What one student sees of an item: final prompt text, option order and the key."""

    seed: int
    prompt: Localized
    params: dict[str, Any] = field(default_factory=dict)
    options: list[dict[str, Any]] = field(default_factory=list)  # in display order, no keys
    key: Any = None  # trusted side only: never sent to a student before feedback is due
    key_display: str = ""
    input_hint: Localized = field(default_factory=dict)


@dataclass
class Score:
    fraction: float  # 0.0 .. 1.0 of the item's points
    correct: bool
    message: Text
    details: dict[str, Any] = field(default_factory=dict)


# Limits every answer schema keeps to (the API's request body is bounded by them too).
MAX_ANSWER_TEXT = 8000
MAX_ANSWER_ENTRIES = 400


class QuestionType(ABC):
    name: str
    label: Text
    menu_order: ClassVar[int] = 100  # place in the editor's menu and in the API's list of types
    starter: ClassVar[dict[str, Any]] = {}  # the config a new item of this type starts from
    # Other starting points the editor's menu offers: name -> (label, config).
    presets: ClassVar[dict[str, tuple[Text, dict[str, Any]]]] = {}
    answer_description: ClassVar[str] = ""  # for the OpenAPI document

    def starter_config(self, preset: str = "") -> dict[str, Any]:
        """The starter config, or a preset's (an unknown preset name: the starter)."""
        return copy.deepcopy(self.presets[preset][1] if preset in self.presets else self.starter)

    @abstractmethod
    def validate(self, spec: ItemSpec) -> list[str]:
        """Problems with the item's config, as messages for an instructor (empty: fine)."""

    @abstractmethod
    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        """The variant the student with this seed sees."""

    @abstractmethod
    def parse(self, raw: Any, variant: Variant) -> Any:
        """Turn a raw answer (form text or JSON) into a JSON-able value, or raise AnswerError."""

    @abstractmethod
    def score(self, value: Any, variant: Variant) -> Score:
        """Score a parsed answer against the variant's key."""

    @abstractmethod
    def answer_schema(self) -> dict[str, Any]:
        """The JSON schema of an answer sent to the API (a superset of what ``parse`` accepts;
        null, unanswered, is allowed for every type by the document)."""

    def form_answer(self, form: FormData, name: str, options: list[dict[str, Any]]) -> Any:
        """The raw answer in a submitted web form; ``name`` is the item's field name and
        ``options`` what the student was shown. Blank (``""``, ``[]``) when left unanswered."""
        return form.get(name, "")

    @property
    def answer_template(self) -> str:
        """Renders the input (``view``, ``value``: raw or saved answer, ``disabled``)."""
        return f"items/{self.name}/answer.html"

    @property
    def result_template(self) -> str:
        """Shows the correct answer under a wrong one (``view``, ``fb``: the item's feedback)."""
        return "items/key.html"
