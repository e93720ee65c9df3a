"""The trusted side's view of gradekit's call builder: the same calls, as a sandbox Program
(for tests and tools that build a program by hand; packages use gradekit itself)."""

from __future__ import annotations

from quizsvc.authoring import gradekit
from quizsvc.sandbox.program import Program


class ProgramBuilder(gradekit.ProgramBuilder):
    @property
    def program(self) -> Program:
        return Program(self.calls, self.arrays)
