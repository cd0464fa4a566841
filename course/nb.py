"""Tiny authoring layer: build nbgrader notebooks (metadata schema v3) from Python.

Each exercise is written as a module in ``course/`` whose ``build()`` returns a notebook made
with these helpers; ``python -m course.build`` writes them to ``source/<exercise>/``. The
Python modules are the text the instructors review; ``source/`` is what nbgrader reads.
"""

from __future__ import annotations

import textwrap

import nbformat
from nbformat.notebooknode import NotebookNode

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _meta(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
    task: bool = False,
) -> dict:
    m: dict = {
        "schema_version": 3,
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "task": task,
        "grade_id": grade_id,
    }
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def markdown(text: str) -> NotebookNode:
    """Plain explanatory text (students may edit it; it is not graded)."""
    return nbformat.v4.new_markdown_cell(_src(text))


def code(text: str) -> NotebookNode:
    """A plain code cell (examples, plots) that is neither graded nor locked."""
    return nbformat.v4.new_code_cell(_src(text))


def setup(grade_id: str, text: str) -> NotebookNode:
    """A read-only code cell (imports, data): nbgrader restores it if edited."""
    return nbformat.v4.new_code_cell(_src(text), metadata=_meta(grade_id, locked=True))


def answer(grade_id: str, text: str) -> NotebookNode:
    """An autograded answer cell; wrap the solution in ### BEGIN SOLUTION / ### END SOLUTION."""
    return nbformat.v4.new_code_cell(_src(text), metadata=_meta(grade_id, solution=True))


def written_answer(grade_id: str, text: str, points: float) -> NotebookNode:
    """A manually graded markdown answer."""
    return nbformat.v4.new_markdown_cell(
        _src(text), metadata=_meta(grade_id, grade=True, solution=True, points=points)
    )


def test(grade_id: str, points: float, visible: str, hidden: str = "") -> NotebookNode:
    """A locked autograder test cell: visible part, then an optional hidden part."""
    text = _src(visible)
    if hidden.strip():
        text += "\n### BEGIN HIDDEN TESTS\n" + _src(hidden) + "\n### END HIDDEN TESTS"
    return nbformat.v4.new_code_cell(
        text, metadata=_meta(grade_id, grade=True, locked=True, points=points)
    )


def points_of(cells: list[NotebookNode], written: bool = False) -> float:
    """The autograded points of an exercise: the sum over its graded test cells (the one
    source of truth); with ``written``, the points of its manually graded answers instead."""
    total = 0.0
    for c in cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and bool(meta.get("solution")) == written:
            total += meta.get("points") or 0
    return float(total)


POINTS_LINE = "**This exercise is worth {points:g} points**, spread over its graded test cells."
WRITTEN_LINE = " Its written answers add {points:g} point{s}, graded by your instructor."


def notebook(cells: list[NotebookNode]) -> NotebookNode:
    """The notebook of ``cells``; the first markdown cell gets the exercise's points."""
    first = next((c for c in cells if c.cell_type == "markdown"), None)
    if first is not None:
        written = points_of(cells, written=True)
        first.source = first.source.rstrip() + "\n\n" + POINTS_LINE.format(
            points=points_of(cells)) + (
            WRITTEN_LINE.format(points=written, s="" if written == 1 else "s") if written else "")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    return nb
