"""Trusted NumPy implementations of the course's formulas.

Everything a quiz key or a grade depends on is computed here, never typed by hand.
Nothing in this package imports Flask or the service: the grader and `bank check` use it as a
plain library.
"""
