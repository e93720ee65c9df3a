"""What an assignment's functions promise beyond their values, judged on the trusted side:

- inputs stay unchanged: after every call the child reports which argument arrays (and lists or
  dicts of them) the call changed in place; each assignment declares the few parameters that a
  function may change (batch norm's ``bn_param``, whose running statistics it updates);
- new arrays: for the functions whose statement asks for them, the returned arrays may not
  share memory with an argument (``W *= ...; return W``);
- shapes: an output whose shape differs from the expected one only by size-1 axes (``(1, D)``
  from ``keepdims=True`` where ``(D,)`` is expected) is named as such and, by the assignment's
  policy, accepted with a note ("lenient", the default, as the course notebooks' own checks
  accept it) or failed with that explanation ("strict").

The child's report is trusted only in the submission's disfavour: it could hide its own
mutation by rewriting its records, which gains it nothing but escaping this rule (its values
are still compared here); it cannot make another submission fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from quizsvc.grading.checks import Comparison
from quizsvc.sandbox.records import CallOutcome
from quizsvc.text import Text

ShapePolicy = Literal["lenient", "strict"]
_PARAMS = re.compile(r"^\s*(\w+)\s*\(([^)]*)\)")


def parameter_names(signature: str) -> tuple[str, tuple[str, ...]]:
    """``"f(x, gamma, beta=1) -> out"`` -> ``("f", ("x", "gamma", "beta"))``."""
    match = _PARAMS.match(signature)
    if not match:
        raise ValueError(f"not a signature: {signature!r}")
    names = tuple(p.split("=")[0].split(":")[0].strip() for p in match.group(2).split(","))
    return match.group(1), tuple(n for n in names if n)


@dataclass(frozen=True)
class Contract:
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # function -> names
    mutable: Mapping[str, frozenset[str]] = field(default_factory=dict)  # may change in place
    new_arrays: frozenset[str] = frozenset()  # functions whose returned arrays must be new
    shapes: ShapePolicy = "lenient"

    @classmethod
    def of(cls, signatures: Iterable[str], *, mutable: Mapping[str, Iterable[str]] | None = None,
           new_arrays: Iterable[str] = (), shapes: ShapePolicy = "lenient") -> Contract:
        params = dict(map(parameter_names, signatures))
        allowed = {fn: frozenset(names) for fn, names in (mutable or {}).items()}
        for fn, names in allowed.items():
            if fn not in params or not names <= set(params[fn]):
                raise ValueError(f"mutable parameters {sorted(names)} not in {fn}'s signature")
        if not set(new_arrays) <= params.keys():
            raise ValueError(f"unknown functions in new_arrays: {sorted(new_arrays)}")
        return cls(params, allowed, frozenset(new_arrays), shapes)

    def input_failures(self, calls: list[dict[str, Any]], outcomes: Mapping[str, CallOutcome]
                       ) -> list[Comparison]:
        """The broken promises of ``calls`` (one message per function and argument)."""
        failures: dict[str, Comparison] = {}
        functions: dict[str, str] = {}
        for call in calls:
            result = outcomes.get(call["id"])
            if result is None or not (result.modified or result.shared or result.modified_via):
                continue
            fn = str(call["fn"])
            for path in result.modified:
                if self._root(fn, path) not in self.mutable.get(fn, ()):
                    text = self._modified(fn, path)
                    failures.setdefault(text.en, Comparison(False, "modified", text))
            for earlier, *rest in result.modified_via:
                functions = functions or {c["id"]: str(c["fn"]) for c in calls}
                owner, path = functions.get(str(earlier)), tuple(rest)
                if owner and path and self._root(owner, path) not in self.mutable.get(owner, ()):
                    text = self._modified_via(fn, owner, path)
                    failures.setdefault(text.en, Comparison(False, "modified", text))
            if fn in self.new_arrays:
                for path in result.shared:
                    text = self._shared(fn, path)
                    failures.setdefault(text.en, Comparison(False, "shared", text))
        return list(failures.values())

    def _root(self, fn: str, path: tuple[int | str, ...]) -> str:
        first = path[0]
        names = self.params.get(fn, ())
        if isinstance(first, int):
            return names[first] if 0 <= first < len(names) else ""
        return first

    def _name(self, fn: str, path: tuple[int | str, ...]) -> Text:
        root = self._root(fn, path)
        rest = "".join(f"[{p}]" if isinstance(p, int) else f"[{p!r}]" for p in path[1:])
        if root:
            return Text(en=root + rest, ko=root + rest)
        n = path[0] if isinstance(path[0], int) else 0
        return Text(en=f"argument {n + 1}{rest}", ko=f"{n + 1}번째 인자{rest}")

    def _modified(self, fn: str, path: tuple[int | str, ...]) -> Text:
        name = self._name(fn, path)
        root = self._root(fn, path) or "x"
        return Text(
            en=f"{fn} modified its argument {name.en} in place: the caller's inputs must stay "
            f"unchanged. Compute into new arrays ({root} = {root} * c, not {root} *= c) or "
            f"work on a copy ({root} = {root}.copy())",
            ko=f"{fn}이(가) 인자 {name.ko}을(를) 제자리에서(in place) 바꿨습니다. 호출한 쪽의 "
            f"입력은 바뀌면 안 됩니다. 새 배열로 계산하거나({root} *= c 대신 "
            f"{root} = {root} * c) 복사본({root} = {root}.copy())으로 작업하세요")

    def _modified_via(self, fn: str, owner: str, path: tuple[int | str, ...]) -> Text:
        name = self._name(owner, path)
        return Text(
            en=f"{fn} modified {name.en}, the argument of {owner}, in place through {owner}'s "
            "result (its cache): the caller's inputs must stay unchanged, also after the call "
            f"that got them. Keep a copy in the cache, or compute new arrays in {fn}",
            ko=f"{fn}이(가) {owner}의 결과(cache)를 통해 {owner}의 인자 {name.ko}을(를) "
            "제자리에서(in place) 바꿨습니다. 호출한 쪽의 입력은 그 입력을 받은 호출이 끝난 뒤에도 "
            f"바뀌면 안 됩니다. cache에 복사본을 넣거나 {fn}에서 새 배열로 계산하세요")

    def _shared(self, fn: str, path: tuple[int | str, ...]) -> Text:
        name = self._name(fn, path)
        return Text(
            en=f"{fn} returned an array that shares memory with its argument {name.en}: return a "
            f"new array, not {name.en} itself or a view of it",
            ko=f"{fn}이(가) 인자 {name.ko}과(와) 메모리를 공유하는 배열을 반환했습니다. {name.ko} "
            f"자체나 그 뷰(view)가 아니라 새 배열을 반환하세요")


NO_CONTRACT = Contract()  # every input unchanged, shapes lenient on size-1 axes
