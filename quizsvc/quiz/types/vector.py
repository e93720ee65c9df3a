"""Vector/matrix answers: the shape must match, then every entry is checked with the tolerance.

Input forms: ``[1, 2, 3]``, ``1, 2, 3``, ``1 2 3``; matrices as ``[[1, 2], [3, 4]]`` or rows
separated by ``;`` or new lines. With ``partial_credit`` the fraction of right entries counts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from quizsvc.quiz.base import (
    MAX_ANSWER_ENTRIES,
    MAX_ANSWER_TEXT,
    AnswerError,
    ItemSpec,
    Score,
    Variant,
)
from quizsvc.quiz.numbers import normalize_text, parse_number, within_tolerance
from quizsvc.quiz.registry import question_type
from quizsvc.quiz.types.computed import ComputedType
from quizsvc.text import Text


def _split_row(row: str) -> list[str]:
    row = row.strip().strip("[]").strip()
    return [p for p in re.split(r"[,\s]+", row) if p]


def parse_vector(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        rows = raw
    elif isinstance(raw, str):
        text = normalize_text(raw).replace("，", ",")
        if not text:
            raise AnswerError(Text(en="The answer is empty.", ko="답이 비어 있습니다."))
        if len(text) > MAX_ANSWER_TEXT:
            raise AnswerError(Text(en="That answer is too long.", ko="입력이 너무 깁니다."))
        # "[[1, 2], [3, 4]]", or the rows without the outer brackets: "[1, 2], [3, 4]"
        if text.startswith("[[") or re.search(r"\]\s*,?\s*\[", text):
            try:
                rows = json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: '[[[[...' nested too deep
                rows = [_split_row(r) for r in re.split(r"\]\s*,?\s*\[", text.strip("[]"))]
        elif ";" in text or "\n" in text:
            rows = [_split_row(r) for r in re.split(r"[;\n]", text.strip("[]")) if r.strip()]
        else:
            rows = _split_row(text)
    else:
        raise AnswerError(Text(en="Enter a list of numbers, e.g. [1, 2, 3].", ko="숫자 목록을 입력하세요. 예: [1, 2, 3]"))
    value = _numbers(rows)
    arr = np.asarray(value, dtype=float)
    if arr.size == 0:
        raise AnswerError(Text(en="The answer is empty.", ko="답이 비어 있습니다."))
    if arr.size > MAX_ANSWER_ENTRIES:
        raise AnswerError(Text(en="Too many entries.", ko="항목이 너무 많습니다."))
    return value


def _numbers(rows: Any) -> list[Any]:
    if not isinstance(rows, list):
        raise AnswerError(Text(en="Enter a list of numbers.", ko="숫자 목록을 입력하세요."))
    if rows and all(isinstance(r, list) for r in rows):
        out = [[parse_number(x) for x in r] for r in rows]
        if len({len(r) for r in out}) != 1:
            raise AnswerError(Text(en="The rows have different lengths.", ko="행마다 길이가 다릅니다."))
        return out
    if any(isinstance(r, list) for r in rows):
        raise AnswerError(Text(en="The matrix is malformed.", ko="행렬의 형식이 잘못되었습니다."))
    return [parse_number(x) for x in rows]


@question_type
class Vector(ComputedType):
    name = "vector"
    label = Text(en="Vector / matrix", ko="벡터/행렬")
    menu_order = 40
    starter = {"compute": {"fn": "batch_normalize", "args": {"x": [10, 20, 30, 40]}},
               "tolerance": {"atol": 0.001}, "partial_credit": True}
    presets = {"fixed": (Text(en="Vector, fixed answer", ko="벡터, 고정 정답"),
                         {"answer": [1, 2, 3], "tolerance": {"atol": 0.001}, "partial_credit": True})}
    answer_description = "vector: a vector or matrix, as a list, a list of rows or text"

    def answer_schema(self) -> dict[str, Any]:
        number = [{"type": "string"}, {"type": "number"}]  # text ('3/4') or a JSON number
        row = {"type": "array", "items": {"anyOf": number}}
        return {"anyOf": [
            {"type": "string", "maxLength": MAX_ANSWER_TEXT},
            {"type": "array", "maxItems": MAX_ANSWER_ENTRIES, "items": {"anyOf": [*number, row]}},
        ]}

    def validate(self, spec: ItemSpec) -> list[str]:
        return self.validate_computed(spec)

    def validate_key(self, key: Any) -> list[str]:
        if not isinstance(key, list):
            return ["compute returns a single number: use the numeric type"]
        return []

    def validate_fixed_key(self, key: Any) -> list[str]:
        if not isinstance(key, list):
            return ["answer is a single number: use the numeric type, or write a list"]
        return []

    def parse(self, raw: Any, variant: Variant) -> Any:
        return parse_vector(raw)

    def score(self, value: Any, variant: Variant) -> Score:
        key = np.asarray(variant.key, dtype=float)
        ans = np.asarray(value, dtype=float)
        if ans.shape != key.shape:
            want = "×".join(str(s) for s in key.shape)
            got = "×".join(str(s) for s in ans.shape)
            return Score(
                0.0,
                False,
                Text(en=f"Wrong shape: expected {want}, got {got}.",
                     ko=f"모양이 다릅니다: {want}이어야 하는데 {got}입니다."),
                details={"expected_shape": list(key.shape), "shape": list(ans.shape)},
            )
        tol = variant.params["tolerance"]
        ok = np.array(
            [within_tolerance(float(a), float(b), tol) for a, b in zip(ans.ravel(), key.ravel(), strict=True)]
        )
        n_ok, n = int(ok.sum()), ok.size
        if n_ok == n:
            return Score(1.0, True, Text(en="Correct.", ko="정답입니다."))
        wrong = [int(i) + 1 for i in np.flatnonzero(~ok)][:10]
        fraction = n_ok / n if variant.params.get("partial_credit") else 0.0
        return Score(
            fraction,
            False,
            Text(
                en=f"{n_ok} of {n} entries are right. Wrong at position(s): {', '.join(map(str, wrong))}",
                ko=f"{n}개 중 {n_ok}개가 맞습니다. 틀린 위치: {', '.join(map(str, wrong))}",
            ),
            details={"right": n_ok, "total": n},
        )
