"""``autograde collect`` and ``autograde batch``: the instructor's side of the class workflow.

    autograde collect --roster roster.csv          # forks -> submitted/<student>/<exercise>/
    autograde batch --jobs 4 --gradebook           # grade them all -> grader-output/batch/
    autograde batch --merge shard-*/ --out merged  # join the outputs of sharded jobs

Exit codes: 0 the command completed (students whose work is missing or broken are reported,
they do not make it fail), 2 bad usage (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from autograder import _imports  # noqa: F401  (first: fast start-up)
from autograder.batch import BatchError, in_shard, parse_shard

DEFAULT_OUT = Path("grader-output") / "batch"
DEFAULT_CACHE = Path("grader-output") / "clones"


class UsageError(ValueError):
    """Bad command-line input: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        return parse_shard(text)
    except BatchError as exc:
        raise UsageError(str(exc)) from None


def _course(path: Path) -> Path:
    if not path.is_dir():
        raise UsageError(f"--course {path}: no such folder")
    if not ((path / "source").is_dir() or (path / "release").is_dir()):
        raise UsageError(f"--course {path}: not a course (no source/ or release/ folder)")
    return path.resolve()


def _exercises(course: Path, chosen: list[str] | None) -> list[str]:
    from autograder import errors
    from autograder.grade import known_exercises, resolve_exercise

    known = known_exercises(course)
    if not known:
        raise UsageError(f"{course}: the course has no exercise notebooks in source/ or release/")
    try:  # ids or short names (ex1)
        chosen = [resolve_exercise(ex, known) for ex in chosen or []]
    except errors.UsageError as exc:
        raise UsageError(str(exc)) from None
    return list(dict.fromkeys(chosen)) if chosen else known


def _roster_students(path: Path) -> list[str]:
    """Student ids of a roster CSV, or of a course file (``.toml``)."""
    from autograder.collect import RosterError, load_roster

    if path.suffix == ".toml":
        return [s.id for s in _load_course_file(path).students]
    try:
        return [e.student for e in load_roster(path)]
    except RosterError as exc:
        raise UsageError(str(exc)) from None


# --------------------------------------------------------------------------- collect


def collect_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="autograde collect",
        description="Copy student work into nbgrader's submitted/<student>/<exercise>/ layout, "
                    "recording the commit of each (in SUBMISSION.json). Only the exercise's "
                    "regular files are copied (never a link, device or pipe; size caps): "
                    "every refused file is listed with its reason. Missing or malformed "
                    "forks are reported by name; the others are still collected.",
        epilog="Roster: a CSV file with the header 'student_id,repo,ref'; repo is anything "
               "'git clone' accepts, ref (a branch, tag or commit) may be empty for the default "
               "branch. Course file: TOML with the roster, due dates, late rules and "
               "extensions (docs/instructors.md). Clones folder: one sub-folder per student, "
               "named by the student id.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--roster", metavar="FILE", type=Path, help="clone the forks in this roster")
    src.add_argument("--course-file", metavar="TOML", type=Path,
                     help="clone the forks of this course file's roster, each exercise from "
                          "the last commit before its deadline (see docs/instructors.md)")
    src.add_argument("--from-clones", metavar="DIR", type=Path,
                     help="use a folder of existing clones, one per student")
    p.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                   help="the course root (has source/ or release/; default: current folder)")
    p.add_argument("--exercise", metavar="ID", action="append",
                   help="collect only this exercise (repeatable; default: all)")
    p.add_argument("--shard", metavar="K/N",
                   help="collect only the students of shard K of N (same split as batch)")
    p.add_argument("--cache", metavar="DIR", type=Path,
                   help=f"where forks are cloned and kept for the next run "
                        f"(default: COURSE/{DEFAULT_CACHE})")
    p.add_argument("--max-file-mb", metavar="MB", type=float, default=20.0,
                   help="refuse any single file larger than this (default 20)")
    p.add_argument("--max-submission-mb", metavar="MB", type=float, default=60.0,
                   help="refuse files once a student's copy exceeds this (default 60)")
    p.add_argument("--github-push-times", action="store_true",
                   help="with --course-file: ask GitHub's API when each commit was pushed "
                        "(token from $GITHUB_TOKEN) and flag commit dates that disagree")
    return p


