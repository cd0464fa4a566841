"""nbgrader on collected submissions, and the batch grader's scores in nbgrader's gradebook.

Fixture course ``fx1`` (a sigmoid and one LSTM step, plus a manually graded written answer),
four students collected from git clones. First nbgrader's own ``autograde``,
``generate_feedback`` and ``export`` run on them with the repository's ``nbgrader_config.py``
as is (one ``NbGraderAPI`` process). Then ``autograde batch --gradebook`` replaces the
automatic scores with the kit's verdicts, and nbgrader's feedback and export show those.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import COURSE, cell, release_nb, student_from_source, use_fixture_checks
from leak_check import hidden_lines, leaks_in_tree, plain

from autograder.gradebook import course_config, gradebook_scores, nbgrader_api
from autograder.instructor import batch_main, collect_main

ROOT = Path(__file__).resolve().parent.parent
EX = "fx1"
TESTS = {"test_sigmoid": 1.0, "test_step": 2.0}
HIDDEN = ["checks.check_sigmoid(sigmoid)", "checks.check_lstm_step_forward(lstm_step_forward)"]


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _wrong_sigmoid(nb: nbformat.NotebookNode) -> None:
    c = cell(nb, "sigmoid_answer")
    old = "return 0.5 * (1.0 + np.tanh(0.5 * z))"
    assert old in c.source
    c.source = c.source.replace(old, "return np.tanh(z)")


def _cheater(nb: nbformat.NotebookNode) -> None:
    _wrong_sigmoid(nb)
    cell(nb, "sigmoid_answer").source += (
        "\n\nchecks.check_sigmoid = lambda *a, **k: None\n"
        "checks.check_lstm_step_forward = lambda *a, **k: None\n")


def _answered(nb: nbformat.NotebookNode) -> None:
    cell(nb, "why_answer").source = "So that the cell state is kept at the start of training."


STUDENTS = {
    "alice": (student_from_source(_answered), {"test_sigmoid": 1.0, "test_step": 2.0}),
    "bob": (student_from_source(_wrong_sigmoid), {"test_sigmoid": 0.0, "test_step": 0.0}),
    "carol": (release_nb(), {"test_sigmoid": 0.0, "test_step": 0.0}),
    "eve": (student_from_source(_cheater), {"test_sigmoid": 0.0, "test_step": 0.0}),
}


def _export(db_url: str, path: Path) -> dict[str, dict[str, str]]:
    """What ``nbgrader export`` writes (its CSV plugin, in this process)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    with Gradebook(db_url) as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    with path.open(encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def _all_scores(db_url: str) -> dict[str, dict[str, float | None]]:
    return {s: gradebook_scores(db_url, EX, s) for s in STUDENTS}


@pytest.mark.slow
def test_nbgrader_and_batch_scores_in_the_gradebook(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    use_fixture_checks(monkeypatch)
    root = tmp_path / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for student, (nb, _) in STUDENTS.items():
        repo = tmp_path / "clones" / student
        (repo / "assignments" / EX).mkdir(parents=True)
        nbformat.write(nb, repo / "assignments" / EX / f"{EX}.ipynb")
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "work")
    assert collect_main(["--from-clones", str(tmp_path / "clones"), "--course", str(root),
                         "--exercise", EX]) == 0
    assert "collect: 4 collected, 0 missing, 0 malformed" in capsys.readouterr().out
    db_url = f"sqlite:///{root / 'gradebook.db'}"

    # 1. nbgrader itself, on the collected layout, with the course config as is
    api = nbgrader_api(course_config(root))
    assert api.generate_assignment(EX, force=True, create=True)["success"]
    result = api.autograde(EX, "*", force=True, create=True)
    assert result["success"], result.get("log")
    nbgrader_scores = _all_scores(db_url)
    assert {g: nbgrader_scores["alice"][g] for g in TESTS} == TESTS
    assert nbgrader_scores["bob"]["test_sigmoid"] == 0.0
    assert nbgrader_scores["carol"]["test_sigmoid"] == nbgrader_scores["carol"]["test_step"] == 0
    # the monkeypatching student gets nothing: the kit's config judges outside the kernel
    assert {g: nbgrader_scores["eve"][g] for g in TESTS} == STUDENTS["eve"][1]
    assert api.generate_feedback(EX, force=True)["success"]
    for student in STUDENTS:
        assert (root / "feedback" / student / EX / f"{EX}.html").is_file()
    # nbgrader's own feedback: failed test cells show the check's message, not a traceback
    # quoting the hidden tests (the course config's HideTestTracebacks)
    hidden = hidden_lines(root)
    assert set(HIDDEN) <= hidden
    assert leaks_in_tree(root / "feedback", hidden) == {}
    bob = (root / "feedback" / "bob" / EX / f"{EX}.html").read_text(encoding="utf-8")
    assert "AssertionError: sigmoid(z) is off by" in plain(bob)
    exported = _export(db_url, tmp_path / "nbgrader.csv")
    assert float(exported["eve"]["score"]) == 0.0 and float(exported["alice"]["max_score"]) == 4

    # 2. the kit's verdicts replace the automatic scores
    assert batch_main(["--course", str(root), "--exercise", EX, "--jobs", "2", "--gradebook",
                       "--no-progress", "--cell-timeout", "20"]) == 0
    out = capsys.readouterr().out
    assert "gradebook: 4 submission(s) of 4 student(s)" in out
    scores = _all_scores(db_url)
    for student, (_, want) in STUDENTS.items():
        assert {g: scores[student][g] for g in TESTS} == want, student  # the same verdicts
        # the written answer is left as nbgrader scored it (an untouched stub scores 0)
        assert scores[student]["why_answer"] == nbgrader_scores[student]["why_answer"]
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:  # answered: waits for the formgrader
        grade = gb.find_grade("why_answer", EX, EX, "alice")
        assert grade.auto_score is None and grade.needs_manual_grade

    # nbgrader's feedback and export show the kit's scores, never the hidden tests
    assert api.generate_feedback(EX, force=True)["success"]
    for student, (_, want) in STUDENTS.items():
        page = (root / "feedback" / student / EX / f"{EX}.html").read_text(encoding="utf-8")
        assert f"{EX} (Score: {sum(want.values()):.1f} / 4.0)" in page, student
        assert not [h for h in HIDDEN if h in page], student
    exported = _export(db_url, tmp_path / "kit.csv")
    assert {s: float(r["score"]) for s, r in exported.items()} == {
        s: sum(w.values()) for s, (_, w) in STUDENTS.items()}

    # a score the instructor gave by hand survives a forced re-import
    with Gradebook(db_url) as gb:
        gb.find_grade("why_answer", EX, EX, "alice").manual_score = 1.0
        gb.db.commit()
    assert batch_main(["--course", str(root), "--exercise", EX, "--jobs", "1", "--gradebook",
                       "--no-progress", "--force"]) == 0
    assert gradebook_scores(db_url, EX, "alice") == {"test_sigmoid": 1.0, "test_step": 2.0,
                                                     "why_answer": 1.0}
    assert float(_export(db_url, tmp_path / "final.csv")["alice"]["score"]) == 4.0

    # a submission that can no longer be graded is flagged, not left with stale scores
    (root / "submitted" / "alice" / EX / f"{EX}.ipynb").write_text("{broken", encoding="utf-8")
    (root / "grader-output" / "batch" / "students" / "alice" / f"{EX}.json").unlink()
    assert batch_main(["--course", str(root), "--exercise", EX, "--jobs", "1", "--gradebook",
                       "--no-progress"]) == 0
    assert "1 failed (alice)" in capsys.readouterr().out
    with Gradebook(db_url) as gb:
        for gid in TESTS:
            grade = gb.find_grade(gid, EX, EX, "alice")
            assert grade.auto_score == 0.0 and grade.needs_manual_grade
        assert gb.find_grade("why_answer", EX, EX, "alice").manual_score == 1.0
    assert not (root / "autograded" / "alice" / EX).exists()
