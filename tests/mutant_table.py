"""Shared by the course round-trip tests: run solution, released notebook and mutants through
nbgrader in one batch and summarise which test cells caught each mutant."""

from __future__ import annotations

import importlib

from course_harness import RoundTrip, filled_release, released_notebook, run_round_trip

Edit = tuple[str, str, str]


def run_mutants(assignment_id: str, mutants: dict[str, list[Edit]],
                feedback: bool = False) -> RoundTrip:
    """One generate + autograde batch: 'solution', 'released' and one student per mutant."""
    submissions = {"solution": filled_release(assignment_id),
                   "released": released_notebook(assignment_id)}
    for name, edits in mutants.items():
        submissions[f"mutant-{name.replace('_', '-')}"] = filled_release(assignment_id, edits)
    return run_round_trip(assignment_id, submissions, probe=True, feedback=feedback)


def exercise_mutants(assignment_id: str) -> tuple[dict[str, list[Edit]], dict[str, str]]:
    """MUTANTS and CAUGHT_BY of ``tests/mutants/<assignment_id>.py``."""
    module = importlib.import_module(f"mutants.{assignment_id}")
    return module.MUTANTS, module.CAUGHT_BY


def run_exercise_mutants(assignment_id: str, feedback: bool = False) -> RoundTrip:
    """:func:`run_mutants` with the mutants of ``tests/mutants/<assignment_id>.py``."""
    return run_mutants(assignment_id, exercise_mutants(assignment_id)[0], feedback=feedback)


def table(trip: RoundTrip, mutants: dict[str, list[Edit]]) -> str:
    """Markdown rows: mutant | score | test cells that lost points."""
    rows = ["| mutant | score | caught by (test cells that lost points) |", "|---|---|---|"]
    for name in mutants:
        student = f"mutant-{name.replace('_', '-')}"
        got, total = trip.total(student)
        rows.append(f"| `{name}` | {got:g} / {total:g} | {', '.join(trip.lost(student))} |")
    return "\n".join(rows)
