"""A stored result as its reader may see it: JSON (hidden cases' details kept out for
students), JUnit XML or Gradescope's JSON."""

from __future__ import annotations

from typing import Any

from quizsvc.grading.result import result_from_dict
from quizsvc.models import Submission, SubmissionStatus


def public_result(sub: Submission, *, staff: bool = False) -> dict[str, Any]:
    """The stored result as the student may see it (hidden cases' details stay out)."""
    if sub.status != SubmissionStatus.GRADED:
        return {}
    if staff:
        return dict(sub.result)
    return result_from_dict(sub.result).to_dict(include_private=False)


def formatted_result(sub: Submission, fmt: str) -> str | dict[str, Any]:
    res = result_from_dict(sub.result)
    if fmt == "junit":
        return res.to_junit()
    if fmt == "gradescope":
        out = res.to_gradescope()
        if sub.score is not None and sub.late_days:
            out["score"] = sub.score
            out.setdefault("output", f"late by {sub.late_days} day(s): penalty applied")
        return out
    return res.to_dict(include_private=False)
