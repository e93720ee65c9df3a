"""Why a required function could not be called: missing, misspelt, or other parameters.

Decided statically on the trusted side, from three facts: the signature each function has in
the statement (:class:`FunctionSpec`), how many positional arguments the tests pass, and what
the student's file defines. No exception text from the sandbox is parsed. The feedback quotes
the expected signature, in both languages.
"""

from __future__ import annotations

import ast
import difflib

from quizsvc.grading.assignment import FunctionSpec
from quizsvc.grading.pruning import Locate, main_only, module_bindings, place
from quizsvc.sandbox.program import Program
from quizsvc.text import Text


def _parameters(args: ast.arguments) -> str:
    positional = [*args.posonlyargs, *args.args]
    defaults = len(args.defaults)
    names = [a.arg + ("=…" if i >= len(positional) - defaults else "")
             for i, a in enumerate(positional)]
    if args.vararg:
        names.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        names.append("*")
    names += [a.arg + ("=…" if d is not None else "")
              for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg:
        names.append(f"**{args.kwarg.arg}")
    return ", ".join(names)


def _accepts(args: ast.arguments, count: int) -> bool:
    """Can ``count`` positional arguments (and no keywords) bind to these parameters?"""
    positional = len(args.posonlyargs) + len(args.args)
    if any(d is None for d in args.kw_defaults):
        return False  # a keyword-only parameter without a default is never given
    return positional - len(args.defaults) <= count and (count <= positional
                                                         or args.vararg is not None)


def _expected(spec: FunctionSpec) -> Text:
    return Text(en=f"expected: {spec.signature}", ko=f"기대하는 형태: {spec.signature}")


def problems(functions: list[FunctionSpec], program: Program, tree: ast.Module,
             failed: set[str], cells: Locate | None = None) -> dict[str, Text]:
    """Function name -> what is wrong with its definition, for the functions in ``failed``
    (whose calls raised) that are missing or cannot take the tests' calls. ``cells``: where
    the lines of a notebook's code are in the notebook."""
    counts: dict[str, set[int]] = {}
    for call in program.calls:
        counts.setdefault(call["fn"], set()).add(len(call.get("args", [])))
    bindings = module_bindings(tree)
    required = {spec.name for spec in functions}
    defined = {s.name: s.lineno for s in tree.body  # what a misspelt name may be
               if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name not in required}
    found: dict[str, Text] = {}
    for spec in functions:
        if spec.name not in failed:
            continue
        binders = bindings.get(spec.name)
        if not binders:
            found[spec.name] = _missing(spec, defined, main_only(tree).get(spec.name), cells)
            continue
        last = binders[-1]
        if not isinstance(last, ast.FunctionDef | ast.AsyncFunctionDef) or last.decorator_list:
            continue  # bound some other way: Python's own error message says enough
        wrong = sorted(n for n in counts.get(spec.name, ()) if not _accepts(last.args, n))
        if wrong:
            given = " or ".join(str(n) for n in wrong)
            mine = f"{spec.name}({_parameters(last.args)})"
            expected, at = _expected(spec), place(last.lineno, last.lineno, cells)
            found[spec.name] = Text(
                en=f"Your {mine} ({at.en}) cannot take the tests' calls, which pass "
                f"{given} positional argument(s); {expected.en}",
                ko=f"작성한 {mine} ({at.ko})은(는) 위치 인자 {given}개를 넘기는 테스트 "
                f"호출을 받을 수 없습니다. {expected.ko}")
    return found


def _missing(spec: FunctionSpec, defined: dict[str, int], main_line: int | None,
             cells: Locate | None) -> Text:
    expected = _expected(spec)
    if main_line is not None:
        at = place(main_line, main_line, cells)
        return Text(en=f"{spec.name} is defined only under if __name__ == \"__main__\": ({at.en}"
                    "), which does not run when your file is graded; define it at the top "
                    f"level. {expected.en}",
                    ko=f"{spec.name} 함수가 if __name__ == \"__main__\": 블록({at.ko}) 안에만 "
                    f"정의되어 있는데, 이 블록은 채점할 때 실행되지 않습니다. 최상위에 정의하세요. "
                    f"{expected.ko}")
    lowered = {name.lower(): name for name in defined}
    close = difflib.get_close_matches(spec.name, list(defined), n=1, cutoff=0.6) or [
        lowered[n] for n in difflib.get_close_matches(spec.name.lower(), list(lowered), n=1,
                                                      cutoff=0.6)]
    if close:
        name = close[0]
        at = place(defined[name], defined[name], cells)
        return Text(en=f"{spec.name} is not defined in your file; did you mean {name} ({at.en})? "
                    f"{expected.en}",
                    ko=f"파일에 {spec.name} 함수가 정의되어 있지 않습니다. {name} ({at.ko})"
                    f"을(를) 뜻했나요? {expected.ko}")
    return Text(en=f"{spec.name} is not defined in your file; {expected.en}",
                ko=f"파일에 {spec.name} 함수가 정의되어 있지 않습니다. {expected.ko}")
