"""Wall time of ``autograde batch`` for a class, and the speed-up of more worker processes.

    python benchmarks/bench_batch.py [--students 30] [--jobs 1 2] [--exercise ID ...]

Builds a throw-away course with every exercise of ``source/`` and a class of students (a third
hand in the solutions, a third a known bug from ``tests/mutants/``, a third the unanswered
release), collects it with ``autograde collect --from-clones`` and grades it once per ``--jobs``
value, from scratch each time. Prints the wall times, seconds per notebook, the speed-up over
the smallest ``--jobs`` value, and whether the runs agree on every total. Not part of the test
suite: with five exercises and 30 students it takes several minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import nbformat  # noqa: E402
from course_harness import filled_release, released_notebook  # noqa: E402

from autograder.grade import known_exercises  # noqa: E402
from autograder.instructor import batch_main, collect_main  # noqa: E402


def mutants(exercise: str) -> list[list[tuple[str, str, str]]]:
    try:
        module = importlib.import_module(f"mutants.{exercise}")
    except ModuleNotFoundError:
        return []
    return list(module.MUTANTS.values())


def build_class(base: Path, exercises: list[str], students: int) -> Path:
    """Clones folder: ``base/clones/<student>/assignments/<ex>/<ex>.ipynb``."""
    clones = base / "clones"
    kinds = {ex: mutants(ex) for ex in exercises}
    for i in range(students):
        for ex in exercises:
            kind = i % 3
            if kind == 0 or (kind == 1 and not kinds[ex]):
                nb = filled_release(ex)
            elif kind == 1:
                nb = filled_release(ex, kinds[ex][(i // 3) % len(kinds[ex])])
            else:
                nb = released_notebook(ex)
            folder = clones / f"student{i:02d}" / "assignments" / ex
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{ex}.ipynb")
    return clones


def totals(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return {r["student_id"]: r["total"] for r in csv.DictReader(fh)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--exercise", action="append", help="default: every exercise in source/")
    p.add_argument("--progress", action="store_true", help="show the progress bars")
    args = p.parse_args()
    exercises = args.exercise or [e for e in known_exercises(ROOT)
                                  if (ROOT / "source" / e).is_dir()]
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        base = Path(tmp)
        course = base / "course"
        for sub in ("source", "release"):
            for ex in exercises:
                shutil.copytree(ROOT / sub / ex, course / sub / ex)
        shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        clones = build_class(base, exercises, args.students)
        with contextlib.redirect_stdout(io.StringIO()):
            assert collect_main(["--from-clones", str(clones), "--course", str(course)]) == 0
        n = args.students * len(exercises)
        print(f"{args.students} students x {len(exercises)} exercises = {n} notebooks "
              f"({', '.join(exercises)})")
        rows, results = [], []
        for jobs in args.jobs:
            out = base / f"out-jobs{jobs}"
            argv = ["--course", str(course), "--out", str(out), "--jobs", str(jobs)]
            if not args.progress:
                argv.append("--no-progress")
            log = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(log):
                code = batch_main(argv)
            wall = time.perf_counter() - start
            if code != 0:
                raise SystemExit(f"batch --jobs {jobs} failed: {log.getvalue()}")
            summary = next(line for line in log.getvalue().splitlines()
                           if line.startswith("batch:"))
            rows.append((jobs, wall))
            results.append(totals(out / "grades.csv"))
            print(f"--jobs {jobs}: {wall:7.1f} s wall, {wall / n:5.2f} s per notebook  | "
                  f"{summary}")
        base_jobs, base_wall = min(rows)
        for jobs, wall in rows:
            if jobs != base_jobs:
                print(f"speed-up of --jobs {jobs} over --jobs {base_jobs}: "
                      f"{base_wall / wall:.2f}x")
        same = all(r == results[0] for r in results[1:])
        print("totals identical across runs: " + ("yes" if same else "NO"))


if __name__ == "__main__":
    main()
