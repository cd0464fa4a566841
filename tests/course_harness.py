"""Real nbgrader round trips for the course tests.

``round_trip(assignment_id, submissions)`` copies the course (``nbgrader_config.py`` settings and
``source/<id>/``) into a temporary directory, runs ``generate_assignment`` and then ``autograde``
for every student in ONE ``NbGraderAPI`` process and one autograde batch, and returns each
student's per-cell scores read from the gradebook.

Submissions are usually made from the released notebook with the answer cells filled in
(:func:`filled_release`), the way a student would hand them in; :func:`apply_edits` applies a
mutant's ``(answer_grade_id, old, new)`` edits to the source solutions first.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the `course` package lives at the repository root
    sys.path.insert(0, str(ROOT))

from course.release import make_api  # noqa: E402

Scores = dict[str, tuple[float, float]]
Edit = tuple[str, str, str]


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source_notebook(assignment_id: str) -> NotebookNode:
    """The instructor notebook (solutions and hidden tests) as committed in ``source/``."""
    return nbformat.read(ROOT / "source" / assignment_id / f"{assignment_id}.ipynb", as_version=4)


def released_notebook(assignment_id: str) -> NotebookNode:
    """The student notebook as committed in ``release/``."""
    return nbformat.read(ROOT / "release" / assignment_id / f"{assignment_id}.ipynb", as_version=4)


def answer_sources(nb: NotebookNode) -> dict[str, str]:
    """{grade_id: source} of the solution (answer) cells."""
    return {
        grade_id(c): c.source
        for c in nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def apply_edits(answers: dict[str, str], edits: Iterable[Edit]) -> dict[str, str]:
    """Apply ``(grade_id, old, new)`` text edits; each ``old`` must occur in that answer cell."""
    out = dict(answers)
    for gid, old, new in edits:
        if gid not in out:
            raise KeyError(f"no answer cell {gid!r} (have {sorted(out)})")
        if old not in out[gid]:
            raise ValueError(f"{gid}: snippet not found (the mutant would equal the solution)"
                             f":\n{old}")
        out[gid] = out[gid].replace(old, new)
    return out


def filled_release(assignment_id: str, edits: Iterable[Edit] = ()) -> NotebookNode:
    """The released notebook with the (optionally mutated) source solutions typed in."""
    answers = apply_edits(answer_sources(source_notebook(assignment_id)), edits)
    nb = copy.deepcopy(released_notebook(assignment_id))
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = answers[gid]
    return nb


@dataclass
class RoundTrip:
    scores: dict[str, Scores] = field(default_factory=dict)  # autograded (test) cells only
    #: manually graded answers: student -> {grade_id: (score, max_score, needs manual grade)}
    manual: dict[str, dict[str, tuple[float, float, bool]]] = field(default_factory=dict)
    autograded: dict[str, NotebookNode] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)  # student -> feedback HTML
    log: str = ""

    def total(self, student: str) -> tuple[float, float]:
        cells = self.scores.get(student, {})
        return sum(s for s, _ in cells.values()), sum(m for _, m in cells.values())

    def lost(self, student: str) -> list[str]:
        """The test cells in which ``student`` lost points."""
        return sorted(g for g, (s, m) in self.scores.get(student, {}).items() if s < m)

    def outside_failures(self, student: str) -> list[str]:
        """Test cells whose verdict, recomputed outside the kernel by the kit's
        ``SandboxedExecute`` and written into the cell, is not a pass (a cell without such a
        verdict counts as failed: nbgrader's own execution must not have graded it)."""
        from autograder.nbgrader_execute import verdict_outputs

        passed = [dict(o) for o in verdict_outputs(True, "")]
        nb = self.autograded.get(student)
        failed = []
        for cell in nb.cells if nb else []:
            gid = grade_id(cell)
            if not (gid and cell.get("metadata", {}).get("nbgrader", {}).get("grade")) \
                    or cell.cell_type != "code":  # written answers are graded by hand
                continue
            if cell.cell_type == "code" and [dict(o) for o in cell.get("outputs", [])] != passed:
                failed.append(gid)
        return sorted(failed)

    def error_of(self, student: str, gid: str) -> str:
        """The error text of a test cell in the autograded notebook (for failure messages)."""
        nb = self.autograded.get(student)
        for cell in nb.cells if nb else []:
            if grade_id(cell) == gid:
                return "\n".join(
                    f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                    if o.get("output_type") == "error"
                ) or "".join(o.get("text", "") for o in cell.get("outputs", [])
                             if o.get("name") == "stderr")
        return ""


def run_round_trip(
    assignment_id: str, submissions: dict[str, NotebookNode], probe: bool = False,
    feedback: bool = False,
) -> RoundTrip:
    """generate_assignment + one autograde batch over ``submissions``; see module docstring.

    ``probe=True`` is kept for callers; the kit's ``SandboxedExecute`` (nbgrader_config.py)
    always judges outside the kernel (see :meth:`RoundTrip.outside_failures`);
    ``feedback=True`` also runs generate_feedback and keeps each student's HTML.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with tempfile.TemporaryDirectory(prefix="lstm-lab-course-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "source" / assignment_id, root / "source" / assignment_id)
        api = make_api(root)
        result = api.generate_assignment(assignment_id, force=True, create=True)
        if not result.get("success"):
            raise RuntimeError(f"generate_assignment failed:\n{result.get('log')}")
        for student, nb in submissions.items():
            target = root / "submitted" / student / assignment_id / f"{assignment_id}.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(nb, target)
        old = os.environ.get("LSTM_LAB_PROBE")
        if probe:
            os.environ["LSTM_LAB_PROBE"] = "1"
        try:
            result = api.autograde(assignment_id, "*", force=True, create=True)
        finally:
            if old is None:
                os.environ.pop("LSTM_LAB_PROBE", None)
            else:
                os.environ["LSTM_LAB_PROBE"] = old
        trip = RoundTrip(log=result.get("log", "") + (result.get("error") or ""))
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for student in submissions:
                try:
                    nb = gb.find_submission_notebook(assignment_id, assignment_id, student)
                except MissingEntry:
                    trip.scores[student] = {}
                    continue
                trip.scores[student] = {
                    g.name: (float(g.score or 0.0), float(g.max_score)) for g in nb.grades
                    if g.cell.cell_type == "code"
                }
                trip.manual[student] = {
                    g.name: (float(g.score or 0.0), float(g.max_score), bool(g.needs_manual_grade))
                    for g in nb.grades if g.cell.cell_type != "code"
                }
        for student in submissions:
            path = root / "autograded" / student / assignment_id / f"{assignment_id}.ipynb"
            if path.exists():
                trip.autograded[student] = nbformat.read(path, as_version=4)
        if feedback:
            result = api.generate_feedback(assignment_id, None, force=True)
            trip.log += result.get("log", "") + (result.get("error") or "")
            for student in submissions:
                html = root / "feedback" / student / assignment_id / f"{assignment_id}.html"
                if html.exists():
                    trip.feedback[student] = html.read_text(encoding="utf-8")
        return trip


def round_trip(assignment_id: str, submissions: dict[str, NotebookNode]) -> dict[str, Scores]:
    """{student: {grade_id: (score, max_score)}} after a real generate + autograde."""
    return run_round_trip(assignment_id, submissions).scores
