"""Run the source solution's answer cells (optionally mutated) as plain Python, for unit tests
of the checks: an implementation written independently of ``lstm_reference``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from course_harness import answer_sources, apply_edits, grade_id, source_notebook

Edit = tuple[str, str, str]


def solution_namespace(assignment_id: str, edits: Iterable[Edit] = (),
                       skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Exec the setup cell and the answer cells (except ``skip``) in one namespace."""
    nb = source_notebook(assignment_id)
    answers = apply_edits(answer_sources(nb), edits)
    ns: dict[str, Any] = {"__name__": "__main__"}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid == "setup":
            exec(compile(cell.source, f"<{assignment_id}:setup>", "exec"), ns)
        elif gid in answers and gid not in skip and cell.cell_type == "code":  # not written
            exec(compile(answers[gid], f"<{assignment_id}:{gid}>", "exec"), ns)
    return ns