def collect_run(argv: list[str]) -> int:
    from autograder.collect import (
        Caps,
        RosterEntry,
        RosterError,
        collect_from_clones,
        collect_from_roster,
        github_push_log,
        load_roster,
        shown_name,
    )

    args = collect_parser().parse_args(argv)
    course = _course(args.course)
    exercises = _exercises(course, args.exercise)
    shard = _shard(args.shard)
    if args.max_file_mb <= 0 or args.max_submission_mb <= 0:
        raise UsageError("--max-file-mb and --max-submission-mb must be positive")
    mb = 1024 * 1024
    caps = Caps(int(args.max_file_mb * mb), int(args.max_submission_mb * mb))
    cache = args.cache or course / DEFAULT_CACHE
    if args.course_file is not None:
        course_file = _load_course_file(args.course_file)
        roster = [RosterEntry(s.id, s.fork, s.ref) for s in course_file.students
                  if in_shard(s.id, shard)]
        missing_fork = [e.student for e in roster if not e.repo]
        if missing_fork:
            raise UsageError(f"{args.course_file}: no fork for {', '.join(missing_fork)}")
        token = os.environ.get("GITHUB_TOKEN")
        push_log = (lambda repo: github_push_log(repo, token)) if args.github_push_times \
            else None
        report = collect_from_roster(roster, course, exercises, cache, caps, course_file,
                                     push_log)
    elif args.roster is not None:
        try:
            roster = load_roster(args.roster)
        except RosterError as exc:
            raise UsageError(str(exc)) from None
        roster = [e for e in roster if in_shard(e.student, shard)]
        report = collect_from_roster(roster, course, exercises, cache, caps)
    else:
        clones = args.from_clones
        if not clones.is_dir():
            raise UsageError(f"--from-clones {clones}: no such folder")
        if shard is None:
            report = collect_from_clones(clones, course, exercises, caps)
        else:  # the library takes a whole folder: give it one holding only this shard
            with tempfile.TemporaryDirectory(prefix="autograde-shard-") as tmp:
                for folder in clones.iterdir():
                    if folder.is_dir() and in_shard(folder.name, shard):
                        (Path(tmp) / folder.name).symlink_to(folder.resolve())
                report = collect_from_clones(Path(tmp), course, exercises, caps)
    for r in report.results:
        if r.status == "collected":
            extra = f" ({r.message})" if r.message else ""
            commit = r.commit[:12] if r.commit else "no git commit"
            print(f"  collected  {r.student}  {commit}  {len(r.exercises)} exercise(s){extra}")
        else:
            print(f"  {r.status:<9}  {shown_name(r.student)}: {shown_name(r.message)}")
        for refusal in r.refused:
            print(f"    refused  {refusal['path']}: {refusal['reason']}")
    print(report.summary())
    return 0


def _load_course_file(path: Path):  # -> CourseFile
    from autograder.course_file import CourseFileError, load_course_file

    try:
        return load_course_file(path)
    except CourseFileError as exc:
        raise UsageError(str(exc)) from None


def collect_main(argv: list[str]) -> int:
    """``autograde collect …``; returns the exit code."""
    return _guard(collect_run, argv, "autograde collect")


# --------------------------------------------------------------------------- batch


