"""Grading latency: warm fork-server pool vs cold sandboxed interpreters, end to end.

    .venv/bin/python bench/grading_latency.py [--n 50] [--cold-n 5] [--threads 4] [--pause 0.1]
                                              [--rehearse-after 0.05]

For each assignment, grades its reference solution N times through the warm pool (inputs
generated, child forked, every case run, outputs returned, compared, scored) and a few times
cold; prints warm p50/p95, cold p50 and their ratio, then the throughput with the pool
saturated by several submitting threads. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from quizsvc.grading import grade_source, registry
from quizsvc.grading.runner.subprocess_runner import SubprocessRunner
from quizsvc.grading.selfcheck import reference_source
from quizsvc.sandbox.limits import Limits
from quizsvc.sandbox.pool import WarmPool


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(slug: str, source: str, runner: object, n: int, pause: float = 0.0) -> list[float]:
    times = []
    for _ in range(n):
        time.sleep(pause)
        started = time.perf_counter()
        result = grade_source(slug, source, runner=runner)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
        if result.score != result.max_score:
            sys.exit(f"{slug}: the reference did not get full marks: {result.to_table()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="warm gradings per assignment")
    parser.add_argument("--cold-n", type=int, default=5, help="cold gradings per assignment")
    parser.add_argument("--threads", type=int, default=4, help="submitting threads (saturated)")
    parser.add_argument("--pause", type=float, default=0.1,
                        help="seconds between warm gradings: a submission reaching an idle server "
                             "(0: back to back, as in a burst; the waiting child then skips its "
                             "rehearsal)")
    parser.add_argument("--rehearse-after", type=float, default=0.05,
                        help="the pool's rehearsal hold-off for this run (the service's default "
                             "is 1 s): shorter than --pause, every warm grading meets a child that "
                             "rehearsed, as on an idle server, without pausing a second each time")
    parser.add_argument("--isolation", choices=["auto", "bwrap", "fallback"], default="auto")
    args = parser.parse_args()
    if args.pause < 0 or args.rehearse_after < 0:
        parser.error("--pause and --rehearse-after must be 0 or more seconds")

    assignments = registry.all_assignments()
    sources = {slug: reference_source(a) for slug, a in assignments.items()}
    report: dict[str, object] = {"n": args.n, "cold_n": args.cold_n, "pause_s": args.pause,
                                 "rehearse_after_s": args.rehearse_after}
    per_assignment: dict[str, dict[str, float]] = {}
    limits = Limits(rehearse_after_seconds=args.rehearse_after)
    with WarmPool(limits=limits, isolation=args.isolation) as pool:
        pool.start()
        report.update(pool_size=pool.size, tier=pool.tier, level=pool.status().level)
        cold = SubprocessRunner(isolation=args.isolation)
        print(f"{'assignment':18} {'warm p50':>9} {'warm p95':>9} {'cold p50':>9} {'ratio':>6}")
        for slug, source in sources.items():
            timed(slug, source, pool, 2)  # first grades fill the reference caches
            warm = timed(slug, source, pool, args.n, args.pause)
            cold_times = timed(slug, source, cold, args.cold_n)
            row = {"warm_p50_ms": round(statistics.median(warm), 2),
                   "warm_p95_ms": round(percentile(warm, 95), 2),
                   "cold_p50_ms": round(statistics.median(cold_times), 2)}
            row["ratio"] = round(row["cold_p50_ms"] / row["warm_p50_ms"], 1)
            per_assignment[slug] = row
            print(f"{slug:18} {row['warm_p50_ms']:9.2f} {row['warm_p95_ms']:9.2f} "
                  f"{row['cold_p50_ms']:9.2f} {row['ratio']:5.1f}x")

        jobs = [(slug, source) for slug, source in sources.items() for _ in range(args.n // 2)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as executor:
            scores = list(executor.map(lambda job: grade_source(job[0], job[1], runner=pool),
                                       jobs))
        elapsed = time.perf_counter() - started
        assert all(r.score == r.max_score for r in scores)
        report["saturated_per_second"] = round(len(jobs) / elapsed, 1)
        print(f"saturated: {len(jobs)} gradings by {args.threads} threads in {elapsed:.2f} s = "
              f"{report['saturated_per_second']} per second")
    report["assignments"] = per_assignment
    print(json.dumps(report))


if __name__ == "__main__":
    main()
