"""Grade one submission: run its calls in the runner, judge outputs here, diagnose, score."""

from __future__ import annotations

import time

from quizsvc.grading import registry
from quizsvc.grading.assignment import Assignment, Mistake
from quizsvc.grading.cases import Case, ExtractError, Verdict, localised
from quizsvc.grading.diagnosis import explain
from quizsvc.grading.notebook import NotebookError, extract_code
from quizsvc.grading.result import CaseResult, Diagnosis, GradeResult, Text, hidden_message
from quizsvc.grading.runner import Runner, RunOutcome, default_runner
from quizsvc.grading.symptoms import describe_symptoms

STDOUT_SHOWN = 500  # characters of a visible case's printed output echoed back


def grade_source(
    slug: str,
    source: str,
    *,
    filename: str = "solution.py",
    runner: Runner | None = None,
    include_hidden: bool = True,
    language: str = "en",
) -> GradeResult:
    """Grade ``source`` (a .py text, or an .ipynb document when ``filename`` ends in .ipynb).

    Every student-facing text is in ``language``, "en" or "ko" (instructor-only ``private``
    fields stay English)."""
    started = time.perf_counter()
    assignment = registry.get(slug)
    notes: list[Text] = []
    if filename.endswith(".ipynb"):
        try:
            source, notebook_notes = extract_code(source)
            notes = [localised(note) for note in notebook_notes]
        except NotebookError as exc:
            source = f"raise SyntaxError({str(exc)!r})\n"
        filename = filename[: -len(".ipynb")] + ".py"
    cases = [c for c in assignment.cases if include_hidden or c.visible]
    outcome = (runner or default_runner()).run(source, assignment.program(cases),
                                               filename=filename)
    verdicts = {c.name: _judge(c, outcome, assignment) for c in cases}
    explanations, seen = explain(assignment, cases, verdicts, outcome)
    case_mistake: dict[str, Mistake] = {}
    for explanation in explanations:
        for name in explanation.explained:
            case_mistake.setdefault(name, explanation.mistake)
    results = [_case_result(c, verdicts[c.name], outcome, case_mistake.get(c.name), language)
               for c in cases]
    diagnoses = [
        Diagnosis(e.mistake.key, e.mistake.title[language], e.mistake.hint[language], e.explained)
        for e in explanations
    ]
    if seen is not None and not explanations:
        diagnoses += [Diagnosis(s.key, s.title.get(language), s.text.get(language), s.cases,
                                "symptom") for s in describe_symptoms(assignment, cases, seen)]
    notes.extend(_run_notes(outcome))
    return GradeResult(slug, language, results, diagnoses, [n.get(language) for n in notes],
                       seconds=time.perf_counter() - started)


def _judge(case: Case, outcome: RunOutcome, assignment: Assignment) -> Verdict:
    if outcome.load_error:
        error = localised(outcome.load_error)
        return Verdict(False, Text(f"could not load the submission: {error.en}",
                                   f"제출물을 불러오지 못했습니다: {error.ko}"), "load")
    try:
        return case.evaluate(outcome, assignment.expected)
    except ExtractError as exc:  # only property judges get here
        return Verdict(False, exc.text, exc.problem)


def _case_result(case: Case, verdict: Verdict, outcome: RunOutcome, mistake: object,
                 language: str) -> CaseResult:
    hint = getattr(mistake, "hint", {}).get(language, "") if mistake else ""
    key = getattr(mistake, "key", None)
    private = {"message": verdict.message or verdict.note.en, "metrics": verdict.metrics,
               "signature": list(verdict.signature)}
    if not case.visible:
        problem = "passed:size1_axes" if verdict.passed and verdict.note.en else verdict.problem
        message = hidden_message(problem, language)
        return CaseResult(case.name, verdict.passed, case.points if verdict.passed else 0.0,
                          case.points, False, message, hint, key, {}, private)
    said = hidden_message(None, language) if verdict.passed else verdict.text.get(language)
    if verdict.passed and verdict.note.en:
        said = f"{said}; {verdict.note.get(language)}"
    lines = [f"{case.summary.get(language)}: {said}"]
    metrics = dict(verdict.metrics)
    if case.gradcheck is not None:
        feedback, errors = case.gradcheck.feedback(outcome)
        if errors:
            metrics["gradient_check_rel_error"] = errors
        if feedback and not verdict.passed:
            lines.append(feedback.get(language))
    printed = _printed(case, outcome)
    if printed:
        lines.append(printed.get(language))
    return CaseResult(case.name, verdict.passed, case.points if verdict.passed else 0.0,
                      case.points, True, "\n".join(lines), hint, key, metrics, private)


def _printed(case: Case, outcome: RunOutcome) -> Text | None:
    chunks, total = [], 0
    for call in case.program.calls:
        result = outcome.outcomes.get(call["id"])
        if result and result.stdout_chars:
            chunks.append(result.stdout)
            total += result.stdout_chars
    if not total:
        return None
    text = "".join(chunks)[:STDOUT_SHOWN]
    if total > len(text):
        return Text(f"Your code printed (showing {len(text)} of {total} characters):\n{text}",
                    f"코드가 출력한 내용 (전체 {total}자 중 {len(text)}자만 표시):\n{text}")
    return Text(f"Your code printed:\n{text}", f"코드가 출력한 내용:\n{text}")


def _run_notes(outcome: RunOutcome) -> list[Text]:
    notes = []
    if outcome.load_error:
        error = localised(outcome.load_error)
        notes.append(Text(f"the submission could not be loaded: {error.en}",
                          f"제출물을 불러오지 못했습니다: {error.ko}"))
        if outcome.load_traceback:
            trace = outcome.load_traceback.rstrip()
            notes.append(Text(trace, trace))
    if outcome.aborted:
        notes.append(localised(outcome.aborted))
    if outcome.stdout_chars > len(outcome.stdout):
        notes.append(Text(f"your code printed {outcome.stdout_chars} characters outside the "
                          "test calls; output is capped",
                          f"테스트 호출 밖에서 코드가 {outcome.stdout_chars}자를 출력했습니다. "
                          "출력은 앞부분만 보관합니다"))
    return notes