def batch_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="autograde batch",
        description="Grade every collected submission (COURSE/submitted/<student>/<exercise>/) "
                    "with the kit's grader, several at a time. Writes per student a results "
                    "JSON, feedback HTML and the graded notebook, and OUT/grades.csv with one "
                    "column per test cell, late columns and flags for a person to look at "
                    "(tampered test cells, limits hit, refused files, similar submissions: "
                    "OUT/similarity.html). The CSV is rewritten after every submission. A "
                    "re-run skips submissions whose commit did not change, so after Ctrl-C "
                    "or a kill it grades only what is missing. One student's crash, hang or "
                    "broken notebook never stops the batch.",
        epilog="Sharding: run 'collect --shard K/N' and 'batch --shard K/N' in N jobs, then "
               "'batch --merge OUT_1 ... OUT_N --out OUT' once. Limits (per-cell and "
               "per-notebook timeouts, memory) also come from AUTOGRADE_* environment variables.",
    )
    p.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                   help="the course root (default: current folder)")
    p.add_argument("--out", metavar="DIR", type=Path,
                   help=f"output folder (default: COURSE/{DEFAULT_OUT})")
    p.add_argument("--exercise", metavar="ID", action="append",
                   help="grade only this exercise (repeatable; default: all)")
    p.add_argument("--jobs", metavar="N", type=int, default=None,
                   help=f"submissions graded at the same time, each in its own process "
                        f"(default: the number of cores, {_cores()} here)")
    p.add_argument("--shard", metavar="K/N", help="grade only the students of shard K of N")
    p.add_argument("--roster", metavar="FILE", type=Path,
                   help="the class list (a roster CSV or the course file, .toml): students "
                        "on it with nothing collected count as missing")
    p.add_argument("--force", action="store_true",
                   help="re-grade everything, even submissions that did not change")
    p.add_argument("--gradebook", action="store_true",
                   help="also write the scores into nbgrader's gradebook (and autograded/), so "
                        "'nbgrader generate_feedback' and 'nbgrader export' show them")
    p.add_argument("--merge", metavar="DIR", nargs="+", type=Path,
                   help="do not grade: merge these batch output folders into --out")
    p.add_argument("--cell-timeout", metavar="S", type=float,
                   help="seconds one cell may run (default 60)")
    p.add_argument("--notebook-timeout", metavar="S", type=float,
                   help="seconds one notebook may run (default 180)")
    p.add_argument("--student", metavar="ID", action="append",
                   help="re-grade only this student (repeatable); with the same course secret "
                        "the grade is identical to the first one")
    p.add_argument("--unsandboxed", action="store_true",
                   help="grade even where no sandbox can be made (every CSV row then says "
                        "'unsandboxed'); never do this with untrusted submissions")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _sandbox_mode(args: argparse.Namespace) -> str:
    """'require' where a sandbox can be made; 'off' with --unsandboxed; else a UsageError."""
    from autograder.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem is None:
        return "require"
    if args.unsandboxed:
        sys.stderr.write(f"autograde batch: WARNING: no sandbox ({problem}); grading "
                         "unsandboxed as asked: student code runs with your powers\n")
        return "off"
    raise UsageError(f"no sandbox can be made here: {problem}. Fix that, or pass "
                     "--unsandboxed to grade without one (only for trusted submissions)")


def _limits(args: argparse.Namespace, jobs: int):  # -> Limits
    from autograder.limits import from_env

    try:
        limits = from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    changes: dict[str, float | str] = {"jobs": jobs}
    for name in ("cell_timeout", "notebook_timeout"):
        value = getattr(args, name)
        if value is not None:
            if value <= 0:
                raise UsageError(f"--{name.replace('_', '-')} must be positive")
            changes[name] = value
    return limits.with_overrides(**changes)


