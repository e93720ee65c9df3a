"""The one bilingual text type: keyword-only, and every literal pair in the code the right way round."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from quizsvc.errors import Invalid, not_found
from quizsvc.quiz.base import AnswerError
from quizsvc.text import Text

PACKAGE = Path(__file__).resolve().parent.parent / "quizsvc"
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def test_text_is_keyword_only_so_a_swapped_pair_cannot_pass_silently() -> None:
    with pytest.raises(TypeError):
        Text(*("Correct.", "정답입니다."))  # type: ignore[call-arg]  # the mistake under test
    text = Text(ko="정답입니다.", en="Correct.")
    assert (text.get("ko"), text.get("en"), str(text)) == ("정답입니다.", "Correct.", "Correct.")
    assert Text.from_dict(text.as_dict()) == text and text.as_dict() == {"ko": "정답입니다.", "en": "Correct."}


def test_errors_carry_a_text() -> None:
    exc = not_found(Text(en="Quiz", ko="퀴즈"))
    assert (exc.message.en, exc.message.ko, str(exc)) == (
        "Quiz not found.", "퀴즈을(를) 찾을 수 없습니다.", "Quiz not found.")
    assert Invalid(Text(en="Bad.", ko="잘못됨."), field="x").details == {"field": "x"}
    assert AnswerError(Text(en="Empty.", ko="비어 있음.")).message.ko == "비어 있음."


def _literal(node: ast.expr) -> str | None:
    """The constant text of a string or f-string argument (placeholders dropped), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    return None


def _text_calls(source: str, where: str) -> list[tuple[str, int, dict[str, str | None]]]:
    calls = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Text":
            kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
            if set(kwargs) >= {"en", "ko"}:
                calls.append((where, node.lineno, kwargs))
    return calls


def _wrong_way_round(calls: list[tuple[str, int, dict[str, str | None]]]) -> list[str]:
    wrong = []
    for where, line, kw in calls:
        en, ko = kw["en"], kw["ko"]
        if en is not None and HANGUL.search(en):
            wrong.append(f"{where}:{line}: Korean in en=")
        if ko is not None and ko != en and LATIN_WORD.search(ko) and not HANGUL.search(ko):
            wrong.append(f"{where}:{line}: English but no Korean in ko=")
    return wrong


def test_every_literal_text_has_english_in_en_and_korean_in_ko() -> None:
    calls = [call for path in sorted(PACKAGE.rglob("*.py"))
             for call in _text_calls(path.read_text(), str(path.relative_to(PACKAGE)))]
    assert len(calls) > 200  # the scan sees the code base (grading, quiz types, errors)
    wrong = _wrong_way_round(calls)
    assert not wrong, "\n".join(wrong)


def test_the_guard_catches_a_swapped_pair() -> None:
    source = 'Text(en="Correct.", ko="정답입니다.")\nText(en=f"정답 {n}", ko=f"Correct {n}")\n'
    assert _wrong_way_round(_text_calls(source, "x.py")) == [
        "x.py:2: Korean in en=", "x.py:2: English but no Korean in ko="]
