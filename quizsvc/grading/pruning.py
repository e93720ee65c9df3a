"""Grade the required functions and what they use; skip the rest of a student's file.

Students submit whole files: a course helper module (``from cs231n.layers import *``),
plotting, a training loop at top level. Run as they are, one such line fails the load and every
case with it. So before the job is sent, the trusted side keeps, by static analysis:

- every import of a module the sandbox has (:data:`AVAILABLE`: NumPy and the standard
  library), docstrings and ``pass``;
- each top-level statement that binds a required function's name, and transitively each one
  that binds a name kept code reads as a global (helper functions, constants and classes, also
  through decorators, default values and class bases) or changes the object it names in place
  (``TABLE[k] = v`` in a loop, ``TABLE.update(...)``).

Everything else is blanked out where it stands, so line numbers (tracebacks) stay the
student's own, and listed in a note. An import of a module the sandbox does not have is
always skipped; if kept code uses a name it would have bound, a note says so (the call then
fails with a NameError naming it).

A file made only of available imports, plain definitions, strings and simple constants is sent
as it is, without parsing: that is most files, and the analysis costs one to three milliseconds
of the grading's few (the references of bench/grading_latency.py took 2-3 ms more each before
constants and late docstrings were recognised). So is a file
larger than :data:`PARSE_AT_MOST`: parsing it would cost more than running it.
"""

from __future__ import annotations

import ast
import builtins
import logging
import re
import symtable
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from quizsvc.grading.notebook import without_broken_cells
from quizsvc.text import Text

log = logging.getLogger(__name__)
# What a submission may import: what the sandbox's interpreter has. The grader's own packages
# are blocked there (sandbox/inside/import_block.py) and are not in this set either.
AVAILABLE = frozenset(sys.stdlib_module_names) | {"numpy"}
_MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__builtins__", "__spec__",
                           "__loader__", "__package__", "__annotations__"})
_BUILTINS = frozenset(dir(builtins)) | _MODULE_NAMES
# Lines that start a top-level statement a plain file is made of (see ``plain``).
_PLAIN_START = re.compile(r"(?:def|class|async def)\s|(?:import|from)\s+([\w.]+)|[)\]}]")
# Names an import line binds: ``import a.b as c``, ``from m import x, y as z``.
_IMPORTED = re.compile(r"(?:^import\s+|,\s*|^from\s+[\w.]+\s+import\s+\(?\s*)"
                       r"([\w.]+)(?:\s+as\s+(\w+))?")
# A constant a plain file may define: ``EPS = 1e-5``, ``AXES = (0, 2, 3)``, ``NAME: str = "x"``,
# or an alias rooted
# in an imported name (``Array = NDArray[np.floating]``): nothing that runs code of its own.
_CONSTANT = re.compile(
    r"(?P<name>[A-Za-z_]\w*)\s*(?::\s*[\w.\[\], ]+)?=\s*"
    r"(?:[-+]?[\d.][\w.+-]*|\((?:\s*[-+]?[\d.][\w.+-]*\s*,)+(?:\s*[-+]?[\d.][\w.+-]*)?\s*\)|"
    r"True|False|None|'[^'\\]*'|\"[^\"\\]*\"|"
    r"(?P<root>[A-Za-z_]\w*)[\w.]*(?:\[[\w., ]*\])?)\s*(?:#.*)?$")
_SHOWN = 8  # skipped statements listed in the note; the rest are counted
# Parsing costs ~7 us per character of dense code (a second or two for the largest submission,
# 256 KiB of ``a=1;print(a);``); a homework file is a few KiB. Larger files run whole.
PARSE_AT_MOST = 128 * 1024
Locate = Callable[[int], tuple[int, int]]  # line -> (notebook cell, line in the cell)


@dataclass(frozen=True)
class SkippedImport:
    module: str
    line: int
    names: tuple[str, ...]  # what it binds; ("*",) for a star import


@dataclass
class Pruned:
    source: str  # what the sandbox runs: the original, with skipped statements blanked
    notes: list[Text] = field(default_factory=list)
    tree: ast.Module | None = None  # the parsed original, when it was parsed


def available(module: str, level: int = 0) -> bool:
    return level == 0 and module.split(".")[0] in AVAILABLE


