"""Grading commands (grade-local, assignments, selfcheck): added by the grading engine."""
