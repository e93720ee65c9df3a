"""Use cases. Web, API, CLI and workers call these and nothing below them.

Every function takes the session and, where permissions matter, the acting user explicitly;
it commits its own transaction and raises :mod:`quizsvc.errors` on refusal.
"""
