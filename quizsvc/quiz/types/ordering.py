"""Ordering: put the steps of a procedure in order.

Config: ``options`` lists the steps in the correct order, each with an ``id`` (letters, digits,
``_`` or ``-``) and a ``text`` in ko and en; 2 to 12 steps. ``scoring`` is ``all_or_nothing``
(default) or ``pairs``: the fraction of the n(n-1)/2 pairs of steps the answer puts in the
right relative order, so moving one step one place off costs one pair, not two positions.

Students see the steps shuffled, stable per student (the variant's seed); with the quiz's
shuffling off everyone sees one shuffle of the item. Never the correct order: that would give
the answer away.

Answer: the option ids, first step first (the API's list). The web form has a position select
per step (``item-<id>-<option id>``, 1..n), read by ``form_answer`` into ``{option id:
position}``, which ``parse`` turns into the list.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from quizsvc.quiz.base import (
    MAX_ANSWER_ENTRIES,
    AnswerError,
    ItemSpec,
    QuestionType,
    Score,
    Variant,
)
from quizsvc.quiz.params import variant_seed
from quizsvc.quiz.registry import question_type
from quizsvc.text import Text

if TYPE_CHECKING:
    from quizsvc.quiz.base import FormData

SCORINGS = ("all_or_nothing", "pairs")
MAX_STEPS = 12
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _bilingual(text: Any) -> bool:
    return isinstance(text, dict) and all(isinstance(text.get(k), str) and text[k].strip() for k in ("ko", "en"))


@question_type
class Ordering(QuestionType):
    name = "ordering"
    label = Text(en="Ordering", ko="순서 맞추기")
    menu_order = 50
    starter = {"scoring": "all_or_nothing", "options": [
        {"id": "first", "text": {"ko": "", "en": ""}},
        {"id": "second", "text": {"ko": "", "en": ""}},
        {"id": "third", "text": {"ko": "", "en": ""}},
    ]}
    answer_description = "ordering: every option id once, first step first"

    def answer_schema(self) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_ANSWER_ENTRIES, "items": {"type": "string"}}

    def validate(self, spec: ItemSpec) -> list[str]:
        options = spec.config.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_STEPS:
            return [f"options: list 2 to {MAX_STEPS} steps, in the correct order"]
        problems = []
        for i, opt in enumerate(options, 1):
            if not isinstance(opt, dict):
                problems.append(f"option {i}: must be a mapping with id and text")
                continue
            if not isinstance(opt.get("id"), str) or not _ID.fullmatch(opt["id"]):
                problems.append(f"option {i}: id must be 1-64 letters, digits, _ or -")
            if not _bilingual(opt.get("text")):
                problems.append(f"option {opt.get('id', i)}: needs text in ko and en")
            if "correct" in opt:
                problems.append(f"option {opt.get('id', i)}: no 'correct' here; list the steps in the correct order")
        ids = [o.get("id") for o in options if isinstance(o, dict)]
        if len(set(map(str, ids))) != len(ids):
            problems.append("options: ids must be unique")
        if spec.config.get("scoring", "all_or_nothing") not in SCORINGS:
            problems.append(f"scoring must be one of {', '.join(SCORINGS)}")
        return problems

    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        options = list(spec.config["options"])
        n = len(options)
        rng_seed = seed if shuffle else variant_seed("ordering", spec.key)
        order = [int(i) for i in np.random.default_rng(rng_seed).permutation(n)]
        if order == list(range(n)):
            order = order[1:] + order[:1]
        key = [o["id"] for o in options]
        return Variant(
            seed=seed,
            prompt=dict(spec.prompt),
            params={"scoring": spec.config.get("scoring", "all_or_nothing")},
            options=[{"id": options[i]["id"], "text": options[i]["text"]} for i in order],
            key=key,
            key_display=", ".join(key),
        )

    def form_answer(self, form: FormData, name: str, options: list[dict[str, Any]]) -> Any:
        positions = {o["id"]: (form.get(f"{name}-{o['id']}") or "").strip() for o in options}
        return positions if any(positions.values()) else ""

    def parse(self, raw: Any, variant: Variant) -> Any:
        ids = [o["id"] for o in variant.options]
        if isinstance(raw, dict):
            raw = _from_positions(raw, ids)
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise AnswerError(Text(en="Send the list of step ids, first step first.",
                                   ko="단계 id의 목록을 첫 단계부터 순서대로 보내세요."))
        if any(v not in ids for v in raw):
            raise AnswerError(Text(en="That step does not exist.", ko="없는 단계가 있습니다."))
        if len(set(raw)) != len(raw):
            raise AnswerError(Text(en="A step appears twice.", ko="같은 단계가 두 번 나옵니다."))
        if len(raw) != len(ids):
            raise AnswerError(Text(en=f"Put all {len(ids)} steps in order.",
                                   ko=f"모든 단계({len(ids)}개)의 순서를 정하세요."))
        return list(raw)

    def score(self, value: Any, variant: Variant) -> Score:
        key: list[str] = variant.key
        rank = {step: i for i, step in enumerate(value)}
        n = len(key)
        placed = sum(1 for a, b in zip(value, key, strict=False) if a == b)
        total = n * (n - 1) // 2
        # a step the answer lacks (the item was edited after it was saved) is in no right pair
        right = sum(1 for i in range(n) for j in range(i + 1, n)
                    if key[i] in rank and key[j] in rank and rank[key[i]] < rank[key[j]])
        if list(value) == key:
            return Score(1.0, True, Text(en="Correct.", ko="정답입니다."))
        return Score(
            right / total if variant.params.get("scoring") == "pairs" and total else 0.0,
            False,
            Text(en=f"{placed} of {n} steps are in the right place; {right} of {total} pairs are in the right order.",
                 ko=f"{n}단계 중 {placed}단계가 제자리에 있고, {total}쌍 중 {right}쌍의 순서가 맞습니다."),
            details={"placed": placed, "pairs_right": right, "pairs": total},
        )

    @property
    def result_template(self) -> str:
        return "items/ordering/result.html"


def _from_positions(positions: dict[Any, Any], ids: list[str]) -> list[str]:
    """The web form's ``{option id: "position"}`` as the list of ids, first step first."""
    if set(positions) != set(ids) or any(not str(p).strip() for p in positions.values()):
        raise AnswerError(Text(en="Give every step a position.", ko="모든 단계에 순서를 정하세요."))
    numbers: dict[str, int] = {}
    for step, position in positions.items():
        text = str(position).strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= len(ids):
            raise AnswerError(Text(en=f"Positions are numbers from 1 to {len(ids)}.",
                                   ko=f"순서는 1부터 {len(ids)}까지의 번호입니다."))
        numbers[step] = int(text)
    taken = sorted(numbers.values())
    twice = next((p for p, q in zip(taken, taken[1:], strict=False) if p == q), None)
    if twice is not None:
        raise AnswerError(Text(en=f"Two steps have position {twice}; give each position to one step.",
                               ko=f"두 단계가 같은 순서({twice})입니다. 순서마다 한 단계만 고르세요."))
    return sorted(numbers, key=numbers.__getitem__)
