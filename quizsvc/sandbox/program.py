"""What one submission is asked to run: calls (the wire format is described in ``inside/child.py``)
and the input arrays they name. Only inputs go in; expected outputs never leave the grader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(eq=False)  # one program is one object: the fork servers cache it by identity
class Program:
    calls: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def extend(self, other: Program) -> None:
        clash = {c["id"] for c in self.calls} & {c["id"] for c in other.calls}
        if clash or self.arrays.keys() & other.arrays.keys():
            raise ValueError(f"duplicate call ids or array names: {sorted(clash)[:3]}")
        self.calls.extend(other.calls)
        self.arrays.update(other.arrays)
