"""``quizsvc submit``: grade a file on a quizsvc server from CI; exit 0 only when the bar is met.

Uses only the standard library's HTTP client, so a CI job needs nothing but this package.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click

from quizsvc.cli import main
from quizsvc.grading.intake import Unreadable, read_submission

EXIT_BELOW_BAR, EXIT_ERROR = 1, 2


def _request(method: str, url: str, token: str, body: dict[str, Any] | None = None,
             timeout: float = 90.0) -> tuple[int, bytes, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json",
        **({"Content-Type": "application/json"} if data is not None else {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL given by the user
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _error_text(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw[:300].decode(errors="replace")


@main.command("submit")
@click.option("--server", envvar="QUIZSVC_SERVER", required=True, help="e.g. https://quiz.example.edu")
@click.option("--token", envvar="QUIZSVC_TOKEN", required=True, help="API token with the submit scope.")
@click.option("--assignment", "slug", required=True)
@click.option("--course", default=None, help="Course slug, if several courses have this assignment.")
@click.option("--min-score", type=float, default=None, help="Pass bar (default: full marks).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "junit", "gradescope"]), default="table")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the json/junit/gradescope result here instead of standard output.")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for the grade.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def submit(server: str, token: str, slug: str, course: str | None, min_score: float | None, fmt: str,
           output: Path | None, timeout: float, file: Path) -> None:
    """Submit FILE (.py or .ipynb) and wait for its grade. Exit 0: bar met; 1: below; 2: error."""
    base = server.rstrip("/") + "/api/v1"
    query = {"wait": "30"} | ({"course": course} if course else {})
    url = f"{base}/assignments/{urllib.parse.quote(slug)}/submissions?{urllib.parse.urlencode(query)}"
    try:
        code = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text")
    try:  # what the server would refuse with 422: say so without a round trip
        read_submission(code, file.name)
    except Unreadable as exc:
        _fail(f"{file}: {exc.text.en}")
    status, raw, _headers = _request("POST", url, token, {"code": code, "filename": file.name})
    if status not in (200, 202):
        _fail(f"{status}: {_error_text(raw)}")
    sub = json.loads(raw)
    deadline = time.monotonic() + timeout
    while sub["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            _fail(f"not graded within {timeout:g} s (submission {sub['id']} stays queued; check later)")
        status, raw, _ = _request("GET", f"{base}/submissions/{sub['id']}?wait=20", token)
        if status not in (200, 202):
            _fail(f"{status}: {_error_text(raw)}")
        sub = json.loads(raw)
    if sub["status"] == "error":
        _fail(f"grading failed on the server (submission {sub['id']})")
    if fmt in ("junit", "gradescope"):
        status, raw, _ = _request("GET", f"{base}/submissions/{sub['id']}?format={fmt}", token)
        text = raw.decode()
    elif fmt == "json":
        text = json.dumps(sub, indent=2, ensure_ascii=False)
    else:
        text = _table(sub)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(_table(sub), err=True)
    else:
        click.echo(text)
    bar = sub["max_score"] if min_score is None else min_score
    sys.exit(0 if sub["score"] >= bar - 1e-9 else EXIT_BELOW_BAR)


def _table(sub: dict[str, Any]) -> str:
    result = sub.get("result") or {}
    lines = [f"{'case':26}{'result':8}{'points':>9}  message"]
    for c in result.get("cases", []):
        pts = f"{c['points']:g}/{c['max_points']:g}"
        lines.append(f"{c['name'][:25]:26}{'pass' if c['passed'] else 'FAIL':8}{pts:>9}  {c['message'][:90]}")
    for d in result.get("diagnoses", []):
        what = "observed" if d.get("kind") == "symptom" else "recognised mistake"
        lines.append(f"{what} [{d['key']}] {d['title']}: {d['hint']}")
    late = f" (late {sub['late_days']} day(s), before penalty {sub['raw_score']:g})" if sub.get("late_days") else ""
    lines.append(f"score: {sub['score']:g} / {sub['max_score']:g}{late}  submission {sub['id']}")
    return "\n".join(lines)


