"""What the grading sandbox costs: ``python benchmarks/bench_sandbox.py [--rounds 3]``.

Grades the reference solutions in ``source/`` exercise by exercise, once without the sandbox
and once inside it, in alternating order over several rounds (so a busy machine slows both
sides alike), and prints each exercise's median wall time both ways and the difference
(budget: at most 1 s extra per exercise). Then grades all five at once, sandboxed, with the
default two jobs, as ``make grade`` does (budget: at most 20 s on the 2-core machine). The
machine's load average is printed beside the figures: they are only comparable on an idle one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import _imports  # noqa: E402, F401  (before nbformat: fast start-up)
from autograder.grade import find_targets, grade_all  # noqa: E402
from autograder.limits import Limits  # noqa: E402
from autograder.sandbox import sandbox_problem  # noqa: E402

EXTRA_BUDGET = 1.0
ALL_BUDGET = 20.0


def _grade(exercise: str | None, sandbox: str, jobs: int) -> tuple[float, list]:
    targets = find_targets(ROOT / "source", exercise)
    start = time.monotonic()
    results = grade_all(targets, Limits(sandbox=sandbox, jobs=jobs))
    return time.monotonic() - start, results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    problem = sandbox_problem()
    if problem is not None:
        print(f"bench_sandbox: no sandbox here: {problem}", file=sys.stderr)
        return 2
    exercises = [t.exercise for t in find_targets(ROOT / "source")]
    _grade(exercises[0], "require", 1)  # warm-up: staged libraries, caches
    times: dict[tuple[str, str], list[float]] = {}
    for k in range(args.rounds):
        for ex in exercises:
            order = ("off", "require") if k % 2 == 0 else ("require", "off")
            for mode in order:
                seconds, results = _grade(ex, mode, 1)
                if not all(r.passed for r in results):
                    print(f"bench_sandbox: {ex} did not pass ({mode})", file=sys.stderr)
                    return 1
                times.setdefault((ex, mode), []).append(seconds)
    load = os.getloadavg()[0]
    print(f"per exercise, one at a time, median of {args.rounds} (load {load:.1f}):")
    print(f"{'exercise':24s} {'no sandbox':>11s} {'sandbox':>9s} {'extra':>7s}")
    worst = 0.0
    for ex in exercises:
        off = statistics.median(times[(ex, "off")])
        on = statistics.median(times[(ex, "require")])
        worst = max(worst, on - off)
        print(f"{ex:24s} {off:10.2f}s {on:8.2f}s {on - off:+6.2f}s")
    print(f"largest extra: {worst:+.2f} s (budget {EXTRA_BUDGET:g} s)")
    totals = [_grade(None, "require", 2)[0] for _ in range(args.rounds)]
    best, median = min(totals), statistics.median(totals)
    print(f"all five, sandboxed, --jobs 2: median {median:.1f} s, best {best:.1f} s "
          f"(budget {ALL_BUDGET:g} s; load {os.getloadavg()[0]:.1f})")
    return 0 if worst <= EXTRA_BUDGET and median <= ALL_BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
