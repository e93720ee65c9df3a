"""Single choice: exactly one correct option; the answer is one option id."""

from __future__ import annotations

from typing import Any

from quizsvc.quiz.base import MAX_ANSWER_TEXT, AnswerError, ItemSpec, Score, Variant
from quizsvc.quiz.registry import question_type
from quizsvc.quiz.types.choice import ChoiceType
from quizsvc.text import Text


@question_type
class SingleChoice(ChoiceType):
    name = "single_choice"
    label = Text(en="Single choice", ko="단일 선택")
    menu_order = 10
    starter = {"options": [
        {"id": "a", "text": {"ko": "", "en": ""}, "correct": True},
        {"id": "b", "text": {"ko": "", "en": ""}, "correct": False},
    ]}
    answer_description = "single_choice: one option id"

    def answer_schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": MAX_ANSWER_TEXT}

    def validate(self, spec: ItemSpec) -> list[str]:
        problems = self.validate_options(spec)
        if not problems and len(self.correct_ids(spec.config)) != 1:
            problems.append(
                f"exactly one option must be correct (found {len(self.correct_ids(spec.config))})"
            )
        return problems

    def parse(self, raw: Any, variant: Variant) -> Any:
        ids = self._ids(raw, variant)
        if len(ids) != 1:
            raise AnswerError(Text(en="Choose exactly one option.", ko="하나만 선택하세요."))
        return ids[0]

    def score(self, value: Any, variant: Variant) -> Score:
        ok = value in variant.key
        return Score(
            fraction=1.0 if ok else 0.0,
            correct=ok,
            message=Text(en="Correct.", ko="정답입니다.") if ok else Text(en="Incorrect.", ko="오답입니다."),
        )
