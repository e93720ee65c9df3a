"""Multi-select: pick every true statement.

Scoring per item: ``all_or_nothing`` (default) or ``partial``: each correct pick earns
1/(number correct), each wrong pick costs ``penalty`` (default the same 1/(number correct)),
floored at 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizsvc.quiz.base import MAX_ANSWER_ENTRIES, ItemSpec, Score, Variant
from quizsvc.quiz.registry import question_type
from quizsvc.quiz.types.choice import ChoiceType
from quizsvc.text import Text

if TYPE_CHECKING:
    from quizsvc.quiz.base import FormData

SCORINGS = ("all_or_nothing", "partial")


@question_type
class MultiSelect(ChoiceType):
    name = "multi_select"
    label = Text(en="Multiple select", ko="다중 선택")
    menu_order = 20
    starter = {"scoring": "all_or_nothing", "options": [
        {"id": "a", "text": {"ko": "", "en": ""}, "correct": True},
        {"id": "b", "text": {"ko": "", "en": ""}, "correct": False},
    ]}
    answer_description = "multi_select: the chosen option ids"

    def answer_schema(self) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_ANSWER_ENTRIES, "items": {"type": "string"}}

    def form_answer(self, form: FormData, name: str, options: list[dict[str, Any]]) -> Any:
        return form.getlist(name)  # one checkbox per option

    def validate(self, spec: ItemSpec) -> list[str]:
        problems = self.validate_options(spec)
        if problems:
            return problems
        if not self.correct_ids(spec.config):
            problems.append("at least one option must be correct")
        scoring = spec.config.get("scoring", "all_or_nothing")
        if scoring not in SCORINGS:
            problems.append(f"scoring must be one of {', '.join(SCORINGS)}")
        penalty = spec.config.get("penalty")
        if penalty is not None and (
            not isinstance(penalty, int | float) or isinstance(penalty, bool) or not 0 <= penalty <= 1
        ):
            problems.append("penalty must be a number from 0 to 1")
        return problems

    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        variant = super().prepare(spec, seed, shuffle)
        variant.params = {
            "scoring": spec.config.get("scoring", "all_or_nothing"),
            "penalty": spec.config.get("penalty"),
        }
        return variant

    def parse(self, raw: Any, variant: Variant) -> Any:
        return sorted(self._ids(raw, variant))

    def score(self, value: Any, variant: Variant) -> Score:
        key = set(variant.key)
        picked = set(value)
        hits, wrong = len(picked & key), len(picked - key)
        missed = len(key - picked)
        exact = hits == len(key) and wrong == 0
        if variant.params.get("scoring") == "partial":
            penalty = variant.params.get("penalty")
            step = 1.0 / len(key)
            cost = step if penalty is None else float(penalty)
            fraction = max(0.0, min(1.0, hits * step - wrong * cost))
        else:
            fraction = 1.0 if exact else 0.0
        if exact:
            fraction, message = 1.0, Text(en="Correct.", ko="정답입니다.")
        else:
            message = Text(
                en=f"{hits} right, {wrong} wrong, {missed} missed.",
                ko=f"맞게 고른 것 {hits}개, 잘못 고른 것 {wrong}개, 빠뜨린 것 {missed}개.",
            )
        return Score(
            fraction=fraction,
            correct=exact,
            message=message,
            details={"hits": hits, "wrong": wrong, "missed": missed},
        )