def plain(source: str) -> bool:
    """Is every top-level statement an available import, a function or a class (no decorators,
    no ``;``), a string (docstrings, wherever they stand) or a constant (:data:`_CONSTANT`)? A
    cheap line scan that may say no to a plain file (then it is parsed), never yes to one with
    anything else at top level."""
    bound: set[str] = set()
    lines = iter(source.split("\n"))
    for line in lines:
        if not line or line[0] in " \t#":
            continue
        quote = line[:3] if line[:3] in ('"""', "'''") else ""
        if quote:  # a string statement: skip to its closing quotes
            rest: str | None = line[3:]
            while rest is not None and quote not in rest:
                rest = next(lines, None)
            if rest is None:  # never closed
                return False
            if rest.split(quote, 1)[1].strip():
                return False  # something follows the string on its line
            continue
        if ";" in line:
            return False
        constant = _CONSTANT.match(line)
        if constant is not None:
            root = constant.group("root")
            if root is not None and root not in bound and root not in ("True", "False", "None"):
                return False
            bound.add(constant.group("name"))
            continue
        match = _PLAIN_START.match(line)
        if match is None or "," in line and line.startswith("import"):
            return False
        module = match.group(1)
        if module is not None:
            if not available(module):
                return False
            bound.update(alias or name.split(".")[0] for name, alias in _IMPORTED.findall(line)
                         if name != "import")
    return True


def prune(source: str, required: list[str], filename: str = "solution.py",
          cells: Locate | None = None) -> Pruned:
    """``cells``: for a notebook's code, where its lines are in the notebook (for the notes)."""
    if "\r" in source:  # as Python reads it, so that line numbers agree with ``split``
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    if plain(source) or len(source) > PARSE_AT_MOST:
        return Pruned(source)
    try:
        tree = ast.parse(source, filename)
        table = symtable.symtable(source, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        if cells is not None:  # a notebook: grade the cells that are Python
            rest, notes = without_broken_cells(source)
            if notes:
                pruned = prune(rest, required, filename, cells)
                return Pruned(pruned.source, notes + pruned.notes, pruned.tree)
        return Pruned(source)  # the sandbox reports it as the student's load error
    try:
        return _Analysis(source, tree, table, required, cells).result()
    except Exception:  # a construct this analysis mishandles: grade the file as it is
        log.exception("pruning failed; the submission is run whole")
        return Pruned(source, tree=tree)


def _span(stmt: ast.stmt) -> tuple[int, int]:
    decorators = getattr(stmt, "decorator_list", None)
    first = decorators[0].lineno if decorators else stmt.lineno
    return first, stmt.end_lineno or stmt.lineno


def _is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":``, which never runs in grading (the module is named
    ``solution`` there)."""
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq) and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _harmless(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Pass) or (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _outer_parts(node: ast.AST) -> Iterator[ast.AST]:
    """The children of ``node`` evaluated in the enclosing scope (for a nested scope: its
    decorators, defaults, annotations, bases, first iterable; symtable covers the rest)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield from node.decorator_list
        yield from node.args.defaults
        yield from (d for d in node.args.kw_defaults if d is not None)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                *filter(None, [node.args.vararg, node.args.kwarg])]
        yield from (a.annotation for a in args if a.annotation is not None)
        if node.returns is not None:
            yield node.returns
    elif isinstance(node, ast.Lambda):
        yield from node.args.defaults
        yield from (d for d in node.args.kw_defaults if d is not None)
    elif isinstance(node, ast.ClassDef):
        yield from node.decorator_list
        yield from node.bases
        yield from (k.value for k in node.keywords)
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        yield node.generators[0].iter
    else:
        yield from ast.iter_child_nodes(node)


def _root(node: ast.expr) -> str:
    """The name an attribute or subscript chain starts from (``LUT`` in ``LUT[i].x``), or ""
    (``f()[0]``: no name's object)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


@dataclass
class _Names:
    """What a top-level statement does with names in the module's own scope."""

    reads: set[str] = field(default_factory=set)
    binds: set[str] = field(default_factory=set)
    mutates: set[str] = field(default_factory=set)  # ``LUT[i] = v``, ``LUT.update(...)``


