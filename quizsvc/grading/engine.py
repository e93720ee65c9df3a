"""Grade one submission: run its calls in the runner, judge outputs here, diagnose, score."""

from __future__ import annotations

import ast
import logging
import time

from quizsvc.grading import registry, signatures
from quizsvc.grading.assignment import Assignment, Mistake
from quizsvc.grading.cases import Case, ExtractError, Verdict
from quizsvc.grading.catalog import render
from quizsvc.grading.diagnosis import explain
from quizsvc.grading.intake import Unreadable, python_source
from quizsvc.grading.notebook import cell_lines
from quizsvc.grading.pruning import PARSE_AT_MOST, Locate, prune
from quizsvc.grading.result import CaseResult, Diagnosis, GradeResult, hidden_message
from quizsvc.grading.runner import Runner, RunOutcome, default_runner
from quizsvc.grading.symptoms import describe_symptoms
from quizsvc.sandbox.program import Program
from quizsvc.text import Text

log = logging.getLogger(__name__)
STDOUT_SHOWN = 500  # characters of a visible case's printed output echoed back


def grade_source(
    slug: str | Assignment,
    source: str,
    *,
    filename: str = "solution.py",
    runner: Runner | None = None,
    include_hidden: bool = True,
    language: str = "en",
) -> GradeResult:
    """Grade ``source`` (a .py text, or an .ipynb document when ``filename`` ends in .ipynb).

    Only the required functions and what they use are run (``pruning``); what was skipped is
    said in the notes. Every student-facing text is in ``language``, "en" or "ko"
    (instructor-only ``private`` fields stay English)."""
    started = time.perf_counter()
    assignment = slug if isinstance(slug, Assignment) else registry.get(slug)
    slug = assignment.slug
    cases = [c for c in assignment.cases if include_hidden or c.visible]
    program = assignment.program(cases)
    outcome, load_error, problems = RunOutcome(), None, {}
    try:
        source, notes = python_source(source, filename)
    except Unreadable as exc:  # accepted before it was refused at submission: graded 0
        notes, load_error = [], exc.text
    else:
        cells = None
        if filename.endswith(".ipynb"):
            filename, cells = filename[: -len(".ipynb")] + ".py", cell_lines(source)
        pruned = prune(source, assignment.function_names, filename, cells)
        notes.extend(pruned.notes)
        outcome = (runner or default_runner()).run(pruned.source, program, filename=filename)
        if outcome.load_error:
            load_error = render(outcome.load_error)
        else:
            problems = _call_problems(assignment, program, outcome, pruned.tree, source,
                                      cells)
    verdicts = {c.name: _judge(c, outcome, assignment, load_error) for c in cases}
    explanations, seen = (explain(assignment, cases, verdicts, outcome) if outcome.outcomes
                          else ([], None))
    case_mistake: dict[str, Mistake] = {}
    for explanation in explanations:
        for name in explanation.explained:
            case_mistake.setdefault(name, explanation.mistake)
    results = [_case_result(c, verdicts[c.name], outcome, case_mistake.get(c.name), language,
                            problems) for c in cases]
    diagnoses = [
        Diagnosis(e.mistake.key, e.mistake.title.get(language), e.mistake.hint.get(language), e.explained)
        for e in explanations
    ]
    if seen is not None and not explanations:
        diagnoses += [Diagnosis(s.key, s.title.get(language), s.text.get(language), s.cases,
                                "symptom") for s in describe_symptoms(assignment, cases, seen)]
    notes.extend(problems.values())
    notes.extend(_run_notes(outcome, load_error))
    return GradeResult(slug, language, results, diagnoses, [n.get(language) for n in notes],
                       seconds=time.perf_counter() - started)


def _call_problems(assignment: Assignment, program: Program, outcome: RunOutcome,
                   tree: ast.Module | None, source: str, cells: Locate | None) -> dict[str, Text]:
    """What keeps the tests from calling a required function whose calls raised (missing,
    misspelt, other parameters); parsed only then, as passing submissions need none of it."""
    failed = {call["fn"] for call in program.calls
              if (result := outcome.outcomes.get(call["id"])) is not None
              and not result.ok and result.kind == "exception"}
    if not failed:
        return {}
    if tree is None:
        if len(source) > PARSE_AT_MOST:
            return {}
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {}
    try:
        return signatures.problems(assignment.functions, program, tree, failed, cells)
    except Exception:  # feedback only: never worth failing the grade over
        log.exception("signature check failed")
        return {}


def _judge(case: Case, outcome: RunOutcome, assignment: Assignment,
           load_error: Text | None) -> Verdict:
    if load_error is not None:
        return Verdict(False, Text(en=f"could not load the submission: {load_error.en}",
                                   ko=f"제출물을 불러오지 못했습니다: {load_error.ko}"), "load")
    try:
        return case.evaluate(outcome, assignment.expected)
    except ExtractError as exc:  # only property judges get here
        return Verdict(False, exc.text, exc.problem)


def _case_result(case: Case, verdict: Verdict, outcome: RunOutcome, mistake: Mistake | None,
                 language: str, problems: dict[str, Text]) -> CaseResult:
    hint = mistake.hint.get(language) if mistake else ""
    key = mistake.key if mistake else None
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
    if not verdict.passed:  # each function this case calls that cannot be called as it is
        lines += [problems[fn].get(language)
                  for fn in dict.fromkeys(call["fn"] for call in case.program.calls)
                  if fn in problems]
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
        return Text(en=f"Your code printed (showing {len(text)} of {total} characters):\n{text}",
                    ko=f"코드가 출력한 내용 (전체 {total}자 중 {len(text)}자만 표시):\n{text}")
    return Text(en=f"Your code printed:\n{text}", ko=f"코드가 출력한 내용:\n{text}")


def _run_notes(outcome: RunOutcome, load_error: Text | None) -> list[Text]:
    notes = []
    if load_error is not None:
        notes.append(Text(en=f"the submission could not be loaded: {load_error.en}",
                          ko=f"제출물을 불러오지 못했습니다: {load_error.ko}"))
        if outcome.load_traceback:
            trace = outcome.load_traceback.rstrip()
            notes.append(Text(en=trace, ko=trace))
    if outcome.aborted:
        notes.append(render(outcome.aborted))
    if outcome.stdout_chars > len(outcome.stdout):
        notes.append(Text(en=f"your code printed {outcome.stdout_chars} characters outside the "
                          "test calls; output is capped",
                          ko=f"테스트 호출 밖에서 코드가 {outcome.stdout_chars}자를 출력했습니다. "
                          "출력은 앞부분만 보관합니다"))
    return notes
