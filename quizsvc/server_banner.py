"""Gunicorn names itself in a ``Server`` header on every response (``gunicorn``; older releases
add their version). Naming the server and its version helps only whoever scans for a known
hole, and gunicorn has no setting to leave it out, so its header line is dropped where
gunicorn writes it."""

from __future__ import annotations

from typing import Any


def drop_server_header() -> None:
    """Patch gunicorn's response class (in the process that answers requests); idempotent."""
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "drops_server_header", False):
        return

    def default_headers(self: Any) -> list[str]:
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.drops_server_header = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers
