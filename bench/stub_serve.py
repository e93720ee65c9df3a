"""BENCHMARK ONLY: ``quizsvc serve`` with grading made (nearly) free, to measure the ceiling of
the web + database + dispatch path on its own. Used by ``throughput.py --stub-grader MODE``;
never imported by the service.

    QUIZSVC_BENCH_STUB=runner  the sandbox is replaced by a replay of the outcome of the same
                               source (computed once, in this process, with the trusted
                               in-process runner: the bench only posts the suite's own reference
                               solutions and mistake variants); judging runs for real.
    QUIZSVC_BENCH_STUB=all     grade_source itself is replaced by the cached result of the same
                               source: only accepting, claiming and writing the result remain.

    python bench/stub_serve.py serve --no-demo --port 5000      (same arguments as quizsvc)
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _replay_runner() -> Any:
    from quizsvc.grading.runner.inprocess import namespace_from_source, run_trusted

    cache: dict[tuple[str, str, int], Any] = {}
    lock = threading.Lock()

    class ReplayRunner:
        def run(self, source: str, program: Any, *, filename: str = "solution.py") -> Any:
            key = (source, filename, len(program.calls))
            with lock:
                if key not in cache:
                    try:
                        cache[key] = run_trusted(namespace_from_source(source, filename), program)
                    except Exception as exc:  # a variant that does not even load
                        from quizsvc.sandbox.records import Reason, RunOutcome

                        cache[key] = RunOutcome(load_error=Reason.of(
                            "exception", text=f"{type(exc).__name__}: {exc}"))
                return cache[key]

    return ReplayRunner()


def install(mode: str) -> None:
    from quizsvc.queue.inprocess import InProcessDispatcher

    runner = _replay_runner()
    InProcessDispatcher.runner = lambda self: runner  # type: ignore[method-assign]
    if mode == "all":
        from quizsvc.services.submissions import claims

        real = claims.grade_source
        results: dict[tuple[str, str, str, str], Any] = {}
        lock = threading.Lock()

        def cached_grade(slug: str, source: str, *, filename: str = "solution.py", runner: Any = None,
                         language: str = "en", **kw: Any) -> Any:
            key = (slug, source, filename, language)
            with lock:
                if key not in results:
                    results[key] = real(slug, source, filename=filename, runner=runner, language=language,
                                        **kw)
                return results[key]

        claims.grade_source = cached_grade  # type: ignore[assignment]
    elif mode != "runner":
        raise SystemExit(f"QUIZSVC_BENCH_STUB must be 'runner' or 'all', not {mode!r}")


if __name__ == "__main__":
    install(os.environ.get("QUIZSVC_BENCH_STUB", "runner"))
    from quizsvc.cli import main

    main()
