"""Building a package into what the grader needs, in the sandbox.

Everything a package supplies runs in the same sandbox as a student's submission: cases.py
(with gradekit) makes the cases, reference.py gives the expected outputs, each known mistake
(and each pair of them that can be made together) gives the outputs diagnosis recognises.
The trusted side only validates data and compares arrays. The result depends only on the
package's content, so it is built once per version (see ``store``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from quizsvc.grading.assignment import Mistake, composed, patched, with_numpy
from quizsvc.grading.cases import Case
from quizsvc.grading.catalog import render
from quizsvc.grading.package.files import PackageError, Problem
from quizsvc.grading.package.loading import Package
from quizsvc.grading.package.specs import cases_from_wire
from quizsvc.grading.runner import Runner
from quizsvc.sandbox.program import Program
from quizsvc.sandbox.records import RunOutcome
from quizsvc.text import Text

CASES_CALL = "gradekit/cases"
CHUNK = 64  # arrays per returned list: the sandbox sends at most 64 items per container


def kit_source() -> str:
    return resources.files("quizsvc.authoring").joinpath("gradekit.py").read_text(encoding="utf-8")


def cases_job(cases_source: str | None, cases_data: str | None = None) -> str:
    """The source the sandbox loads to make the cases: gradekit and cases.py as modules, and
    one function that sends the cases (cases.toml's, then cases.py's) back as a JSON document
    (bytes as uint8) and arrays."""
    return (
        "import sys as _sys\nimport types as _types\n\n"
        "def _module(name, source, filename):\n"
        "    module = _types.ModuleType(name)\n"
        "    module.__file__ = filename\n"
        "    _sys.modules[name] = module\n"
        "    exec(compile(source, filename, 'exec'), module.__dict__)\n"
        "    return module\n\n"
        f"_kit = _module('gradekit', {kit_source()!r}, 'gradekit.py')\n"
        f"_source, _data = {cases_source!r}, {cases_data!r}\n"
        "_cases = None if _source is None else _module('cases', _source, 'cases.py')\n\n"
        "def __gradekit_cases__():\n"
        "    import numpy as np\n"
        "    specs = []\n"
        "    if _data is not None:\n"
        "        import tomllib\n"
        "        specs += _kit.data_cases(tomllib.loads(_data))\n"
        "    if _cases is not None:\n"
        "        specs += list(_cases.cases())\n"
        "    document, arrays = _kit.encode_cases(specs)\n"
        f"    chunks = [arrays[i:i + {CHUNK}] for i in range(0, len(arrays), {CHUNK})]\n"
        "    return np.frombuffer(document, dtype=np.uint8).copy(), chunks\n"
    )


def _failure(outcome: RunOutcome, call_id: str) -> Text | None:
    """Why a run or one of its calls failed, with the package code's traceback; None if ok."""
    if outcome.aborted is not None:
        return render(outcome.aborted)
    if outcome.load_error is not None:
        text = render(outcome.load_error)
        trace = f"\n{outcome.load_traceback.rstrip()}" if outcome.load_traceback else ""
        return Text(en=text.en + trace, ko=text.ko + trace)
    result = outcome.outcomes.get(call_id)
    if result is None:
        return Text(en="not run", ko="실행되지 않았습니다")
    if not result.ok:
        text = render(result.error) if result.error else Text(en="failed", ko="실패했습니다")
        trace = f"\n{result.traceback.rstrip()}" if result.traceback else ""
        return Text(en=text.en + trace, ko=text.ko + trace)
    return None


def _cases_file(package: Package) -> str:
    return "cases.py" if "cases.py" in package.files.contents else "cases.toml"


