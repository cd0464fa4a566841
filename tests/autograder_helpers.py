"""Shared helpers for the autograder tests: the fixture course and notebook surgery."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
COURSE = FIXTURES / "fxcourse"

for _path in (ROOT, FIXTURES):  # `course` (the course tools) and `fxchecks` importable
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import fxchecks  # noqa: E402  (the fixture course's checks, re-exported for the tests)

__all__ = ["COURSE", "FIXTURES", "ROOT", "fxchecks"]


def use_fixture_checks(monkeypatch) -> None:
    """Make ``fxchecks`` importable in the grader process and in the kernels it starts."""
    path = os.pathsep.join(p for p in (str(FIXTURES), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.setenv("AUTOGRADE_CHECK_PACKAGES", "fxchecks")


def read(path: Path) -> NotebookNode:
    return nbformat.read(path, as_version=4)


def source_nb(name: str = "fx1") -> NotebookNode:
    return read(COURSE / "source" / name / f"{name}.ipynb")


def release_nb(name: str = "fx1") -> NotebookNode:
    return read(COURSE / "release" / name / f"{name}.ipynb")


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell(nb: NotebookNode, gid: str) -> NotebookNode:
    return next(c for c in nb.cells if grade_id(c) == gid)


def student_from_source(edit: Callable[[NotebookNode], None] | None = None,
                        name: str = "fx1") -> NotebookNode:
    """The release notebook with the source solutions filled in, then ``edit`` applied."""
    nb = release_nb(name)
    solutions = {grade_id(c): c.source for c in source_nb(name).cells}
    for c in nb.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("solution"):
            c.source = solutions[grade_id(c)]
    if edit is not None:
        edit(nb)
    return nb


def make_course(tmp: Path, students: dict[str, NotebookNode | str | None]) -> Path:
    """A course copy at ``tmp`` with ``assignments/<ex>/<ex>.ipynb`` from ``students``.

    A value may be a notebook, raw text (e.g. broken JSON) or None (no notebook).
    """
    root = tmp / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    for name, content in students.items():
        folder = root / "assignments" / name
        folder.mkdir(parents=True, exist_ok=True)
        if content is None:
            continue
        text = content if isinstance(content, str) else nbformat.writes(content)
        (folder / f"{name}.ipynb").write_text(text, encoding="utf-8")
    return root


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def deep(nb: NotebookNode) -> NotebookNode:
    return copy.deepcopy(nb)


def live_processes(mark: str) -> list[str]:
    """Pids of the machine's processes (zombies aside) whose command line holds ``mark``: a
    process a notebook started must not outlive its grade."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if mark.encode() in cmdline and state != "Z":
            found.append(proc.name)
    return found
