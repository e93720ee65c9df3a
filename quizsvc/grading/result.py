"""The result of grading one submission: per-case results, diagnoses, score.

Student-facing fields never contain a hidden case's inputs, expected values, printed output or
exception text (any of these can echo hidden inputs); those go to ``private`` only, which the
serialisers leave out unless asked for an instructor view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# What a hidden case says, in the student's language: never more than the kind of failure.
HIDDEN_MESSAGES: dict[str, dict[str | None, str]] = {
    "en": {
        None: "passed",
        "values": "failed: the output differs from the expected values",
        "shape": "failed: the output has the wrong shape",
        "dtype": "failed: the output has a non-numeric dtype",
        "type": "failed: the output has the wrong type",
        "nonfinite": "failed: the output contains NaN or infinite values",
        "exception": "failed: your code raised an exception",
        "timeout": "failed: time limit exceeded",
        "not_run": "failed: not run (the submission stopped earlier)",
        "property": "failed: the output does not have the required properties",
        "load": "failed: the submission could not be loaded",
        "modified": "failed: your code modified an input array in place",
        "shared": "failed: the returned array shares memory with an input; return a new array",
        "size1_axes": "failed: an output's shape differs from the expected one by axes of size 1, "
                      "and this assignment requires the exact shape",
        "passed:size1_axes": "passed (an output's shape differs from the expected one only by "
                             "axes of size 1: accepted)",
    },
    "ko": {
        None: "통과",
        "values": "실패: 출력값이 기대값과 다릅니다",
        "shape": "실패: 출력의 모양(shape)이 다릅니다",
        "dtype": "실패: 출력의 dtype이 숫자형이 아닙니다",
        "type": "실패: 출력의 타입이 다릅니다",
        "nonfinite": "실패: 출력에 NaN 또는 무한대 값이 있습니다",
        "exception": "실패: 코드에서 예외가 발생했습니다",
        "timeout": "실패: 시간 제한을 넘었습니다",
        "not_run": "실패: 실행되지 않았습니다 (제출물이 그 전에 멈췄습니다)",
        "property": "실패: 출력이 요구되는 성질을 만족하지 않습니다",
        "load": "실패: 제출물을 불러오지 못했습니다",
        "modified": "실패: 코드가 입력 배열을 제자리에서(in place) 바꿨습니다",
        "shared": "실패: 반환한 배열이 입력과 메모리를 공유합니다. 새 배열을 반환하세요",
        "size1_axes": "실패: 출력의 모양(shape)이 크기 1인 축만큼 다르고, 이 과제는 정확한 "
                      "모양을 요구합니다",
        "passed:size1_axes": "통과 (출력의 모양이 크기 1인 축만 달라서 인정했습니다)",
    },
}


def hidden_message(problem: str | None, language: str) -> str:
    messages = HIDDEN_MESSAGES.get(language, HIDDEN_MESSAGES["en"])
    return messages.get(problem, messages["values"])


def _plain(value: Any) -> Any:
    """A copy of nested dicts/lists/tuples (as asdict makes it), leaves shared."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


@dataclass
class Diagnosis:
    """A known mistake recognised in the submission (kind "mistake"), or, when none explains it,
    what is observed about one wrong output (kind "symptom", key "symptom:<output>")."""

    key: str
    title: str
    hint: str  # in the requested language
    cases: list[str]  # names of the failing cases it explains
    kind: str = "mistake"


@dataclass
class CaseResult:
    name: str
    passed: bool
    points: float
    max_points: float
    visible: bool
    message: str
    hint: str = ""
    mistake: str | None = None  # key of the recognised mistake, if any
    metrics: dict[str, Any] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)  # instructor-only details

    def public_dict(self) -> dict[str, Any]:
        data = self.to_dict()
        data.pop("private")
        return data

    def to_dict(self, *, copy: bool = True) -> dict[str, Any]:
        # asdict() deep-copies every metric through its generic machinery: 5x slower.
        # copy=False shares the nested metrics (for a dict that is serialised at once).
        metrics, private = (_plain(self.metrics), _plain(self.private)) if copy else (self.metrics, self.private)
        return {"name": self.name, "passed": self.passed, "points": self.points,
                "max_points": self.max_points, "visible": self.visible,
                "message": self.message, "hint": self.hint, "mistake": self.mistake,
                "metrics": metrics, "private": private}


@dataclass
class GradeResult:
    assignment: str
    language: str
    cases: list[CaseResult]
    diagnoses: list[Diagnosis] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "ignored 2 IPython magic lines"
    seconds: float = 0.0

    @property
    def max_score(self) -> float:
        return float(sum(c.max_points for c in self.cases))

    @property
    def score(self) -> float:
        if self.all_passed:
            return self.max_score  # snap: no 0.9999999998 for full marks
        return float(round(sum(c.points for c in self.cases), 6))

    @property
    def all_passed(self) -> bool:
        return all(c.passed for c in self.cases)

    @property
    def mistake_keys(self) -> list[str]:
        """The known mistakes named (symptoms left out)."""
        return [d.key for d in self.diagnoses if d.kind == "mistake"]

    def to_dict(self, *, include_private: bool = False, copy: bool = True) -> dict[str, Any]:
        """Plain data; ``copy=False`` shares nested metrics with this object (only for a dict
        that is serialised at once and dropped: the stored result of a submission)."""
        return {
            "assignment": self.assignment,
            "language": self.language,
            "score": self.score,
            "max_score": self.max_score,
            "passed": self.all_passed,
            "cases": [c.to_dict(copy=copy) if include_private else c.public_dict() for c in self.cases],
            "diagnoses": [asdict(d) for d in self.diagnoses],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 4),
        }

    def to_json(self, *, include_private: bool = False, indent: int | None = 2) -> str:
        from quizsvc.grading.serialize import to_json

        return to_json(self, include_private=include_private, indent=indent)

    def to_junit(self) -> str:
        from quizsvc.grading.serialize import to_junit

        return to_junit(self)

    def to_gradescope(self, *, hidden_visibility: str = "after_published") -> dict[str, Any]:
        from quizsvc.grading.serialize import to_gradescope

        return to_gradescope(self, hidden_visibility=hidden_visibility)

    def to_table(self) -> str:
        from quizsvc.grading.serialize import to_table

        return to_table(self)


def result_from_dict(data: dict[str, Any]) -> GradeResult:
    """Rebuild a result stored with ``to_dict(include_private=True)`` (for re-serialising)."""
    cases = [CaseResult(**{k: v for k, v in c.items() if k in CaseResult.__dataclass_fields__})
             for c in data.get("cases", [])]
    diagnoses = [Diagnosis(**d) for d in data.get("diagnoses", [])]
    return GradeResult(data["assignment"], data.get("language", "en"), cases, diagnoses,
                       list(data.get("notes", [])), float(data.get("seconds", 0.0)))
