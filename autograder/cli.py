"""``autograde``: grade the exercise notebooks and report (see docs/autograder.md).

``autograde collect …`` and ``autograde batch …`` are the instructor's commands for a whole
class (see docs/instructors.md and :mod:`autograder.instructor`); ``autograde publish DEST``
writes the student template (:mod:`autograder.publish`, docs/classroom.md).

Exit codes: 0 once the table is printed (it says what failed), 1 with ``--strict`` when an
exercise did not pass (for CI), 2 bad usage (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from autograder import _imports  # noqa: F401  (first: keeps start-up fast)
from autograder.errors import UsageError
from autograder.limits import Limits, from_env

DEFAULT_OUTPUT = Path("grader-output")
#: sub-commands for a whole class, routed to :mod:`autograder.instructor`
INSTRUCTOR_COMMANDS = {"collect": "collect_main", "batch": "batch_main",
                       "export": "export_main", "report": "report_main"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="autograde",
        description="Grade LSTM Lab exercise notebooks.",
        epilog="Instructors: 'autograde collect --help' gathers student forks into submitted/, "
        "'autograde batch --help' grades a whole class (docs/instructors.md), "
        "'autograde publish --help' writes the student template (docs/classroom.md).",
    )
    p.add_argument("path", nargs="?", default="assignments",
                   help="a notebook, an exercise folder, a folder of exercises, or a student "
                        "repository (default: assignments)")
    p.add_argument("--exercise", metavar="ID",
                   help="grade only this exercise: its id or its short name (ex1 ... ex5)")
    p.add_argument("--course", metavar="DIR", type=Path,
                   help="the course whose source/ notebooks are trusted (default: the nearest "
                        "folder at or above PATH with source/ or release/)")
    p.add_argument("--json", metavar="FILE", type=Path,
                   help=f"results JSON (default: {DEFAULT_OUTPUT}/results.json)")
    p.add_argument("--feedback", metavar="DIR", type=Path,
                   help=f"feedback HTML folder (default: {DEFAULT_OUTPUT}/feedback)")
    p.add_argument("--github", action="store_true",
                   help="also append the table to $GITHUB_STEP_SUMMARY, print ::error "
                        "annotations (none with --merge) and, unless --exercise, GitHub "
                        "Classroom's two point notices; each exercise's result for "
                        "Classroom's reporter goes to $GITHUB_OUTPUT")
    p.add_argument("--merge", metavar="FILE", nargs="+", type=Path,
                   help="do not grade: merge these results JSON files and report them")
    p.add_argument("--require-sandbox", action="store_true",
                   help="refuse (exit 2) where no grading sandbox can be made, instead of "
                        "grading unsandboxed with a warning (CI uses this)")
    p.add_argument("--jobs", type=int, metavar="N", help="exercises graded at the same time")
    p.add_argument("--strict", action="store_true",
                   help="exit with code 1 when an exercise did not pass (for CI)")
    p.add_argument("--verbose", action="store_true",
                   help="also print the full traceback of every failed test cell")
    return p


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    ignore = path.parent / ".gitignore"
    if path.parent.name == DEFAULT_OUTPUT.name and not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


def _load_results(paths: list[Path]) -> dict:
    from autograder import report

    docs = []
    for path in paths:
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: cannot read results ({exc.__class__.__name__})") from None
        if not isinstance(docs[-1], dict) or "extra_data" not in docs[-1]:
            raise UsageError(f"{path}: not an autograde results file")
    return report.merge(docs)


def _warn_if_unsandboxed(limits: Limits) -> None:
    from autograder.runner import use_sandbox

    sandboxed, problem = use_sandbox(limits)
    if not sandboxed:
        sys.stderr.write(f"autograde: WARNING: grading without a sandbox ({problem}): the "
                         "notebooks run with your own powers. Fine for your own work; an "
                         "instructor's 'autograde batch' refuses this.\n")


def run(argv: list[str] | None = None) -> int:
    """The command without the exit: returns the exit code."""
    args = _parser().parse_args(argv)
    from autograder import report  # heavy imports only once the arguments are fine
    from autograder.grade import expected_seconds, find_targets, grade_all

    try:
        limits = from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.jobs is not None:
        if args.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        limits = limits.with_overrides(jobs=args.jobs)
    json_path = args.json or DEFAULT_OUTPUT / "results.json"
    if args.merge:
        if args.exercise or (argv and args.path != "assignments"):
            raise UsageError("--merge takes result files, not a PATH or --exercise")
        doc = _load_results(args.merge)
        results = []
    else:
        targets = find_targets(Path(args.path), args.exercise, args.course)
        if args.require_sandbox:
            from autograder.runner import use_sandbox

            sandboxed, problem = use_sandbox(limits)
            if not sandboxed:
                raise UsageError(f"no grading sandbox can be made here: {problem}")
            limits = limits.with_overrides(sandbox="require")
        _warn_if_unsandboxed(limits)
        # the previous run's times (if any) only decide which exercise starts first
        results = grade_all(targets, limits, expected=expected_seconds(json_path))
        feedback_dir = args.feedback or DEFAULT_OUTPUT / "feedback"
        for result in results:
            _write(feedback_dir / f"{result.exercise}.html", report.feedback_html(result))
        doc = report.results_json(results)
    _write(json_path, json.dumps(doc, indent=1) + "\n")
    print(report.table(doc))
    from autograder import terminal

    more = terminal.details(doc, results, verbose=args.verbose)
    if more:
        print(more)
    if args.github:
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(report.markdown(doc) + "\n")
        if not args.merge:  # the per-exercise runs already annotated their notebooks
            for line in report.annotations(doc):
                print(line)
        if args.merge or not args.exercise:  # every exercise: GitHub Classroom's points
            for line in report.classroom_annotations(doc):
                print(line)
        outputs = os.environ.get("GITHUB_OUTPUT")
        if outputs:  # each exercise as a runner result of Classroom's reporter
            with open(outputs, "a", encoding="utf-8") as fh:
                fh.write("".join(f"{line}\n" for line in report.classroom_outputs(doc)))
    return 1 if args.strict and not report.all_passed(doc) else 0


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``autograde``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in (*INSTRUCTOR_COMMANDS, "publish"):
        try:  # a student template ships without the instructor's commands
            if argv[0] == "publish":
                from autograder.publish.cli import main as command
            else:
                from autograder import instructor

                command = getattr(instructor, INSTRUCTOR_COMMANDS[argv[0]])
        except ImportError as exc:  # the module is missing (not one of its dependencies)
            if not (exc.name or "").startswith("autograder"):
                raise
            sys.stderr.write(f"autograde {argv[0]}: an instructor's command, not part of the "
                             "student template\n")
            raise SystemExit(2) from None
        raise SystemExit(command(argv[1:]))
    try:
        code = run(argv)
    except UsageError as exc:
        sys.stderr.write(f"autograde: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        sys.stderr.write("autograde: interrupted\n")
        code = 130
    sys.stdout.flush()
    raise SystemExit(code)


if __name__ == "__main__":
    main()
