"""Whole notebooks written from the honest corpus, graded by the real `autograde` path (kernel,
hidden tests with fresh seeds, verdicts judged outside the kernel): each gets full points.

A student's functions are put into the answer cells that define them in the released notebook;
cells whose functions the corpus does not cover (training) keep the source solution.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat
import pytest
from course_harness import ROOT, answer_sources, grade_id, released_notebook, source_notebook
from honest import ex1_lstm_from_scratch, ex2_gate_analysis, ex4_long_range, ex5_gru

from autograder.grade import find_targets, grade_all

CORPORA = {"ex1_lstm_from_scratch": ex1_lstm_from_scratch, "ex2_gate_analysis": ex2_gate_analysis,
           "ex4_long_range": ex4_long_range, "ex5_gru": ex5_gru}


def _defs(source: str) -> dict[str, str]:
    """Top-level function name -> its source; '' -> the imports."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = {"": "\n".join(ast.get_source_segment(source, n) or "" for n in tree.body
                         if isinstance(n, ast.Import | ast.ImportFrom))}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = "\n".join(lines[node.lineno - 1:node.end_lineno])
    return out


def _rest(source: str) -> str:
    """The statements of a solution cell that are not function definitions (e.g. the call
    that trains), with BEGIN/END SOLUTION markers left out."""
    tree = ast.parse(source)
    lines = source.splitlines()
    return "\n".join("\n".join(lines[n.lineno - 1:n.end_lineno]) for n in tree.body
                     if not isinstance(n, ast.FunctionDef))


def honest_notebook(exercise: str, student: str) -> nbformat.NotebookNode:
    """The released notebook with ``student``'s functions typed into the answer cells."""
    mine = _defs(CORPORA[exercise].source_of(student))
    solutions = answer_sources(source_notebook(exercise))
    nb = copy.deepcopy(released_notebook(exercise))
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid not in solutions or not cell.get("metadata", {}).get("nbgrader", {}).get(
                "solution") or cell.cell_type != "code":  # written answers: prose
            continue
        wanted = [n for n in _defs(solutions[gid]) if n]
        if wanted and all(n in mine for n in wanted):
            parts = [mine[""]] + [mine[n] for n in wanted] + [_rest(solutions[gid])]
            cell.source = "\n\n\n".join(p for p in parts if p.strip())
        else:
            cell.source = solutions[gid]
    return nb


CASES = [("ex1_lstm_from_scratch", "student03"), ("ex1_lstm_from_scratch", "student09"),
         ("ex1_lstm_from_scratch", "student12"), ("ex5_gru", "student02"),
         ("ex5_gru", "student11"), ("ex2_gate_analysis", "student05"),
         ("ex4_long_range", "student07")]


@pytest.mark.slow
def test_whole_honest_notebooks_get_full_points(tmp_path: Path):
    paths = []
    for exercise, student in CASES:
        path = tmp_path / student / exercise / f"{exercise}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(honest_notebook(exercise, student), path)
        paths.append(path)
    targets = [t for p in paths for t in find_targets(p, course=ROOT)]
    results = grade_all(targets)
    for (exercise, student), result in zip(CASES, results, strict=True):
        lost = {t.grade_id: t.message for t in result.tests if not t.passed}
        assert result.passed and result.points == result.max_points, (exercise, student, lost)
