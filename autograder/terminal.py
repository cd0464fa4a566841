"""What the terminal shows below the table: every failing check, where, and what to do next.

For each exercise that did not pass, every failed test cell gets its message, the line of the
student's code an exception came from (their cell, never the grader's frames) and a one-line
hint; ``verbose`` adds each failed cell's full traceback. The last line is the next step.
Everything but the tracebacks comes from the results JSON, so a merged report shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograder.attribution import traceback_text
from autograder.judge import ExerciseResult

INDENT = "    "


def _tracebacks(results: Iterable[ExerciseResult]) -> dict[tuple[str, str], str]:
    """(exercise, grade_id) -> the failed test cell's traceback text (hidden tests included:
    the student's own run shows the same calls)."""
    found = {}
    for result in results:
        if result.executed is None or result.assembled is None:
            continue
        for i, role in result.assembled.test_cells():
            text = traceback_text(result.executed.cells[i])
            if text:
                found[(result.exercise, role.grade_id or "")] = text
    return found


def _failed(ex: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in ex.get("tests", []) if not t.get("passed")]


def details(doc: dict[str, Any], results: Iterable[ExerciseResult] = (),
            verbose: bool = False) -> str:
    """The lines under the table for ``doc`` (a results JSON); '' when everything passed."""
    tracebacks = _tracebacks(results) if verbose else {}
    lines: list[str] = []
    for ex in doc["extra_data"]["exercises"]:
        if ex.get("passed"):
            continue
        if ex.get("status") == "not attempted":
            continue  # the table says so; the next step says where to start
        failed = _failed(ex)
        lines.append("")
        lines.append(f"{ex['exercise']} ({ex['points']:g}/{ex['max_points']:g}): "
                     f"{ex.get('notebook', '')}")
        if not failed:
            lines.append(f"{INDENT}{ex.get('message') or 'failed'}")
            continue
        for t in failed:
            lines.append(f"  x {t['grade_id']} ({t['max_points']:g} points): {t['message']}")
            if t.get("where"):
                lines.append(f"{INDENT}at {t['where']}")
            if t.get("hint"):
                lines.append(f"{INDENT}hint: {t['hint']}")
            trace = tracebacks.get((ex["exercise"], t["grade_id"]))
            if trace:
                lines.extend(INDENT + line for line in trace.splitlines())
    step = next_step(doc)
    if step:
        lines += ["", step]
    return "\n".join(lines)


def next_step(doc: dict[str, Any]) -> str:
    """One sentence: the first thing to fix, or that all is done."""
    exercises = doc["extra_data"]["exercises"]
    for ex in exercises:
        if ex.get("passed"):
            continue
        failed = _failed(ex)
        if ex.get("status") == "not attempted" or not failed:
            short = short_name(ex["exercise"])
            return (f"Next: open {ex.get('notebook') or ex['exercise']} and work through it "
                    f"from the top; `make grade EX={short}` (or `autograde --exercise {short}`) "
                    "grades it again.")
        first = failed[0]
        if first["message"].startswith("not attempted yet"):
            return f"Next: {first['grade_id']} in {ex['exercise']}: {first['message']}."
        where = f" ({first['where']})" if first.get("where") else ""
        return (f"Next: fix {first['grade_id']} in {ex['exercise']}{where}; add --verbose to "
                "see the full tracebacks.")
    return ""


def short_name(exercise: str) -> str:
    """'ex1_lstm_from_scratch' -> 'ex1'."""
    return exercise.split("_", 1)[0]
