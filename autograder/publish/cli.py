"""``autograde publish DEST [--hide-tests] [--git] [--force] [--course DIR]``.

Exit codes: 0 written, 2 bad usage or a template that may not be written (one line on stderr:
e.g. a hidden test that is not a call of a registered check, named by exercise and cell).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class _UsageError(ValueError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise _UsageError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="autograde publish",
        description="Write the student template: the release notebooks as assignments/, the "
                    "checks and hidden tests the grader needs, the parts of lstm_reference the "
                    "exercises use, the student workflow, README, Makefile and pyproject. No "
                    "source/, no course builder, no instructor workflows, no solution text. "
                    "Publishing twice gives the same files.",
        epilog="Hidden tests ship when each is a call of a registered check (inputs drawn at "
               "grading); any other hidden test stops publish (exit 2) unless --hide-tests. "
               "See docs/classroom.md.",
    )
    p.add_argument("dest", metavar="DEST", type=Path, help="the folder to write (new or empty)")
    p.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                   help="the instructor's kit (has source/ and release/; default: current "
                        "folder)")
    p.add_argument("--hide-tests", action="store_true",
                   help="ship only the visible tests; the student's report names the test "
                        "cells whose hidden tests run only at instructor grading")
    p.add_argument("--git", action="store_true",
                   help="make DEST a fresh git repository with one commit (a GitHub template "
                        "or Classroom starter repository)")
    p.add_argument("--force", action="store_true",
                   help="replace DEST's contents if it is not empty")
    return p


def run(argv: list[str]) -> int:
    from autograder.publish.build import PublishError, publish

    args = parser().parse_args(argv)
    if not args.course.is_dir():
        raise _UsageError(f"--course {args.course}: no such folder")
    try:
        done = publish(args.course, args.dest, hide_tests=args.hide_tests, git=args.git,
                       force=args.force)
    except PublishError as exc:
        raise _UsageError(str(exc)) from None
    print(done.summary())
    return 0


def main(argv: list[str]) -> int:
    """``autograde publish …``; returns the exit code."""
    try:
        return run(argv)
    except _UsageError as exc:
        sys.stderr.write(f"autograde publish: {exc}\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write("autograde publish: interrupted\n")
        return 130
