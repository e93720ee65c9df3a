"""What a submission prints while it loads or during a call: the first characters, counted."""

from __future__ import annotations

import io
import sys
from typing import Any

STDOUT_KEEP = 2000  # characters of printed output kept per call


class CappedText(io.TextIOBase):
    """Stands in for sys.stdout/stderr during a call: keeps the first characters, counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < STDOUT_KEEP:
            self.kept.append(text[: STDOUT_KEEP - self.size])
        self.size += len(text)
        return len(text)

    def finish(self) -> dict[str, Any]:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        return {"stdout": "".join(self.kept), "stdout_chars": self.size} if self.size else {}


def capture() -> CappedText:
    text = CappedText()
    sys.stdout = sys.stderr = text
    return text
