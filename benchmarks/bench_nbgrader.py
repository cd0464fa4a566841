"""Time per notebook: ``nbgrader autograde`` with the kit's config vs ``autograde batch``.

    python benchmarks/bench_nbgrader.py [--students 6] [--exercise ex1_lstm_from_scratch]

Builds a throw-away course with one exercise of ``source/`` and the kit's ``nbgrader_config.py``
(so ``nbgrader autograde`` runs the kit's ``SandboxedExecute``), hands in the solution for N
students, and grades them twice, from scratch: ``nbgrader autograde EXERCISE`` (one command)
and ``autograde batch --jobs 1`` (one notebook at a time, like nbgrader). Each is also run for
one student, so the fixed start-up of each command drops out: the time per notebook is
(T(N) - T(1)) / (N - 1). Budget: nbgrader's at most 1 s more than the batch's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import nbformat  # noqa: E402
from course_harness import filled_release  # noqa: E402

BIN = Path(sys.executable).parent
BUDGET = 1.0


def _course(tmp: Path, exercise: str, students: int) -> Path:
    course = tmp / f"course-{students}"
    shutil.copytree(ROOT / "source" / exercise, course / "source" / exercise)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    nb = filled_release(exercise)
    for k in range(students):
        path = course / "submitted" / f"s{k:02d}" / exercise / f"{exercise}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    return course


def _run(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               AUTOGRADE_SECRET="bench")
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench_nbgrader: {' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=6)
    p.add_argument("--exercise", default="ex1_lstm_from_scratch")
    args = p.parse_args(argv)
    if args.students < 2:
        p.error("--students must be at least 2")
    if not (ROOT / "source" / args.exercise).is_dir():
        p.error(f"no exercise {args.exercise!r} in source/")
    times: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        for n in (1, args.students):
            course = _course(Path(tmp), args.exercise, n)
            _run([str(BIN / "nbgrader"), "generate_assignment", args.exercise, "--force"],
                 course)
            times[("nbgrader", n)] = _run(
                [str(BIN / "nbgrader"), "autograde", args.exercise, "--force"], course)
            times[("batch", n)] = _run(
                [str(BIN / "autograde"), "batch", "--course", str(course), "--exercise",
                 args.exercise, "--jobs", "1", "--no-progress", "--force"], course)
    n = args.students
    per = {k: (times[(k, n)] - times[(k, 1)]) / (n - 1) for k in ("nbgrader", "batch")}
    print(f"{args.exercise}, the solution, {n} students (load {os.getloadavg()[0]:.1f}):")
    for k, label in (("nbgrader", "nbgrader autograde"), ("batch", "autograde batch --jobs 1")):
        print(f"  {label:26s} 1 student {times[(k, 1)]:6.1f} s, {n} students "
              f"{times[(k, n)]:6.1f} s, per notebook {per[k]:5.2f} s")
    extra = per["nbgrader"] - per["batch"]
    print(f"nbgrader's extra per notebook: {extra:+.2f} s (budget {BUDGET:g} s)")
    return 0 if extra <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