def _module_scope_names(stmt: ast.stmt) -> _Names:
    """Iterative: a parsed file can nest a few thousand levels deep."""
    names = _Names()
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            (names.reads if isinstance(node.ctx, ast.Load) else names.binds).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.binds.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names.binds.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.binds.add(node.name)
        elif isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            names.mutates.add(_root(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names.mutates.add(_root(node.func))
        stack.extend(_outer_parts(node) if isinstance(node, _SCOPES) else
                     ast.iter_child_nodes(node))
    return names


def module_bindings(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Name -> the top-level statements that bind it, in order (an ``if __name__ ==
    "__main__"`` block never runs in grading, so binds nothing)."""
    bindings: dict[str, list[ast.stmt]] = {}
    for stmt in tree.body:
        if not _is_main_guard(stmt):
            for name in _module_scope_names(stmt).binds:
                bindings.setdefault(name, []).append(stmt)
    return bindings


def main_only(tree: ast.Module) -> dict[str, int]:
    """Names bound only under ``if __name__ == "__main__":``, with that block's line."""
    bound = module_bindings(tree)
    return {name: stmt.lineno for stmt in tree.body if _is_main_guard(stmt)
            for name in _module_scope_names(stmt).binds if name not in bound}


def _global_reads(table: symtable.SymbolTable) -> set[str]:
    names: set[str] = set()
    tables = deque([table])
    while tables:
        t = tables.popleft()
        names.update(s.get_name() for s in t.get_symbols() if s.is_global())
        tables.extend(t.get_children())
    return names


def _segment(lines: list[str], node: ast.expr, limit: int) -> str:
    """The source text of an expression, cut at ``limit`` characters (``ast.get_source_segment``
    splits the whole file on every call)."""
    line = lines[node.lineno - 1].encode()
    end = node.end_col_offset if node.end_lineno == node.lineno else len(line)
    text = line[node.col_offset:end].decode(errors="replace")
    return text[:limit] if node.end_lineno == node.lineno else text[:limit] + "…"


def _describe(stmt: ast.stmt, lines: list[str]) -> Text:
    if _is_main_guard(stmt):
        return Text(en="if __name__ == '__main__' block", ko="if __name__ == '__main__' 블록")
    kinds = {ast.For: ("for loop", "for 반복문"), ast.AsyncFor: ("for loop", "for 반복문"),
             ast.While: ("while loop", "while 반복문"), ast.If: ("if block", "if 블록"),
             ast.With: ("with block", "with 블록"), ast.Try: ("try block", "try 블록"),
             ast.Assert: ("assert", "assert 문"), ast.Delete: ("del", "del 문"),
             ast.Raise: ("raise", "raise 문")}
    for kind, (en, ko) in kinds.items():
        if isinstance(stmt, kind):
            return Text(en=en, ko=ko)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        callee = _segment(lines, stmt.value.func, 40)
        return Text(en=f"call {callee}(...)", ko=f"{callee}(...) 호출")
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = ", ".join(_segment(lines, t, 30) for t in targets)
        return Text(en=f"assignment to {names}", ko=f"{names}에 대입")
    return Text(en="expression", ko="식")


def place(first: int, last: int, cells: Locate | None = None) -> Text:
    """Where statements are, as the student can find them: lines of their file, or of a cell
    of their notebook."""
    if cells is not None:
        (cell, start), (last_cell, end) = cells(first), cells(last)
        if cell != last_cell:
            return Text(en=f"cells {cell}–{last_cell}", ko=f"{cell}–{last_cell}번 셀")
        where = place(start, end)
        return Text(en=f"cell {cell}, {where.en}", ko=f"{cell}번 셀 {where.ko}")
    if first == last:
        return Text(en=f"line {first}", ko=f"{first}행")
    return Text(en=f"lines {first}–{last}", ko=f"{first}–{last}행")


def _import_text(stmt: ast.Import | ast.ImportFrom) -> str:
    if isinstance(stmt, ast.Import):
        return "import " + ", ".join(a.name for a in stmt.names)
    names = ", ".join(a.name for a in stmt.names)
    return f"from {'.' * stmt.level}{stmt.module or ''} import {names}"


class _Analysis:
    """Linear in the size of the file, whatever its shape (it is untrusted input): each
    statement, nested scope and line is looked at a bounded number of times."""

    def __init__(self, source: str, tree: ast.Module, table: symtable.SymbolTable,
                 required: list[str], cells: Locate | None) -> None:
        self.source, self.tree, self.required, self.cells = source, tree, required, cells
        self.stmts = tree.body
        self.spans = [_span(s) for s in self.stmts]
        # The global reads of a statement: its own, and those of the nested scopes on its
        # lines (symtable knows scopes by line only), shared by the statements on that line.
        self.reads: list[list[set[str]]] = []
        self.binders: dict[str, list[int]] = {}
        self.mutators: dict[str, list[int]] = {}
        self.modules: set[str] = set()  # names bound by imports
        nested: dict[int, set[str]] = {}
        for child in table.get_children():
            nested.setdefault(child.get_lineno(), set()).update(_global_reads(child))
        for i, stmt in enumerate(self.stmts):
            names = _module_scope_names(stmt)
            first, last = self.spans[i]
            self.reads.append([names.reads, *(nested[n] for n in range(first, last + 1)
                                              if n in nested)])
            for name in names.binds:
                self.binders.setdefault(name, []).append(i)
            for name in names.mutates:
                self.mutators.setdefault(name, []).append(i)
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self.modules |= names.binds

    def _missing_import(self, stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.Import):
            return not all(available(a.name) for a in stmt.names)
        if isinstance(stmt, ast.ImportFrom):
            return stmt.module != "__future__" and not available(stmt.module or "", stmt.level)
        return False

    def _keep(self) -> tuple[set[int], set[str]]:
        """The statements kept, and every name they read."""
        kept = {i for i, s in enumerate(self.stmts)
                if _harmless(s) or isinstance(s, ast.Import | ast.ImportFrom)
                and not self._missing_import(s)}
        wanted, seen = deque(self.required), set(self.required)
        done: set[int] = set()  # ids of read sets already gone through
        while wanted:
            # What binds a name, and what changes the object it names in place (a table
            # filled by a loop), but not calls on modules (``np.random.seed(0)``).
            name = wanted.popleft()
            changes = self.mutators.get(name, []) if name not in self.modules else []
            for i in [*self.binders.get(name, ()), *changes]:
                stmt = self.stmts[i]
                if i in kept or self._missing_import(stmt) or _is_main_guard(stmt):
                    continue
                kept.add(i)
                for reads in self.reads[i]:
                    if id(reads) not in done:
                        done.add(id(reads))
                        for used in reads - seen:
                            seen.add(used)
                            wanted.append(used)
        return kept, seen

    def result(self) -> Pruned:
        kept, read = self._keep()
        dropped = [i for i in range(len(self.stmts)) if i not in kept]
        if not dropped:
            return Pruned(self.source, tree=self.tree)
        imports = [SkippedImport(_import_text(s), s.lineno, tuple(
            "*" if a.name == "*" else a.asname or a.name.split(".")[0] for a in s.names))
            for s in self.stmts if isinstance(s, ast.Import | ast.ImportFrom)
            and self._missing_import(s)]
        code = [i for i in dropped if not self._missing_import(self.stmts[i]) and not isinstance(
            self.stmts[i], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        notes = [n for n in (self._imports_note(imports), self._code_note(code)) if n]
        notes += self._unresolved_notes(kept, read, imports)
        return Pruned(_blank(self.source, self.spans, self.stmts, kept), notes, self.tree)

    def _imports_note(self, imports: list[SkippedImport]) -> Text | None:
        if not imports:
            return None
        wheres = [place(s.line, s.line, self.cells) for s in imports[:_SHOWN]]
        listed = "; ".join(f"{s.module} ({w.en})" for s, w in zip(imports, wheres, strict=False))
        listed_ko = "; ".join(f"{s.module} ({w.ko})" for s, w in zip(imports, wheres, strict=False))
        tail = _more(len(imports))
        return Text(en="Skipped imports of modules that are not available for grading (a "
                    f"submission may import numpy and Python's standard library): {listed}"
                    f"{tail.en}",
                    ko="채점 환경에 없는 모듈의 import를 건너뛰었습니다 (제출물은 numpy와 파이썬 "
                    f"표준 라이브러리만 import할 수 있습니다): {listed_ko}{tail.ko}")

    def _code_note(self, code: list[int]) -> Text | None:
        if not code:
            return None
        items, lines = [], self.source.split("\n")
        for i in code[:_SHOWN]:
            where, what = place(*self.spans[i], self.cells), _describe(self.stmts[i], lines)
            items.append(Text(en=f"{where.en} ({what.en})", ko=f"{where.ko} ({what.ko})"))
        listed, tail = Text.join(", ", items), _more(len(code))
        return Text(en="Skipped top-level code that the graded functions do not use: "
                    f"{listed.en}{tail.en}",
                    ko=f"채점하는 함수가 쓰지 않는 최상위 코드를 건너뛰었습니다: {listed.ko}{tail.ko}")

    def _unresolved_notes(self, kept: set[int], read: set[str],
                          imports: list[SkippedImport]) -> list[Text]:
        """Names kept code reads that only a skipped import could have bound."""
        bound = {n for n, where in self.binders.items() if any(i in kept for i in where)}
        origins = {name: s for s in reversed(imports) for name in s.names}
        # A star import of an available module (kept) may bind any name: then say nothing.
        kept_star = any(isinstance(stmt, ast.ImportFrom) and stmt.names[0].name == "*"
                        for stmt in (self.stmts[i] for i in kept))
        stars = [] if kept_star else [s for s in imports if s.names == ("*",)][:3]
        notes: list[Text] = []
        for name in sorted(read - bound - _BUILTINS):
            origin = origins.get(name)
            if origin is not None:
                at = place(origin.line, origin.line, self.cells)
                notes.append(Text(
                    en=f"Your code uses {name}, which comes from {origin.module} ({at.en}); that "
                    f"module is not available for grading, so using {name} raises NameError",
                    ko=f"코드가 {name}을(를) 사용하는데, 이 이름은 {origin.module} ({at.ko})"
                    f"에서 옵니다. 채점 환경에 없는 모듈이므로 {name}을(를) 쓰면 NameError가 "
                    "발생합니다"))
            elif stars and name not in self.binders:  # (bound only under __main__: Python says)
                ats = [place(s.line, s.line, self.cells) for s in stars]
                where = "; ".join(f"{s.module} ({a.en})" for s, a in zip(stars, ats, strict=True))
                where_ko = "; ".join(f"{s.module} ({a.ko})" for s, a in zip(stars, ats, strict=True))
                notes.append(Text(
                    en=f"Your code uses {name}, which is defined nowhere in your file; if it comes "
                    f"from {where}, define it in your file: that module is not available for "
                    "grading",
                    ko=f"코드가 {name}을(를) 사용하는데 파일 어디에도 정의되어 있지 않습니다. "
                    f"{where_ko}에서 오는 이름이라면 파일 안에 정의하세요. 그 모듈은 채점 환경에 "
                    "없습니다"))
            if len(notes) == _SHOWN:
                break
        return notes


def _more(count: int) -> Text:
    more = count - _SHOWN
    return Text(en=f", and {more} more", ko=f" 외 {more}개") if more > 0 else Text(en="", ko="")


def _blank(source: str, spans: list[tuple[int, int]], stmts: list[ast.stmt],
           kept: set[int]) -> str:
    """``source`` with every statement not ``kept`` replaced in place, so that every kept line
    keeps its number and its columns: whole lines become empty; where a run of dropped
    statements shares a line with a kept one (``x = 1; print(x)``) it becomes ``pass``
    (continued with backslashes over its other lines). Each line is rebuilt once."""
    lines = source.split("\n")
    edits: dict[int, list[tuple[int, int, bytes]]] = {}  # line -> (start, end, new bytes)
    i, count = 0, len(stmts)
    while i < count:
        if i in kept:
            i += 1
            continue
        j = i  # the run: neighbouring dropped statements that share a line
        while j + 1 < count and j + 1 not in kept and spans[j][1] == spans[j + 1][0]:
            j += 1
        first, last = spans[i][0], spans[j][1]
        alone_first = i == 0 or spans[i - 1][1] < first
        alone_last = j + 1 == count or spans[j + 1][0] > last
        if alone_first and alone_last:  # nothing else on these lines but comments
            lines[first - 1: last] = [""] * (last - first + 1)
        else:
            start = 0 if alone_first else stmts[i].col_offset
            end = -1 if alone_last else stmts[j].end_col_offset or 0  # -1: to the line's end
            if first == last:
                edits.setdefault(first, []).append((start, end, b"pass"))
            else:
                edits.setdefault(first, []).append((start, -1, b"pass \\"))
                lines[first: last - 1] = ["\\"] * (last - first - 1)
                edits.setdefault(last, []).append((0, end, b""))
        i = j + 1
    for number, changes in edits.items():
        line = lines[number - 1].encode()
        pieces, at = [], 0
        for start, end, text in sorted(changes):
            pieces += [line[at:start], text]
            at = len(line) if end < 0 else end
        pieces.append(line[at:])
        lines[number - 1] = b"".join(pieces).decode()
    return "\n".join(lines)
