"""One bilingual text type for every layer: grading feedback, question types, domain errors.

Construction is keyword-only (``Text(en=..., ko=...)``) so that a swapped pair cannot pass
silently, as ``(ko, en)`` and ``(en, ko)`` orders once did side by side. This module imports
nothing from quizsvc (and not Flask), so grading, the quiz engine and the services can all use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("ko", "en")


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A text in English and Korean, built once (numbers formatted once, shared by both).
    ``str()`` is the English text, for instructor-only fields and logs."""

    en: str
    ko: str

    def get(self, language: str) -> str:
        return self.ko if language == "ko" else self.en

    def __str__(self) -> str:
        return self.en

    def as_dict(self) -> dict[str, str]:
        """The stored and JSON form, ``{"ko": ..., "en": ...}``."""
        return {"ko": self.ko, "en": self.en}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Text:
        return cls(en=str(data.get("en") or ""), ko=str(data.get("ko") or ""))

    @staticmethod
    def join(separator: str, texts: Sequence[Text]) -> Text:
        if len(texts) == 1:
            return texts[0]
        return Text(en=separator.join([t.en for t in texts]), ko=separator.join([t.ko for t in texts]))


NO_TEXT = Text(en="", ko="")
