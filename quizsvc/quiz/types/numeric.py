"""Numeric answers with a tolerance: |a - b| <= atol + rtol*|b| (b the key) or sig. figures.
The key is computed (``compute``) or fixed (``answer: 0.75``)."""

from __future__ import annotations

from typing import Any

from quizsvc.quiz.base import MAX_ANSWER_TEXT, ItemSpec, Score, Variant
from quizsvc.quiz.numbers import format_number, parse_number, within_tolerance
from quizsvc.quiz.registry import question_type
from quizsvc.quiz.types.computed import ComputedType
from quizsvc.text import Text


@question_type
class Numeric(ComputedType):
    name = "numeric"
    label = Text(en="Numeric", ko="수치")
    menu_order = 30
    starter = {"compute": {"fn": "l1_norm", "args": {"x": [2, 3, 4]}}, "tolerance": {"rtol": 0.01}}
    presets = {"fixed": (Text(en="Numeric, fixed answer", ko="수치, 고정 정답"),
                         {"answer": 0.5, "tolerance": {"atol": 0.001}})}
    answer_description = "numeric: a number (or text such as '3/4')"

    def answer_schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": MAX_ANSWER_TEXT}]}

    def validate(self, spec: ItemSpec) -> list[str]:
        return self.validate_computed(spec)

    def validate_key(self, key: Any) -> list[str]:
        if isinstance(key, list):
            return ["compute returns a vector: use the vector type"]
        return []

    def validate_fixed_key(self, key: Any) -> list[str]:
        if isinstance(key, list):
            return ["answer is a list: use the vector type, or write one number"]
        return []

    def parse(self, raw: Any, variant: Variant) -> Any:
        return parse_number(raw)

    def score(self, value: Any, variant: Variant) -> Score:
        key = float(variant.key)
        ok = within_tolerance(float(value), key, variant.params["tolerance"])
        if ok:
            return Score(1.0, True, Text(en="Correct.", ko="정답입니다."))
        return Score(
            0.0,
            False,
            Text(
                en=f"Your value {format_number(value)} is outside the tolerance.",
                ko=f"입력한 값 {format_number(value)}은(는) 허용 오차 밖입니다.",
            ),
            details={"abs_error": abs(float(value) - key)},
        )
