"""`nbgrader autograde` with the kit's config grades the kit's way: in the sandbox, with the
grader's inputs, verdicts recomputed outside the kernel; the same points per test cell as
`autograde batch` for the same submissions and course secret.

A class of seven ex1 submissions (honest, buggy, unanswered and four hostile ones) is graded by
the real `nbgrader autograde` command and by `autograde batch`; then nbgrader's own
`generate_feedback` must show no hidden test line, and without a sandbox the command must stop
with the fix named (or, when the instructor opts out, say on every notebook that it ran
unsandboxed).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_harness import ROOT, filled_release, grade_id, released_notebook

from autograder.instructor import batch_main
from autograder.sandbox import sandbox_problem

EX = "ex1_lstm_from_scratch"
SECRET = "the-course-secret"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    sandbox_problem() is not None and not os.environ.get("CI"),
    reason=f"no sandbox on this machine: {sandbox_problem()}")]


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if grade_id(c) == gid)


def _stubs_with(code: str) -> nbformat.NotebookNode:
    nb = released_notebook(EX)
    _cell(nb, "sigmoid_answer").source = code
    return nb


def _class(course: Path) -> dict[str, nbformat.NotebookNode]:
    honest = filled_release(EX)
    half = filled_release(EX)
    _cell(half, "lstm_backward_answer").source = _cell(
        released_notebook(EX), "lstm_backward_answer").source
    wrong = filled_release(EX)
    step = _cell(wrong, "lstm_step_forward_answer")
    step.source = re.sub(r"\bf \* C_prev", "0.0 * C_prev", step.source, count=1)
    assert step.source != _cell(honest, "lstm_step_forward_answer").source
    source_nb = course / "source" / EX / f"{EX}.ipynb"
    students = {
        "honest": honest,
        "half_done": half,
        "forgets_everything": wrong,
        "unanswered": released_notebook(EX),
        # the six lines of the issue: replace the checks, implement nothing
        "patched_checks": _stubs_with(
            "for _n in [n for n in dir(checks) if n.startswith('check_')]:\n"
            "    setattr(checks, _n, lambda *a, **k: None)\n"
            "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"),
        "reads_solutions": _stubs_with(
            "import json\n"
            f"for c in json.load(open({str(source_nb)!r}))['cells']:\n"
            "    if c['metadata'].get('nbgrader', {}).get('solution'):\n"
            "        exec(''.join(c['source']))\n"),
        "calls_reference": _stubs_with(
            "import importlib\n_m = importlib.import_module('lstm_' + 'reference.lstm')\n"
            "lstm_step_forward = lambda *a: _m.lstm_step_forward(*a)\n"
            "lstm_forward = lambda *a: _m.lstm_forward(*a)\n"
            "lstm_backward = lambda *a: _m.lstm_backward(*a)\n"),
    }
    return students


def _course(tmp: Path) -> Path:
    course = tmp / "course"
    shutil.copytree(ROOT / "source" / EX, course / "source" / EX)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


def _nbgrader(course: Path, *args: str, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess:
    run_env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   AUTOGRADE_SECRET=SECRET, **(env or {}))
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=run_env,
                          capture_output=True, text=True, timeout=900)


def _gradebook_scores(course: Path, students: list[str]) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            nb = gb.find_submission_notebook(EX, EX, student)
            scores[student] = {g.name: float(g.score) for g in nb.grades
                               if g.max_score and not g.name.endswith("_answer")}
    return scores


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbg")
    course = _course(tmp)
    students = _class(course)
    for student, nb in students.items():
        path = course / "submitted" / student / EX / f"{EX}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    gen = _nbgrader(course, "generate_assignment", EX, "--force")
    assert gen.returncode == 0, gen.stderr
    auto = _nbgrader(course, "autograde", EX, "--force")
    nbgrader_scores = _gradebook_scores(course, list(students))
    os.environ["AUTOGRADE_SECRET"] = SECRET
    try:
        assert batch_main(["--course", str(course), "--jobs", "2", "--no-progress"]) == 0
    finally:
        os.environ.pop("AUTOGRADE_SECRET")
    with (course / "grader-output" / "batch" / "grades.csv").open(encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    feedback = _nbgrader(course, "generate_feedback", EX, "--force")
    return {"course": course, "students": students, "auto": auto, "nbgrader": nbgrader_scores,
            "batch": rows, "feedback": feedback}


def test_nbgrader_autograde_ran(graded) -> None:
    assert graded["auto"].returncode == 0, graded["auto"].stderr[-3000:]


def test_same_points_per_test_cell_as_autograde_batch(graded) -> None:
    for student, cells in graded["nbgrader"].items():
        row = graded["batch"][student]
        for gid, points in cells.items():
            assert float(row[f"{EX}:{gid}"]) == points, (student, gid, points, row)


def test_points_are_earned(graded) -> None:
    totals = {s: sum(c.values()) for s, c in graded["nbgrader"].items()}
    assert totals["honest"] == 26
    for attacker in ("unanswered", "patched_checks", "reads_solutions", "calls_reference"):
        assert totals[attacker] == 0, (attacker, graded["nbgrader"][attacker])
    assert 0 < totals["half_done"] < 26
    assert 0 < totals["forgets_everything"] < totals["half_done"]


def test_feedback_shows_no_hidden_test_line(graded) -> None:
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr[-2000:]
    source = nbformat.read(graded["course"] / "source" / EX / f"{EX}.ipynb", as_version=4)
    hidden = set()
    for c in source.cells:
        if "### BEGIN HIDDEN TESTS" in c.source:
            inside = c.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN")[0]
            hidden |= {line.strip() for line in inside.splitlines() if line.strip()}
    assert hidden
    pages = list((graded["course"] / "feedback").rglob("*.html"))
    assert len(pages) == len(graded["students"])
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = {line for line in hidden if line in text}
        assert not shown, (page, shown)


def test_without_a_sandbox_nbgrader_autograde_stops(tmp_path) -> None:
    course = _course(tmp_path)
    path = course / "submitted" / "someone" / EX / f"{EX}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(filled_release(EX), path)
    assert _nbgrader(course, "generate_assignment", EX, "--force").returncode == 0
    broken = {"AUTOGRADE_BWRAP": str(tmp_path / "no-bwrap")}
    stopped = _nbgrader(course, "autograde", EX, "--force", env=broken)
    assert "c.SandboxedExecute.allow_unsandboxed" in stopped.stdout + stopped.stderr
    assert not (course / "autograded" / "someone" / EX / f"{EX}.ipynb").exists()
    with (course / "nbgrader_config.py").open("a") as fh:
        fh.write("\nc.SandboxedExecute.allow_unsandboxed = True\n")
    allowed = _nbgrader(course, "autograde", EX, "--force", env=broken)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    graded_nb = nbformat.read(course / "autograded" / "someone" / EX / f"{EX}.ipynb",
                              as_version=4)
    assert "Graded unsandboxed" in graded_nb.cells[0].source
