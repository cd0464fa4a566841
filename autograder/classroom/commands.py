"""The command lines of ``autograde export`` and ``autograde report`` (routed by
:mod:`autograder.instructor`). Bad input: one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.instructor import DEFAULT_OUT, UsageError, _course, _Parser

if TYPE_CHECKING:
    from autograder.classroom.gradesheet import ClassGrades

_BATCH_HELP = f"the output folder of 'autograde batch' (default: COURSE/{DEFAULT_OUT})"
_ROSTER_HELP = ("the class list: a CSV with the header 'id,name[,email][,section]' "
                "('student_id' also names the id column) or the course file (.toml, its "
                "[[students]]): names and e-mails for the file, students with nothing graded "
                "count as not submitted")


def _load(args: argparse.Namespace) -> tuple[Path, ClassGrades]:
    from autograder.classroom.gradesheet import ClassDataError, load_class, load_roster

    out = args.batch or args.course / DEFAULT_OUT
    if not out.is_dir():
        raise UsageError(f"{out}: no such folder (run 'autograde batch' first, or give "
                         "--batch DIR)")
    try:
        roster = load_roster(args.roster) if args.roster else None
        return out, load_class(out, roster)
    except ClassDataError as exc:
        raise UsageError(str(exc)) from None


def _not_in_batch(grades: ClassGrades, counted: str = "count as 0 points") -> str:
    missing = [s.student for s in grades.students if not s.in_batch]
    if not missing:
        return ""
    shown = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
    return (f"note: {len(missing)} roster student(s) have no row in grades.csv and {counted} "
            f"({shown})")


# --------------------------------------------------------------------------- export


def export_parser() -> argparse.ArgumentParser:
    from autograder.classroom.export import FORMATS

    p = _Parser(
        prog="autograde export",
        description="Write the grades of a batch as a file an LMS imports: one row per "
                    "student, one column per exercise, the points after the late rule when "
                    "the batch applied one.",
        epilog="canvas: Canvas gradebook import (Student, ID, SIS User ID, SIS Login ID, "
               "Section, one column per exercise, a Points Possible row). moodle: Moodle's "
               "CSV grade import ('Email address' when the roster gives every e-mail, else "
               "'ID number', then one column per exercise). csv: everything, incl. total, "
               "late and flags. Text that could start a spreadsheet formula is prefixed "
               "with '. See docs/instructors.md.",
    )
    p.add_argument("--format", required=True, choices=FORMATS, help="the file's layout")
    p.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                   help="the course root (default: current folder)")
    p.add_argument("--batch", metavar="DIR", type=Path, help=_BATCH_HELP)
    p.add_argument("--roster", metavar="FILE", type=Path, help=_ROSTER_HELP)
    p.add_argument("--out", metavar="FILE", type=Path,
                   help="the file to write (default: BATCH/export-FORMAT.csv)")
    p.add_argument("--gradebook", action="store_true",
                   help="also write the batch's scores into nbgrader's gradebook (as 'batch "
                        "--gradebook' does), so 'nbgrader export' gives the same points "
                        "before the late rule")
    return p


def export_run(argv: list[str]) -> int:
    from autograder.classroom.export import write_export

    args = export_parser().parse_args(argv)
    out, grades = _load(args)
    if not grades.students:
        raise UsageError(f"{out / 'grades.csv'}: no students to export")
    target = args.out or out / f"export-{args.format}.csv"
    if target.is_dir():
        raise UsageError(f"--out {target}: is a folder, give a file name")
    write_export(grades, args.format, target)
    rule = "points after the late rule" if grades.late_rule else "points (no late rule applied)"
    print(f"export: {args.format} file, {len(grades.students)} students x "
          f"{len(grades.exercises)} exercises, {rule}: {target}")
    if note := _not_in_batch(grades):
        print(note)
    if args.gradebook:
        from autograder.gradebook import GradebookError, import_results

        course = _course(args.course)
        try:
            done = import_results(course, out, students=[s.student for s in grades.students
                                                         if s.in_batch],
                                  exercises=grades.exercises or None)
        except GradebookError as exc:
            raise UsageError(str(exc)) from None
        print(f"gradebook: {done.submissions} submission(s) of {len(done.students)} "
              f"student(s) written to {done.db_url}")
    return 0


# --------------------------------------------------------------------------- report


def report_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="autograde report",
        description="Write one self-contained HTML page on how the class did: points per "
                    "exercise, pass rate and most common bug per check, late and flagged "
                    "submissions, who has not submitted. It opens offline in any browser.",
    )
    p.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                   help="the course root (default: current folder)")
    p.add_argument("--batch", metavar="DIR", type=Path, help=_BATCH_HELP)
    p.add_argument("--roster", metavar="FILE", type=Path, help=_ROSTER_HELP)
    p.add_argument("--out", metavar="FILE", type=Path,
                   help="the page to write (default: BATCH/class-report.html)")
    p.add_argument("--title", default="Class report", help="the page's title")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (shown on stderr for classes of 500 or more)")
    return p


def report_run(argv: list[str]) -> int:
    from autograder.classroom.report_class import write_report

    args = report_parser().parse_args(argv)
    out, grades = _load(args)
    target = args.out or out / "class-report.html"
    if target.is_dir():
        raise UsageError(f"--out {target}: is a folder, give a file name")
    write_report(out, grades, target, args.title, progress=not args.no_progress)
    print(f"report: {len(grades.students)} students, {len(grades.exercises)} exercises: "
          f"{target}")
    if note := _not_in_batch(grades, "are listed as not submitted"):
        print(note)
    return 0
