"""For honest submissions the grader's verdicts equal ``nbgrader autograde``'s, cell by cell.

One real nbgrader run (``NbGraderAPI``, one process, one batch) grades a corpus of honest
fixture submissions — correct, partly correct (two ways), unanswered, correct with a scratch cell
of the student's own — and the unanswered notebook of exercise 1; the same notebooks are then
graded by ``autograde`` and every test cell must get the same verdict (full marks <-> passed,
zero <-> failed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import COURSE, ROOT, cell, grade_id, use_fixture_checks

from autograder.grade import Target, grade_all
from autograder.limits import Limits

EX1 = "ex1_lstm_from_scratch"


def _filled(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
            edits: dict[str, tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(release)
    solutions = {grade_id(c): c.source for c in source.cells}
    for c in nb.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c.cell_type == "code":
            c.source = solutions[grade_id(c)]
            if grade_id(c) in edits:
                old, new = edits[grade_id(c)]
                assert old in c.source
                c.source = c.source.replace(old, new)
    return nb


WRONG_SIGMOID = {"sigmoid_answer": ("0.5 * (1.0 + np.tanh(0.5 * z))", "np.tanh(z)")}
WRONG_STEP = {"step_answer": ("C = f * C_prev + i * C_tilde", "C = i * C_tilde")}


@pytest.mark.slow
def test_same_verdicts_as_nbgrader(tmp_path: Path, monkeypatch) -> None:
    use_fixture_checks(monkeypatch)
    from nbgrader.api import Gradebook

    from course.release import make_api

    root = tmp_path / "course"
    for ex in ("fx1", "fx2"):
        shutil.copytree(COURSE / "source" / ex, root / "source" / ex)
    if (ROOT / "source" / EX1).is_dir():
        shutil.copytree(ROOT / "source" / EX1, root / "source" / EX1)
    api = make_api(root)
    exercises = sorted(p.name for p in (root / "source").iterdir())
    for ex in exercises:
        assert api.generate_assignment(ex, force=True)["success"], ex
    source = nbformat.read(root / "source/fx1/fx1.ipynb", as_version=4)
    release = nbformat.read(root / "release/fx1/fx1.ipynb", as_version=4)
    scratch = _filled(release, source, {})
    scratch.cells.insert(3, nbformat.v4.new_code_cell("print(sigmoid(np.zeros(2)))"))
    students = {
        ("correct", "fx1"): _filled(release, source, {}),
        ("partial", "fx1"): _filled(release, source, WRONG_STEP),
        ("wrong_sigmoid", "fx1"): _filled(release, source, WRONG_SIGMOID),
        ("unanswered", "fx1"): release,
        ("scratch", "fx1"): scratch,
        ("correct", "fx2"): _filled(nbformat.read(root / "release/fx2/fx2.ipynb", as_version=4),
                                    nbformat.read(root / "source/fx2/fx2.ipynb", as_version=4),
                                    {}),
    }
    if EX1 in exercises:
        students[("unanswered", EX1)] = nbformat.read(root / "release" / EX1 / f"{EX1}.ipynb",
                                                      as_version=4)
    for (student, ex), nb in students.items():
        path = root / "submitted" / student / ex / f"{ex}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    for (student, ex) in students:
        assert api.autograde(ex, student, force=True, create=True)["success"], (student, ex)

    theirs: dict[tuple[str, str], dict[str, bool]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for (student, ex) in students:
            nb = gb.find_submission_notebook(ex, ex, student)
            scores = {g.name: g.auto_score for g in nb.grades
                      if g.cell.cell_type == "code" and g.max_score > 0}
            for name, score in scores.items():
                max_score = next(g.max_score for g in nb.grades if g.name == name)
                assert score in (0.0, max_score), (student, name, score)  # no partial credit
            theirs[(student, ex)] = {name: score > 0 for name, score in scores.items()}

    targets = [Target(ex, root / "submitted" / student / ex / f"{ex}.ipynb",
                      root / "source" / ex / f"{ex}.ipynb",
                      root / "release" / ex / f"{ex}.ipynb", True)
               for (student, ex) in students]
    ours = grade_all(targets, Limits(jobs=2))
    for (key, result) in zip(students, ours, strict=True):
        assert {t.grade_id: t.passed for t in result.tests} == theirs[key], key
    # the corpus is not trivial: it has passing and failing cells
    verdicts = [v for cells in theirs.values() for v in cells.values()]
    assert any(verdicts) and not all(verdicts)
    assert theirs[("partial", "fx1")] == {"test_sigmoid": True, "test_step": False}
    assert cell(source, "test_step").source.count("check_") == 2