def batch_run(argv: list[str]) -> int:
    from autograder import batch

    args = batch_parser().parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    jobs = args.jobs or _cores()
    roster = _roster_students(args.roster) if args.roster else None
    if args.merge:
        if args.out is None:
            raise UsageError("--merge needs --out (the merged folder)")
        if args.shard or args.force:
            raise UsageError("--merge does not grade: --shard and --force do not apply")
        try:
            batch.check_manifests(args.merge)
            merged = batch.merge(args.merge, args.out)
        except BatchError as exc:
            raise UsageError(str(exc)) from None
        students = sorted(set(merged) | set(roster or []))
        course_dir = args.course if (args.course / "release").is_dir() else None
        batch.similarity_report(args.out, students, None, course_dir)
        batch.write_grades_csv(args.out, students)
        print(f"merged {len(merged)} students into {args.out}")
        print(batch.summarise(args.out, students).text())
        if args.gradebook:
            _gradebook(args, Path(args.course), args.out, students, None)
        return 0
    course = _course(args.course)
    exercises = _exercises(course, args.exercise)
    shard = _shard(args.shard)
    limits = _limits(args, jobs).with_overrides(sandbox=_sandbox_mode(args))
    out = args.out or course / DEFAULT_OUT
    if not (course / "submitted").is_dir() and roster is None:
        raise UsageError(f"nothing to grade: {course / 'submitted'} does not exist "
                         "(run 'autograde collect' first)")
    from autograder.seeds import load_secret

    load_secret(course, create=True)  # the inputs of every check come from it
    trusted = batch.trusted_digest(course)
    chosen = args.student
    if chosen:
        submitted = course / "submitted"
        unknown = [s for s in chosen if not (submitted / s).is_dir()]
        if unknown:
            raise UsageError(f"--student {unknown[0]}: no such student in {submitted}")
    listed = [s for s in roster or [] if batch.in_shard(s, shard)]
    try:
        run = batch.run_batch(course, out, exercises, limits, jobs, shard=shard,
                              force=args.force or bool(chosen), students=chosen,
                              progress=not args.no_progress, csv_students=listed,
                              fingerprint=trusted)
    except KeyboardInterrupt:
        sys.stderr.write(f"autograde batch: interrupted; {out / batch.GRADES_CSV} holds what "
                         "was graded so far: run the same command again to grade the rest\n")
        return 130
    if batch.trusted_digest(course) != trusted:
        raise UsageError(batch.TRUSTED_CHANGED.replace(": not graded", "") + "; the results "
                         f"in {out} cannot be trusted: restore them and run the batch again")
    batch.write_manifest(out, course, trusted)
    students = sorted({t.student for t in run.tasks} | set(listed))
    if chosen:
        students = sorted(set(students) | set(batch.stored_students(out)))
    try:
        similar = batch.similarity_report(out, students, exercises, course)
    except Exception as exc:  # a report, not a grade: never lose the batch over it
        sys.stderr.write(f"autograde batch: the similarity report failed ({exc})\n")
        similar = {"pairs": [], "reference": []}
    batch.write_grades_csv(out, students, exercises)
    summary = batch.summarise(out, students, exercises)
    summary.unchanged, summary.seconds = len(run.unchanged), run.seconds
    print(summary.text())
    print(f"results: {out / batch.STUDENTS}/<student>/  grades: {out / batch.GRADES_CSV}")
    print(f"similarity: {len(similar['pairs'])} pair(s) of students, "
          f"{len(similar['reference'])} close to lstm_reference: {out / 'similarity.html'}")
    if args.gradebook:
        _gradebook(args, course, out, students, exercises)
    return 0


def _gradebook(args: argparse.Namespace, course: Path, out: Path, students: list[str],
               exercises: list[str] | None) -> None:
    from autograder.gradebook import GradebookError, import_results

    try:
        done = import_results(_course(course), out, students=students, exercises=exercises)
    except GradebookError as exc:
        raise UsageError(str(exc)) from None
    print(f"gradebook: {done.submissions} submission(s) of {len(done.students)} student(s) "
          f"written to {done.db_url}")


def batch_main(argv: list[str]) -> int:
    """``autograde batch …``; returns the exit code."""
    return _guard(batch_run, argv, "autograde batch")


# --------------------------------------------------------------------------- export, report


def export_main(argv: list[str]) -> int:
    """``autograde export …`` (see :mod:`autograder.classroom.export`)."""
    from autograder.classroom.commands import export_run

    return _guard(export_run, argv, "autograde export")


def report_main(argv: list[str]) -> int:
    """``autograde report …`` (see :mod:`autograder.classroom.report_class`)."""
    from autograder.classroom.commands import report_run

    return _guard(report_run, argv, "autograde report")


def _guard(run: Callable[[list[str]], int], argv: list[str], prog: str) -> int:
    try:
        code = run(argv)
    except BrokenPipeError:  # `… | head`: the reader has gone, that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return 2
    except SystemExit as exc:  # argparse --help
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # `… | head`: the reader has gone, that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


def main() -> None:
    """``python -m autograder.instructor collect|batch …`` (until the main CLI routes them)."""
    argv = sys.argv[1:]
    commands = {"collect": collect_main, "batch": batch_main, "export": export_main,
                "report": report_main}
    if not argv or argv[0] not in commands:
        sys.stderr.write("usage: python -m autograder.instructor {collect,batch,export,report} "
                         "[options] "
                         "(--help for each)\n")
        raise SystemExit(2)
    raise SystemExit(commands[argv[0]](argv[1:]))


if __name__ == "__main__":
    main()
