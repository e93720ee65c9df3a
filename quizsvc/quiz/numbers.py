"""Reading numbers the way students type them, and comparing them with tolerances."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from quizsvc.quiz.base import AnswerError
from quizsvc.text import Text

_MINUS = "\u2212\u2012\u2013\u2014\ufe63"  # minus sign and dashes that keyboards produce
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)")
_TIMES_TEN = re.compile(r"^(.*?)\s*[x×*]\s*10\s*\^\s*\(?([+-]?\d+)\)?$")


def normalize_text(raw: str) -> str:
    # NFKC folds full-width digits, dots and signs typed on Korean keyboards (１２．５ -> 12.5).
    text = unicodedata.normalize("NFKC", raw).strip()
    for ch in _MINUS:
        text = text.replace(ch, "-")
    return text.replace(",", "") if _looks_like_thousands(text) else text


def _looks_like_thousands(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text))


def parse_number(raw: Any) -> float:
    """Parse one number: decimals, 2.5e-3, 2.5×10^-3, 3/4, full-width digits. No nan/inf."""
    if isinstance(raw, bool):
        raise AnswerError(Text(en="Enter a number.", ko="숫자를 입력하세요."))
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # a JSON integer beyond float range
            value = math.inf
    else:
        if not isinstance(raw, str):
            raise AnswerError(Text(en="Enter a number.", ko="숫자를 입력하세요."))
        text = normalize_text(raw)
        if not text:
            raise AnswerError(Text(en="The answer is empty: enter a number.", ko="답이 비어 있습니다. 숫자를 입력하세요."))
        if len(text) > 64:
            raise AnswerError(Text(en="That answer is too long for a number.", ko="입력이 너무 깁니다."))
        try:
            value = _parse_text(text)
        except OverflowError:  # 1×10^99999
            value = math.inf
    if not math.isfinite(value):
        raise AnswerError(
            Text(en="Enter a finite number, not nan or inf.", ko="nan이나 inf가 아닌 유한한 숫자를 입력하세요.")
        )
    return value


def _parse_text(text: str) -> float:
    low = text.lower()
    if low.lstrip("+-") in ("nan", "inf", "infinity", "∞"):
        raise AnswerError(
            Text(en="Enter a finite number, not nan or inf.", ko="nan이나 inf가 아닌 유한한 숫자를 입력하세요.")
        )
    if _NUMBER.fullmatch(text):
        return float(text)
    m = _FRACTION.fullmatch(text)
    if m:
        den = int(m.group(2))
        if den == 0:
            raise AnswerError(Text(en="The denominator is 0.", ko="분모가 0입니다."))
        return float(Fraction(int(m.group(1)), den))
    m = _TIMES_TEN.match(text)
    if m and _NUMBER.fullmatch(m.group(1).strip()):
        return float(m.group(1)) * 10.0 ** int(m.group(2))
    raise AnswerError(
        Text(en=f"'{text[:20]}' is not a number. Examples: 0.75, -2.5e-3, 3/4",
             ko=f"'{text[:20]}'은(는) 숫자로 읽을 수 없습니다. 예: 0.75, -2.5e-3, 3/4"),
    )


def within_tolerance(answer: float, key: float, tol: dict[str, Any]) -> bool:
    """``|a - b| <= atol + rtol*|b|`` with b the key, or agreement to ``sigfigs`` digits."""
    if "sigfigs" in tol:
        return round_sig(answer, int(tol["sigfigs"])) == round_sig(key, int(tol["sigfigs"]))
    rtol = float(tol.get("rtol", 0.0))
    atol = float(tol.get("atol", 0.0))
    return abs(answer - key) <= atol + rtol * abs(key)


def round_sig(x: float, digits: int) -> float:
    """Round to ``digits`` significant figures, half away from zero as on paper: in decimal, so
    that 2.675 (2.67499999... in binary) gives 2.68 like the student expects."""
    if x == 0:
        return 0.0
    d = Decimal(repr(float(x)))
    return float(d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=ROUND_HALF_UP))


def validate_tolerance(tol: Any) -> list[str]:
    if not isinstance(tol, dict) or not tol:
        return ["tolerance is missing: give rtol and/or atol, or sigfigs"]
    unknown = set(tol) - {"rtol", "atol", "sigfigs"}
    if unknown:
        return [f"tolerance has unknown keys: {', '.join(sorted(unknown))}"]
    problems = []
    if "sigfigs" in tol:
        if set(tol) != {"sigfigs"}:
            problems.append("tolerance: sigfigs cannot be combined with rtol/atol")
        if not isinstance(tol["sigfigs"], int) or not 1 <= tol["sigfigs"] <= 15:
            problems.append("tolerance: sigfigs must be an integer from 1 to 15")
        return problems
    for k in ("rtol", "atol"):
        if k in tol and (
            not isinstance(tol[k], int | float) or isinstance(tol[k], bool) or tol[k] < 0
        ):
            problems.append(f"tolerance: {k} must be a number >= 0")
    if not problems and float(tol.get("rtol", 0)) == 0 and float(tol.get("atol", 0)) == 0:
        problems.append("tolerance: rtol and atol are both 0, so only an exact float would match")
    return problems


def format_number(x: float, digits: int = 6) -> str:
    """A short display form for keys: 5.385164807 -> '5.38516'."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"
