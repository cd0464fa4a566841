"""The hidden-test manifest of a student template (``release/hidden_tests.json``).

A template made by ``autograde publish`` has no ``source/``: its trusted notebooks are the
``release/`` ones, whose test cells lack the hidden tests. In this kit a hidden test is a call of
a registered check whose inputs are drawn at grading, so its text reveals nothing; the manifest
carries those test cells whole, and the grader puts them back into the release notebook, so a
student's own run grades the same checks for the same points as the instructor's grade.

With ``autograde publish --hide-tests`` the manifest carries no hidden test at all, only the
names of the test cells whose hidden part runs at instructor grading, so the report can say so.

Format (JSON)::

    {"format": 1,
     "exercises": {"<exercise>": {"tests": {"<grade_id>": "<whole test cell source>", ...},
                                  "withheld": ["<grade_id>", ...]}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.assemble import NotebookError, nbgrader_meta

#: the manifest's file name, inside the course's ``release/`` folder
MANIFEST = "hidden_tests.json"
FORMAT = 1


@dataclass(frozen=True)
class ExerciseTests:
    """One exercise's entry: whole test-cell sources by grade_id, and withheld cells."""

    tests: dict[str, str]
    withheld: tuple[str, ...] = ()


def manifest_path(root: Path) -> Path:
    return root / "release" / MANIFEST


def load(root: Path) -> dict[str, ExerciseTests] | None:
    """The manifest of the course at ``root`` by exercise; None when there is none.

    A manifest that cannot be read is a NotebookError (one line, names the file).
    """
    path = manifest_path(root)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT}")
        out = {}
        for exercise, entry in doc["exercises"].items():
            tests = {str(k): str(v) for k, v in entry.get("tests", {}).items()}
            out[str(exercise)] = ExerciseTests(tests, tuple(map(str, entry.get("withheld", []))))
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotebookError(f"{path}: not a readable hidden-test manifest ({exc}); restore it "
                            "from the template") from None


def dumps(exercises: dict[str, ExerciseTests]) -> str:
    """The manifest as text: sorted keys, so the same tests give the same bytes."""
    doc = {"format": FORMAT, "exercises": {
        ex: {"tests": dict(sorted(e.tests.items())), "withheld": sorted(e.withheld)}
        for ex, e in sorted(exercises.items())}}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def restore(release: NotebookNode, tests: dict[str, str]) -> NotebookNode:
    """A copy of the release notebook whose test cells carry the manifest's whole sources."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta is not None and meta["grade_id"] in tests and meta.get("grade") and (
                not meta.get("solution")) and cell.cell_type == "code":
            cell.source = tests[meta["grade_id"]]
    return nb
