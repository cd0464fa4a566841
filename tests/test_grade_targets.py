"""Which notebooks `autograde` trusts: never ones shipped inside a student's submission."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.errors import UsageError
from autograder.grade import find_targets

EX = "ex1_lstm_from_scratch"


def _notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    return path


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    _notebook(root / "source" / EX / f"{EX}.ipynb")
    _notebook(root / "release" / EX / f"{EX}.ipynb")
    return root


def test_submission_cannot_ship_its_own_source(course: Path) -> None:
    submission = course / "submitted" / "alice" / EX
    notebook = _notebook(submission / f"{EX}.ipynb")
    _notebook(submission / "source" / EX / f"{EX}.ipynb")  # planted "tests"
    for path in (submission, notebook):
        (target,) = find_targets(path)
        assert target.trusted == (course / "source" / EX / f"{EX}.ipynb").resolve()
        assert target.hidden_tests


def test_a_student_repository_is_graded_against_its_own_course(tmp_path: Path) -> None:
    repo = tmp_path / "fork"
    _notebook(repo / "release" / EX / f"{EX}.ipynb")
    _notebook(repo / "assignments" / EX / f"{EX}.ipynb")
    (target,) = find_targets(repo)
    assert target.trusted == (repo / "release" / EX / f"{EX}.ipynb").resolve()
    assert not target.hidden_tests  # no source/: visible tests only


def test_course_option_overrides_the_search(course: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "downloads" / "alice"
    _notebook(elsewhere / "source" / EX / f"{EX}.ipynb")
    notebook = _notebook(elsewhere / EX / f"{EX}.ipynb")
    (target,) = find_targets(notebook, course=course)
    assert target.trusted == (course / "source" / EX / f"{EX}.ipynb").resolve()
    with pytest.raises(UsageError, match="not a course"):
        find_targets(notebook, course=tmp_path / "downloads")
