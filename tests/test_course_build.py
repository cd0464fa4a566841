"""source/ and release/ must be what the authoring modules and nbgrader produce today."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_harness import ROOT

from course.build import available_exercises, build_all, build_notebook
from course.release import generate_release

EXERCISES = available_exercises()


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def test_there_are_exercises():
    assert "ex1_lstm_from_scratch" in EXERCISES


def test_source_is_up_to_date(tmp_path: Path):
    for path in build_all(tmp_path):
        rel = path.relative_to(tmp_path)
        committed = ROOT / "source" / rel
        assert committed.exists(), f"source/{rel} is missing: run `python -m course.build`"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"source/{rel} is out of date: run `python -m course.build`"
        )


def test_build_is_deterministic():
    for ex in EXERCISES:
        assert nbformat.writes(build_notebook(ex)) == nbformat.writes(build_notebook(ex))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_source_notebook_structure(exercise: str):
    """nbgrader metadata is valid and test cells are thin calls to named checks."""
    nb = build_notebook(exercise)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "duplicate grade ids"
    tests = [c for c in nb.cells if _nbgrader(c).get("grade") and c.cell_type == "code"]
    answers = [c for c in nb.cells if _nbgrader(c).get("solution") and c.cell_type == "code"]
    assert tests and answers
    for cell in answers:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for cell in tests:
        assert _nbgrader(cell)["locked"] and _nbgrader(cell)["points"] > 0
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
        assert all(re.match(r"checks\.check_\w+\(", ln) for ln in lines), (
            f"{_nbgrader(cell)['grade_id']}: test cells must only call checks.check_*(...)"
        )
        assert "seed=" in visible, f"{_nbgrader(cell)['grade_id']}: visible tests use a fixed seed"
    setup = [c for c in nb.cells if _nbgrader(c).get("locked") and not _nbgrader(c).get("grade")]
    assert any('warnings.filterwarnings("ignore")' in c.source for c in setup)


@pytest.mark.slow
def test_release_is_up_to_date(tmp_path: Path):
    """Re-run nbgrader generate_assignment for every exercise and compare with release/."""
    released = [ex for ex in EXERCISES if (ROOT / "source" / ex / f"{ex}.ipynb").exists()]
    for path in generate_release(ROOT / "source", tmp_path, released):
        rel = path.relative_to(tmp_path)
        committed = ROOT / "release" / rel
        assert committed.exists(), f"release/{rel} is missing: run `python -m course.release`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"release/{rel} is out of date: run `python -m course.release`"
        )
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert (ROOT / "assignments" / rel).exists(), f"assignments/{rel} is missing"


@pytest.mark.parametrize("module", ["course.build", "course.release"])
@pytest.mark.parametrize("args", [["ex9_nope"], ["--nope"]])
def test_cli_rejects_bad_input(module: str, args: list[str]):
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and args[0].lstrip("-") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nbgrader_config():
    from course.release import course_config

    c = course_config(ROOT / "some-copy")
    assert c.CourseDirectory.root == str(ROOT / "some-copy")
    assert c.CourseDirectory.source_directory == "source"
    assert c.CourseDirectory.release_directory == "release"
    assert c.CourseDirectory.submitted_directory == "submitted"
    assert c.OverwriteCells.add_missing_cells is True
    assert 0 < c.Execute.timeout <= 120
    assert "NotImplementedError" in c.ClearSolutions.code_stub["python"]
    feedback = [p.__name__ for p in c.GenerateFeedback.preprocessors]
    assert {"ClearHiddenTests", "HideTestTracebacks"} <= set(feedback)
    assert {".ipynb_checkpoints", "__pycache__", "*.pyc"} <= set(c.CourseDirectory.ignore)
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "gradebook.db" in ignored and "submitted/" in ignored
