"""A synthetic batch output folder, written by the batch's own functions (``batch.store`` and
``batch.write_grades_csv``), so it has exactly the layout ``autograde batch`` leaves."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from autograder import batch, report

#: a test cell's verdict: (max points, passed, message, hint)
Cell = tuple[float, bool, str, str]


def results(exercise: str, cells: dict[str, Cell]) -> dict[str, Any]:
    """A results document in the grader's format with these verdicts."""
    tests = [{"grade_id": gid, "passed": ok, "points": mx if ok else 0.0, "max_points": mx,
              "message": msg, "hint": hint} for gid, (mx, ok, msg, hint) in cells.items()]
    ex = {"exercise": exercise, "notebook": f"{exercise}.ipynb",
          "status": "passed" if all(t["passed"] for t in tests) else "failed",
          "passed": all(t["passed"] for t in tests),
          "points": sum(t["points"] for t in tests),
          "max_points": sum(t["max_points"] for t in tests), "seconds": 0.4, "message": "",
          "repairs": [], "notes": [], "tests": tests}
    return report.merge([{"extra_data": {"exercises": [ex]}}])


def store(out: Path, student: str, exercise: str, cells: dict[str, Cell] | None,
          state: str = batch.GRADED, message: str = "") -> None:
    """Record one submission; ``cells=None`` with state ``missing`` or ``crashed``."""
    task = batch.Task(student, exercise, out / "submitted" / student / exercise, "c0ffee",
                      "key")
    if cells is None:
        tests = list(TESTS[exercise].items())
        doc = batch.placeholder_results(exercise, f"{exercise}.ipynb", tests, "error", message)
    else:
        doc = results(exercise, cells)
    batch.store(out, task, state, message, doc, feedback="<html></html>")


def add_late_columns(out: Path, late: dict[str, dict[str, tuple[float, float]]],
                     flags: dict[str, str]) -> None:
    """Set the late-rule columns of grades.csv (``<ex>_late_days``, ``<ex>_after_late``,
    ``total_after_late``, ``late``, ``flags``) with ``late[student][ex] = (days, after)``;
    an exercise not listed keeps its points, 0 days."""
    path = out / batch.GRADES_CSV
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    exercises = [h[: -len(":total")] for h in rows[0] if h.endswith(":total")]
    header = list(rows[0])  # the batch may already write these columns: set them
    for name in [f"{ex}_{kind}" for ex in exercises for kind in ("late_days", "after_late")] \
            + ["total_after_late", "late", "flags"]:
        if name not in header:
            header.append(name)
    for r in rows:
        total = 0.0
        for ex in exercises:
            days, after = late.get(r["student_id"], {}).get(ex, (0.0, float(r[f"{ex}:total"])))
            r[f"{ex}_late_days"], r[f"{ex}_after_late"] = f"{days:g}", f"{after:g}"
            total += after
        r["total_after_late"] = f"{total:g}"
        r["late"] = "yes" if r["student_id"] in late else "no"
        r["flags"] = flags.get(r["student_id"], "")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


EX1, EX2 = "ex1_lstm_from_scratch", "ex2_gate_analysis"
TESTS: dict[str, dict[str, float]] = {EX1: {"test_sigmoid": 1.0, "test_step": 3.0},
                                      EX2: {"test_gates": 2.0}}
HOSTILE_ID = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=2</script>"


def cells(exercise: str, failing: dict[str, tuple[str, str]] | None = None,
          ) -> dict[str, Cell]:
    """Every test cell of ``exercise`` passing except ``failing[gid] = (message, hint)``."""
    failing = failing or {}
    return {gid: (mx, gid not in failing, *failing.get(gid, ("", "")))
            for gid, mx in TESTS[exercise].items()}


def make_class(out: Path, roster: list[str] | None = None) -> list[str]:
    """Six students over two exercises (points worked out by hand in the tests):

    ========  ==========================================  =====  =====  =====
    student   what                                        ex1    ex2    total
    ========  ==========================================  =====  =====  =====
    ada       everything right                            4      2      6
    ben       swapped gates in test_step                  1      2      3
    cy        swapped gates in test_step, ex2 missing     1      0      1
    dee       [x,h] order in test_step, hostile message   1      2      3
    HOSTILE   test_sigmoid fails, ex2 crashed             3      0      3
    zed       nothing submitted                           0      0      0
    ========  ==========================================  =====  =====  =====

    Returns the students (``roster`` students are added to grades.csv as batch --roster does).
    """
    swapped = ("h differs from the reference (likely bug: input and forget gates swapped)", "")
    order = ("h differs", "likely bug: [x, h] instead of [h, x] " + SCRIPT)
    store(out, "ada", EX1, cells(EX1))
    store(out, "ada", EX2, cells(EX2))
    store(out, "ben", EX1, cells(EX1, {"test_step": swapped}))
    store(out, "ben", EX2, cells(EX2))
    store(out, "cy", EX1, cells(EX1, {"test_step": swapped}))
    store(out, "cy", EX2, None, batch.MISSING, "no notebook was submitted")
    store(out, "dee", EX1, cells(EX1, {"test_step": order}))
    store(out, "dee", EX2, cells(EX2))
    store(out, HOSTILE_ID, EX1, cells(EX1, {"test_sigmoid": (SCRIPT + " wrong", "")}))
    store(out, HOSTILE_ID, EX2, None, batch.CRASHED, "the grading process died " + SCRIPT)
    store(out, "zed", EX1, None, batch.MISSING, "no notebook was submitted")
    store(out, "zed", EX2, None, batch.MISSING, "no notebook was submitted")
    students = sorted(set(batch.stored_students(out)) | set(roster or []))
    batch.write_grades_csv(out, students, [EX1, EX2])
    return students