def run_cases(package: Package, runner: Runner) -> tuple[bytes, list[np.ndarray]]:
    """Run cases.py in the sandbox: the cases as a JSON document and the arrays it names."""
    program = Program([{"id": CASES_CALL, "fn": "__gradekit_cases__", "args": []}], {})
    files = package.files.contents
    job = cases_job(package.text("cases.py") if "cases.py" in files else None,
                    package.text("cases.toml") if "cases.toml" in files else None)
    outcome = runner.run(job, program, filename="cases.py")
    failed = _failure(outcome, CASES_CALL)
    if failed is not None:
        raise PackageError([Problem(Text(en=f"making the cases failed: {failed.en}",
                                         ko=f"케이스를 만들지 못했습니다: {failed.ko}"), _cases_file(package))])
    value = outcome.outcomes[CASES_CALL].value
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], np.ndarray)
            and isinstance(value[1], list)):
        raise PackageError([Problem(Text(en="cases() returned something else than cases",
                                         ko="cases()가 케이스가 아닌 것을 돌려주었습니다"), "cases.py")])
    arrays = [a for chunk in value[1] if isinstance(chunk, list) for a in chunk]
    if not all(isinstance(a, np.ndarray) for a in arrays):
        raise PackageError([Problem(Text(en="cases() sent a value that is not an array",
                                         ko="cases()가 배열이 아닌 값을 보냈습니다"), "cases.py")])
    return value[0].astype(np.uint8).tobytes(), arrays


def mistakes_of(package: Package) -> list[Mistake]:
    made, problems = [], []
    for entry in package.mistakes.mistake:
        title = Text(en=entry.title.en, ko=entry.title.ko)
        hint = Text(en=entry.hint.en, ko=entry.hint.ko)
        if entry.file is not None:
            made.append(Mistake(entry.key, title, hint, package.text(entry.file)))
            continue
        base = package.text(f"solutions/{entry.base}")
        try:
            source = with_numpy(patched(base, *entry.patches))
        except ValueError as exc:
            problems.append(Problem(Text(en=str(exc), ko=f"패치를 적용할 수 없습니다: {exc}"),
                                    "mistakes.toml", entry.key))
            continue
        made.append(Mistake(entry.key, title, hint, source, base, tuple(entry.patches)))
    if problems:
        raise PackageError(problems)
    return made


@dataclass
class Built:
    """A version's cases and the outputs of the reference and of every known mistake."""

    cases: list[Case]
    document: bytes  # the cases as cases.py sent them (the cache keeps these, not objects)
    arrays: list[np.ndarray]
    expected: RunOutcome
    mistakes: list[Mistake]
    variants: dict[str, RunOutcome] = field(default_factory=dict)
    pairs: dict[tuple[str, str], RunOutcome] = field(default_factory=dict)


def whole_program(cases: list[Case]) -> Program:
    program = Program()
    for case in cases:
        program.extend(case.program)
    return program


def build(package: Package, runner: Runner) -> Built:
    """Run the package's code in the sandbox; PackageError says what failed, and where."""
    document, arrays = run_cases(package, runner)
    cases = cases_from_wire(document, arrays, package.manifest)
    program = whole_program(cases)
    expected = runner.run(package.text("reference.py"), program, filename="reference.py")
    problems = []
    for case in cases:
        for call in case.program.calls:
            failed = _failure(expected, call["id"])
            if failed is not None:
                problems.append(Problem(Text(en=f"the reference fails: {failed.en}",
                                             ko=f"참조 구현이 실패합니다: {failed.ko}"),
                                        "reference.py", case.name))
                break
        if expected.aborted is not None or expected.load_error is not None:
            break
        if case.judge is not None and not problems:
            verdict = case.judge(expected)  # the reference must have the properties it judges
            if not verdict.passed:
                problems.append(Problem(Text(en=f"the reference fails its own judge: {verdict.text.en}",
                                             ko=f"참조 구현이 자기 판정을 통과하지 못합니다: {verdict.text.ko}"),
                                        "cases.py", case.name))
    if problems:
        raise PackageError(problems)
    mistakes = mistakes_of(package)
    built = Built(cases, document, arrays, expected, mistakes)
    for mistake in mistakes:
        built.variants[mistake.key] = runner.run(mistake.source, program,
                                                 filename=f"mistake_{mistake.key}.py")
    for first, second in itertools.combinations(mistakes, 2):
        source = composed(first, second)
        if source is not None:
            built.pairs[(first.key, second.key)] = runner.run(
                source, program, filename=f"mistakes_{first.key}_{second.key}.py")
    return built
