"""What every question type provides, and the plain data that flows through it.

A type is a stateless object registered under a name. It validates an item's config (for the
editor and ``bank check``), prepares the variant a given student sees (shuffled options, drawn
parameters, the key computed by ``reference/``), parses a raw answer into a value, and scores it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

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


class QuestionType(ABC):
    name: str
    label: Text

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

    def template(self) -> str:
        return f"items/{self.name}.html"
