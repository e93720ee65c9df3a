"""Code that runs INSIDE the sandbox (the fork server and what it applies to each child).

Every module here is standalone: standard library (+ NumPy for the server) only, importable both
as ``quizsvc.sandbox.inside.X`` by the grader and as a flat module by the server, which the
sandbox starts from a read-only copy of this folder with nothing of the project around it.
"""
