"""How fast the autograder is: ``python benchmarks/bench_autograde.py [--jobs N]``.

Prints, for the reference solutions in ``source/`` graded the way ``autograde source`` grades
them, each exercise's wall time, the time its kernel spent running cells, the time the
exercise's check modules spent re-judging its probe records in the grader (their ``judge``
functions, e.g. evaluating trained parameters on fresh data), and what is left: the grader's
own overhead (kernel start-up and shutdown, assembling, transport, reports). Then the total
wall time for all exercises, with the budgets (all five in <= 60 s on a 2-core machine;
overhead <= 2 s per exercise). A notebook with a single trivial cell, graded alone, gives the
fixed cost of one exercise, in wall time and in CPU time (the CPU figures do not depend on how
busy the machine is; the wall figures do).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import _imports  # noqa: E402, F401  (before nbformat: fast start-up)
from autograder.grade import expected_seconds, find_targets, grade_all  # noqa: E402
from autograder.limits import Limits  # noqa: E402

TOTAL_BUDGET = 60.0
OVERHEAD_BUDGET = 2.0


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _trivial_overhead(limits: Limits) -> tuple[float, float, float]:
    """Wall seconds, grader CPU seconds and kernel CPU seconds of a one-cell notebook."""
    import nbformat

    from autograder.runner import execute

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    execute(nb, None, limits)  # warm-up
    own0, kids0 = _cpu()
    start = time.monotonic()
    result = execute(nb, None, limits)
    wall = time.monotonic() - start - result.kernel_seconds
    own1, kids1 = _cpu()
    return wall, own1 - own0, kids1 - kids0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=Limits().jobs)
    parser.add_argument("path", nargs="?", default=str(ROOT / "source"))
    args = parser.parse_args(argv)
    limits = Limits(jobs=args.jobs)
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, jobs: {args.jobs}")
    wall, own, kernel = _trivial_overhead(limits)
    print(f"fixed cost of one notebook (kernel start, one trivial cell, shutdown): "
          f"{wall:.2f} s wall; CPU: grader {own:.2f} s, kernel start-up {kernel:.2f} s")
    targets = find_targets(Path(args.path))
    history = ROOT / "grader-output" / "results.json"
    expected = expected_seconds(history)
    print(f"start order from {'the previous run' if expected else 'the folder order'}")
    start = time.monotonic()
    results = grade_all(targets, limits, expected=expected)
    wall = time.monotonic() - start
    print(f"\n{'exercise':<24} {'result':<8} {'wall s':>7} {'kernel s':>9} {'judge s':>8} "
          f"{'overhead s':>11}")
    worst = 0.0
    for r in results:
        overhead = r.seconds - r.kernel_seconds - r.judge_seconds
        worst = max(worst, overhead)
        print(f"{r.exercise:<24} {r.status:<8} {r.seconds:>7.2f} {r.kernel_seconds:>9.2f} "
              f"{r.judge_seconds:>8.2f} {overhead:>11.2f}")
    ok_total = wall <= TOTAL_BUDGET
    ok_overhead = worst <= OVERHEAD_BUDGET
    print(f"\nall {len(results)} exercises: {wall:.1f} s wall "
          f"(budget {TOTAL_BUDGET:.0f} s: {'ok' if ok_total else 'OVER'})")
    print(f"largest grader overhead: {worst:.2f} s per exercise "
          f"(budget {OVERHEAD_BUDGET:.0f} s: {'ok' if ok_overhead else 'OVER'})")
    history.parent.mkdir(exist_ok=True)
    from autograder import report

    history.write_text(json.dumps(report.results_json(results), indent=1) + "\n")
    return 0 if ok_total and ok_overhead else 1


if __name__ == "__main__":
    raise SystemExit(main())
