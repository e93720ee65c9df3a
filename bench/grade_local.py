"""Wall time of `quizsvc grade-local` for each assignment's reference solution, cold process.

Each run is a fresh interpreter (imports, case generation, reference and child process
included). Prints one line per assignment, then one JSON object as the last line.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quizsvc.grading import registry
from quizsvc.grading.selfcheck import reference_source

REPEATS = 3
CLI = "from quizsvc.cli import main; main()"


def time_one(slug: str, path: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CLI, "grade-local", "--assignment", slug,
                           str(path), "--format", "json"], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{slug}: grade-local failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for slug, assignment in registry.all_assignments().items():
            path = Path(tmp, f"{slug}.py")
            path.write_text(reference_source(assignment), encoding="utf-8")
            times = [time_one(slug, path) for _ in range(REPEATS)]
            results[slug] = round(statistics.median(times), 3)
            print(f"{slug:18} median {results[slug]:.3f} s over {REPEATS} cold runs")
    print(json.dumps({"benchmark": "grade_local_cold_seconds", "repeats": REPEATS,
                      "median_seconds": results}))


if __name__ == "__main__":
    main()
