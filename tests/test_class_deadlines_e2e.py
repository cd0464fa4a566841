"""A class of eight with commits before and after a deadline: collect (course file) -> batch ->
export -> report, the late rule applied exactly.

Fixture course ``fx1`` (3 points). Deadline 2026-03-01 23:59 UTC, 0.25 of the points lost per
late day (whole days, rounded up), nothing taken more than 2 days late; one student has an
extension. Every expected number is worked out by hand in STUDENTS.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import COURSE, cell, release_nb, student_from_source, use_fixture_checks

pytest.importorskip("autograder.course_file")  # the course file arrives with deadlines

from autograder.instructor import (
    batch_main,
    collect_main,
    export_main,
    report_main,
)

ROOT = Path(__file__).resolve().parent.parent
EX = "fx1"
DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
H = timedelta(hours=1)


def _wrong(nb: nbformat.NotebookNode) -> None:
    c = cell(nb, "sigmoid_answer")
    c.source = c.source.replace("return 0.5 * (1.0 + np.tanh(0.5 * z))", "return np.tanh(z)")


RIGHT, WRONG, BLANK = student_from_source(), student_from_source(_wrong), release_nb()
#: student -> ([(hours after the deadline, notebook)], points after the rule, late days or None)
STUDENTS = {
    "s1": ([(-30, RIGHT)], 3.0, 0),
    "s2": ([(-20, WRONG), (36, RIGHT)], 1.5, 2),  # 1.5 days late -> 2 days: 3 * (1 - 0.5)
    "s3": ([(-10, RIGHT), (120, WRONG)], 3.0, 0),  # the commit after the cut-off is not taken
    "s4": ([(12, RIGHT)], 2.25, 1),  # 3 * (1 - 0.25)
    "s5": ([(-5, BLANK)], 0.0, 0),
    "s6": ([(60, RIGHT)], 0.0, None),  # only after the cut-off: nothing collected
    "s7": ([(48, RIGHT)], 3.0, 0),  # extension to 72 h after the deadline
    "s8": ([(29, WRONG)], 0.0, 2),
}


def _git(cwd: Path, *args: str, when: datetime | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _course_file(root: Path, forks: Path) -> Path:
    lines = ['[course]', 'timezone = "UTC"', '', f'[exercises.{EX}]',
             'due = 2026-03-01T23:59:00', 'penalty_per_day = 0.25', 'cutoff_days = 2', '']
    for student in STUDENTS:
        lines += ['[[students]]', f'id = "{student}"', f'name = "Student {student[1:]}"',
                  f'fork = "{forks / student}"', '']
        if student == "s7":
            lines += ['[students.extensions]', f'{EX} = 2026-03-04T23:59:00', '']
    path = root / "course.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_collect_batch_export_report_with_a_deadline(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    use_fixture_checks(monkeypatch)
    root = tmp_path / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for student, (commits, _, _) in STUDENTS.items():
        repo = tmp_path / "forks" / student
        (repo / "assignments" / EX).mkdir(parents=True)
        _git(repo, "init", "-q", "-b", "main")
        for hours, nb in commits:
            nbformat.write(nb, repo / "assignments" / EX / f"{EX}.ipynb")
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", f"work {hours}", when=DUE + hours * H)
    course_file = _course_file(root, tmp_path / "forks")

    assert collect_main(["--course-file", str(course_file), "--course", str(root),
                         "--exercise", EX]) == 0
    assert batch_main(["--course", str(root), "--exercise", EX, "--jobs", "2",
                       "--no-progress", "--cell-timeout", "30"]) == 0
    grades = _rows(root / "grader-output" / "batch" / "grades.csv")
    for student, (_, after, days) in STUDENTS.items():
        assert float(grades[student][f"{EX}_after_late"]) == after, student
        assert grades[student][f"{EX}_late_days"] == ("" if days is None else str(days))
    capsys.readouterr()

    out = tmp_path / "class.csv"
    assert export_main(["--course", str(root), "--format", "csv", "--roster", str(course_file),
                        "--out", str(out)]) == 0
    assert "points after the late rule" in capsys.readouterr().out
    exported = _rows(out)
    assert {s: float(r[EX]) for s, r in exported.items()} == {
        s: after for s, (_, after, _) in STUDENTS.items()}
    assert {s for s, r in exported.items() if r["late"] == "yes"} == {
        s for s, (_, _, days) in STUDENTS.items() if days}
    assert exported["s4"]["name"] == "Student 4"

    assert report_main(["--course", str(root), "--roster", str(course_file),
                        "--no-progress"]) == 0
    page = (root / "grader-output" / "batch" / "class-report.html").read_text(encoding="utf-8")
    text = " ".join(page.split())
    assert "<td>late</td><td><b>3</b></td>" in text  # s2, s4, s8
    assert f"{EX}: 2 d" in text and f"{EX}: 1 d" in text
    assert "handed in no notebook at all:</p><ul><li>s6" in text
