"""The ``autograde`` command end to end on a student's repository without ``source/``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import COURSE, student_from_source, use_fixture_checks

from autograder import cli
from autograder.grade import HIDDEN_LATER


@pytest.mark.slow
def test_student_repository_without_source(tmp_path: Path, monkeypatch, capsys) -> None:
    use_fixture_checks(monkeypatch)
    repo = tmp_path / "fork"
    shutil.copytree(COURSE / "release", repo / "release")
    shutil.copytree(COURSE / "assignments", repo / "assignments")
    solved = student_from_source()
    nbformat.write(solved, repo / "assignments" / "fx1" / "fx1.ipynb")
    before = (repo / "assignments" / "fx1" / "fx1.ipynb").read_bytes()
    monkeypatch.chdir(tmp_path)

    code = cli.run([str(repo)])
    out = capsys.readouterr().out
    assert code == 0  # the table is printed; it says fx2 is still unanswered
    assert "Next: open" in out and "Error" not in out
    assert "fx1" in out and "fx2" in out and "not attempted yet" in out
    assert HIDDEN_LATER in out
    doc = json.loads((tmp_path / "grader-output" / "results.json").read_text())
    by_name = {e["exercise"]: e for e in doc["extra_data"]["exercises"]}
    # only the visible tests are available: they pass for the solved notebook
    assert by_name["fx1"]["passed"] and by_name["fx1"]["points"] == 3.0
    assert by_name["fx2"]["status"] == "not attempted"
    assert (tmp_path / "grader-output" / "feedback" / "fx1.html").is_file()
    assert (tmp_path / "grader-output" / ".gitignore").read_text() == "*\n"
    assert (repo / "assignments" / "fx1" / "fx1.ipynb").read_bytes() == before

    code = cli.run([str(repo / "assignments" / "fx1" / "fx1.ipynb"), "--json",
                    str(tmp_path / "one.json")])
    assert code == 0
    one = json.loads((tmp_path / "one.json").read_text())
    assert [e["exercise"] for e in one["extra_data"]["exercises"]] == ["fx1"]


@pytest.mark.slow
def test_a_kernel_that_cannot_start_fails_that_exercise_quickly() -> None:
    import time

    from autograder import _imports  # noqa: F401
    from autograder.limits import MB, Limits
    from autograder.runner import execute

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    start = time.monotonic()
    result = execute(nb, None, Limits(memory_bytes=20 * MB))  # too little to start Python
    assert result.status in ("error", "dead"), result.status
    assert "kernel" in result.message.lower()
    assert time.monotonic() - start < 30
