"""Write the instructor notebooks ``source/<id>/<id>.ipynb`` from the modules ``course/<id>.py``.

Usage: ``python -m course.build [--out DIR] [EXERCISE ...]`` (default: every exercise, into
``source/``). The output is deterministic: cell ids are derived from the nbgrader grade ids or
the cell position, so rebuilding an unchanged module gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import NoReturn

import nbformat
from nbformat.notebooknode import NotebookNode

EXERCISES = (
    "ex1_lstm_from_scratch",
    "ex2_gate_analysis",
    "ex3_ablation",
    "ex4_long_range",
    "ex5_gru",
)
ROOT = Path(__file__).resolve().parent.parent


def available_exercises() -> list[str]:
    """The exercise ids whose authoring module ``course/<id>.py`` exists."""
    return [e for e in EXERCISES if (ROOT / "course" / f"{e}.py").exists()]


def fix_cell_ids(nb: NotebookNode, exercise: str) -> NotebookNode:
    """Give every cell a stable id: its grade id if it has one, else kind + position."""
    seen: set[str] = set()
    for k, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell_id = grade_id.replace("_", "-") if grade_id else f"{cell.cell_type[:2]}-{k:03d}"
        if cell_id in seen:
            raise ValueError(f"{exercise}: two cells would get the id {cell_id!r}")
        seen.add(cell_id)
        cell["id"] = cell_id
    return nb


def build_notebook(exercise: str) -> NotebookNode:
    """Import ``course.<exercise>`` and return its notebook with fixed cell ids."""
    module = importlib.import_module(f"course.{exercise}")
    if getattr(module, "ASSIGNMENT", None) != exercise:
        raise ValueError(f"course/{exercise}.py must set ASSIGNMENT = {exercise!r}")
    nb = fix_cell_ids(module.build(), exercise)
    nbformat.validate(nb)
    return nb


def write_source(exercise: str, out_dir: Path) -> Path:
    """Build one exercise into ``out_dir/<id>/<id>.ipynb`` and return the path."""
    nb = build_notebook(exercise)
    path = out_dir / exercise / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def rubric_markdown(exercise: str) -> str | None:
    """The grading rubric of an exercise's written answers (``RUBRIC`` in its module), or None.

    One section per manually graded cell, in notebook order: the prompt's grade id, its points
    and what a full answer contains.
    """
    module = importlib.import_module(f"course.{exercise}")
    rubric: dict[str, str] = getattr(module, "RUBRIC", {})
    if not rubric:
        return None
    nb = build_notebook(exercise)
    lines = [f"# Rubric: {exercise} (manually graded answers)", ""]
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown":
            gid = meta["grade_id"]
            if gid not in rubric:
                raise ValueError(f"course/{exercise}.py: written answer {gid!r} has no rubric")
            lines += [f"## `{gid}` ({meta['points']:g} points)", "", rubric[gid].strip(), ""]
    return "\n".join(lines)


def write_rubric(exercise: str, out_dir: Path) -> Path | None:
    """Write ``out_dir/<id>/rubric.md`` (never released: see nbgrader_config.py)."""
    text = rubric_markdown(exercise)
    if text is None:
        return None
    path = out_dir / exercise / "rubric.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def build_all(out_dir: Path, exercises: list[str] | None = None) -> list[Path]:
    """Build the given exercises (default: every one with an authoring module), notebooks and
    rubrics; returns the notebooks' paths."""
    paths = []
    for e in exercises or available_exercises():
        paths.append(write_source(e, out_dir))
        write_rubric(e, out_dir)
    return paths


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m course.build", description=__doc__)
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "source", help="output directory")
    args = parser.parse_args(argv)
    known = available_exercises()
    unknown = [e for e in args.exercises if e not in known]
    if unknown:
        print(f"error: unknown exercise {unknown[0]!r}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    for path in build_all(args.out, args.exercises or None):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
