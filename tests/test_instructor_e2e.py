"""A class of 30 student repositories, collected and batch-graded end to end (exercise 1).

The forks are real git repositories built from the source solutions, the release stubs and the
mutants of ``tests/mutants/``: honest, incomplete, buggy and adversarial submissions. Most of
them leave the training answer unanswered, so that only a few run the (slowest) training cell
and the test stays within its time budget.

Expected scores are derived without the grader: full marks (from the source notebook's points)
for a correct cell; 0 for a cell whose answer is missing or wrong by construction; and for a
submission that goes wrong at some answer cell, full marks on every test cell *before* that
answer (a test cell cannot depend on code that has not run yet).
"""

from __future__ import annotations

import copy
import csv
import html
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from course_harness import ROOT, filled_release, grade_id, released_notebook, source_notebook
from mutants.ex1_lstm_from_scratch import CAUGHT_BY, MUTANTS

from autograder.gradebook import gradebook_scores
from autograder.instructor import batch_main, collect_main

EX = "ex1_lstm_from_scratch"
ANSWERS = ["sigmoid_answer", "lstm_step_forward_answer", "lstm_step_backward_answer",
           "numerical_gradient_answer", "lstm_forward_answer", "lstm_backward_answer",
           "softmax_answer", "clip_answer", "char_loss_answer", "train_answer"]
FULL = "full"  # expected: the cell's maximum
WRONG_SIGMOID = ("sigmoid_answer", "return", "return 0.5 + 0.0 *")


# --------------------------------------------------------------------------- notebooks


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if grade_id(c) == gid)


def _stub(nb: nbformat.NotebookNode, *gids: str) -> nbformat.NotebookNode:
    """Put the release stubs back into these answer cells."""
    released = released_notebook(EX)
    for gid in gids:
        _cell(nb, gid).source = _cell(released, gid).source
    return nb


def _only(*answered: str) -> nbformat.NotebookNode:
    return _stub(filled_release(EX), *[a for a in ANSWERS if a not in answered])


def _edit(nb: nbformat.NotebookNode, gid: str, old: str, new: str) -> nbformat.NotebookNode:
    c = _cell(nb, gid)
    assert old in c.source, (gid, old)
    c.source = c.source.replace(old, new, 1)
    return nb


def _test_order() -> list[tuple[str, float]]:
    return [(grade_id(c), float(c.metadata["nbgrader"]["points"]))
            for c in source_notebook(EX).cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def _tests_before(answer: str) -> list[str]:
    """Test cells located before answer cell ``answer`` in the notebook."""
    out = []
    for c in source_notebook(EX).cells:
        if grade_id(c) == answer:
            return out
        if c.metadata.get("nbgrader", {}).get("grade"):
            out.append(grade_id(c))
    raise KeyError(answer)


def _expect(full_before: str | None = None, zero: tuple[str, ...] = (),
            full: tuple[str, ...] = (), all_zero: bool = False, all_full: bool = False,
            ) -> dict[str, str | int | None]:
    """Expected value per test cell: FULL, 0, or None (not predicted)."""
    tests = [g for g, _ in _test_order()]
    exp: dict[str, str | int | None] = dict.fromkeys(tests)
    if all_zero or all_full:
        return dict.fromkeys(tests, 0 if all_zero else FULL)
    for g in _tests_before(full_before) if full_before else []:
        exp[g] = FULL
    for g in full:
        exp[g] = FULL
    for g in zero:
        exp[g] = 0
    return exp


def _class() -> tuple[dict[str, nbformat.NotebookNode | str], dict[str, dict]]:
    """{student: notebook (or raw text)} and {student: expected per-cell values}."""
    nbs: dict[str, nbformat.NotebookNode | str] = {}
    exp: dict[str, dict] = {}
    # honest, complete work (these train the model)
    nbs["honest"], exp["honest"] = filled_release(EX), _expect(all_full=True)
    nbs["no-training"] = _stub(filled_release(EX), "train_answer")
    exp["no-training"] = _expect(full_before="train_answer", zero=("test_memorised",))
    extra = filled_release(EX)
    pos = extra.cells.index(_cell(extra, "lstm_forward_answer")) + 1
    extra.cells.insert(pos, nbformat.v4.new_code_cell("print('my own check', sigmoid(0.0))"))
    extra.cells.insert(pos, nbformat.v4.new_markdown_cell("My notes on the forward pass."))
    nbs["honest-notes"], exp["honest-notes"] = extra, _expect(all_full=True)
    # buggy: every mutant (training left unanswered, except the training mutant itself)
    for name, edits in MUTANTS.items():
        s = "mutant-" + name.replace("_", "-")
        nb = filled_release(EX, edits)
        trains = all(gid == "train_answer" for gid, _, _ in edits)
        if not trains:
            _stub(nb, "train_answer")
        first = min((ANSWERS.index(gid) for gid, _, _ in edits))
        nbs[s] = nb
        exp[s] = _expect(full_before=ANSWERS[first],
                         zero=(CAUGHT_BY[name], "test_memorised"))
    # incomplete
    nbs["blank"], exp["blank"] = released_notebook(EX), _expect(all_zero=True)
    nbs["partial"] = _only("sigmoid_answer", "lstm_step_forward_answer")
    exp["partial"] = _expect(full=("test_sigmoid", "test_lstm_step_forward"),
                             zero=tuple(g for g, _ in _test_order()
                                        if g not in ("test_sigmoid", "test_lstm_step_forward")))
    nbs["changes-later"] = _only("sigmoid_answer")
    exp["changes-later"] = _expect(full=("test_sigmoid",), zero=tuple(
        g for g, _ in _test_order() if g != "test_sigmoid"))
    # adversarial
    nb = _stub(filled_release(EX, MUTANTS["gates_f_i_swapped"]), "train_answer")
    _cell(nb, "lstm_step_forward_answer").source += (
        "\n\nchecks.check_lstm_step_forward = lambda *args, **kwargs: None\n")
    nbs["adv-monkeypatch"] = nb
    exp["adv-monkeypatch"] = _expect(full_before="lstm_step_forward_answer",
                                     zero=("test_lstm_step_forward", "test_memorised"))
    nb = _edit(_stub(filled_release(EX), "train_answer"), *WRONG_SIGMOID)
    _cell(nb, "test_sigmoid").source = "pass"
    nbs["adv-edited-test"], exp["adv-edited-test"] = nb, _expect(zero=("test_sigmoid",))
    nb = _stub(filled_release(EX), "train_answer")
    nb.cells = [c for c in nb.cells if grade_id(c) not in ("test_sigmoid", "test_lstm_forward")]
    nbs["adv-deleted-tests"] = nb
    exp["adv-deleted-tests"] = _expect(full_before="train_answer", zero=("test_memorised",))
    nb = _stub(filled_release(EX), "train_answer")
    dup = copy.deepcopy(_cell(nb, "test_sigmoid"))
    dup.source, dup["id"] = "pass", "duplicate-test"
    nb.cells.insert(nb.cells.index(_cell(nb, "test_sigmoid")) + 1, dup)
    nbs["adv-duplicate-test"] = nb
    exp["adv-duplicate-test"] = _expect(full_before="train_answer", zero=("test_memorised",))
    nb = _stub(filled_release(EX), "train_answer")
    _cell(nb, "lstm_forward_answer").source = "import os\nos._exit(1)\n" + _cell(
        nb, "lstm_forward_answer").source
    nbs["adv-kills-kernel"] = nb
    after = [g for g, _ in _test_order() if g not in _tests_before("lstm_forward_answer")]
    exp["adv-kills-kernel"] = _expect(full_before="lstm_forward_answer", zero=tuple(after))
    nb = _stub(filled_release(EX), "train_answer")
    _cell(nb, "numerical_gradient_answer").source = "while True:\n    pass\n" + _cell(
        nb, "numerical_gradient_answer").source
    nbs["adv-hangs"] = nb
    exp["adv-hangs"] = _expect(full_before="numerical_gradient_answer",
                               zero=("test_numerical_gradient", "test_memorised"))
    nb = _stub(filled_release(EX), "train_answer")
    _cell(nb, "lstm_step_forward_answer").source = (
        "from lstm_reference.lstm import lstm_step_forward  # borrowed\n")
    nbs["adv-uses-reference"] = nb
    exp["adv-uses-reference"] = _expect(
        full_before="lstm_step_forward_answer",
        zero=tuple(g for g, _ in _test_order() if g not in _tests_before(
            "lstm_step_forward_answer")))
    nb = _stub(filled_release(EX), "train_answer")
    _cell(nb, "sigmoid_answer").source += "\n\nprint('x' * 10_000_000)\n"
    nbs["adv-floods-output"] = nb
    exp["adv-floods-output"] = _expect(full_before="train_answer", zero=("test_memorised",))
    nb = _stub(filled_release(EX), "train_answer")  # stderr in a test cell: 0 for nbgrader
    _edit(nb, "lstm_step_forward_answer", "def lstm_step_forward(",
          "import sys\n\n\ndef debug(*args):\n    print(*args, file=sys.stderr)\n\n\n"
          "def lstm_step_forward(")
    _edit(nb, "lstm_step_forward_answer", "    return", "    debug('step done')\n    return")
    nbs["adv-stderr"] = nb
    exp["adv-stderr"] = _expect(full_before="train_answer", zero=("test_memorised",))
    nb = _edit(_stub(filled_release(EX), "train_answer"), *WRONG_SIGMOID)
    nbs["adv-fake-source"] = nb  # ships its own source/ with harmless tests: see _fork
    exp["adv-fake-source"] = _expect(zero=("test_sigmoid", "test_memorised"))
    nbs["adv-broken-json"] = '{"cells": [ this is not JSON'
    exp["adv-broken-json"] = _expect(all_zero=True)
    return nbs, exp


# --------------------------------------------------------------------------- the class


def _course(tmp: Path) -> Path:
    root = tmp / "course"
    for sub in ("source", "release"):
        shutil.copytree(ROOT / sub / EX, root / sub / EX)
    (root / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    return root


def _fork(forks: Path, student: str, content: nbformat.NotebookNode | str | None) -> Path:
    repo = forks / student
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    if content is None:
        (repo / "README.md").write_text("I forked the wrong repository\n")
    else:
        folder = repo / "assignments" / EX
        folder.mkdir(parents=True)
        text = content if isinstance(content, str) else nbformat.writes(content)
        (folder / f"{EX}.ipynb").write_text(text, encoding="utf-8")
        if student == "adv-fake-source":  # a course of its own next to the notebook
            fake = copy.deepcopy(content)
            for c in fake.cells:
                if c.metadata.get("nbgrader", {}).get("grade"):
                    c.source = "pass"
            for sub in ("source", "release"):
                (folder / sub / EX).mkdir(parents=True)
                nbformat.write(fake, folder / sub / EX / f"{EX}.ipynb")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "my work")
    return repo


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def _hidden_lines() -> list[str]:
    """Lines of hidden tests that are not also visible somewhere in the released notebook."""
    visible = "\n".join(c.source for c in released_notebook(EX).cells)
    lines = []
    for c in source_notebook(EX).cells:
        inside = False
        for line in c.source.splitlines():
            if line.strip() == "### BEGIN HIDDEN TESTS":
                inside = True
            elif line.strip() == "### END HIDDEN TESTS":
                inside = False
            elif inside and line.strip() and line.strip() not in visible:
                lines.append(line.strip())
    return lines


@pytest.mark.slow
def test_thirty_students_collected_graded_and_regraded(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    nbs, expected = _class()
    forks = tmp_path / "forks"
    repos = {s: _fork(forks, s, nb) for s, nb in nbs.items()}
    repos["wrong-repo"] = _fork(forks, "wrong-repo", None)
    n = len(nbs)  # students with a notebook: 29 plus one per mutant added since
    assert len(repos) == n + 1 >= 30
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,repo,ref\n" + "".join(f"{s},{p},main\n" for s, p in
                                                        repos.items())
                      + f"ghost,{tmp_path / 'no-such-repo'},\n", encoding="utf-8")
    root = _course(tmp_path)

    assert collect_main(["--roster", str(roster), "--course", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"collect: {n} collected, 1 missing, 1 malformed" in out
    assert "missing    ghost: cannot fetch" in out and "malformed  wrong-repo" in out

    argv = ["--course", str(root), "--exercise", EX, "--jobs", "2", "--roster", str(roster),
            "--cell-timeout", "20", "--notebook-timeout", "150", "--no-progress"]
    start = time.monotonic()
    assert batch_main([*argv, "--gradebook"]) == 0
    first_run = time.monotonic() - start
    out = capsys.readouterr().out
    assert f"batch: {n + 2} students, {n - 1} graded, 1 failed (adv-broken-json), 2 missing " \
           "(ghost, wrong-repo)" in out, out

    batch_dir = root / "grader-output" / "batch"
    rows = _rows(batch_dir / "grades.csv")
    maxima = dict(_test_order())
    problems = []
    for student, cells in expected.items():
        row = rows[student]
        for gid, want in cells.items():
            got = float(row[f"{EX}:{gid}"])
            if (want == FULL and got != maxima[gid]) or (want == 0 and got != 0):
                problems.append(f"{student} {gid}: got {got}, expected {want}")
        assert row["commit"] == _git(repos[student], "rev-parse", "HEAD")
        cells_total = sum(float(row[f"{EX}:{g}"]) for g in maxima)
        assert float(row["total"]) == cells_total == float(row[f"{EX}:total"])
        assert float(row["max_total"]) == sum(maxima.values())
    assert not problems, "\n".join(problems)
    for name in MUTANTS:
        row = rows["mutant-" + name.replace("_", "-")]
        assert float(row["total"]) < sum(maxima.values()), name
    assert rows["ghost"]["problems"] and rows["ghost"][f"{EX}:test_sigmoid"] == ""
    assert "not valid JSON" in rows["adv-broken-json"]["problems"]

    # feedback for every graded student, without the hidden tests
    hidden = _hidden_lines()
    assert hidden
    for student in expected:
        folder = batch_dir / "students" / student
        text = html.unescape((folder / "feedback" / f"{EX}.html").read_text())
        text += (folder / "results.json").read_text()
        if student != "adv-broken-json":
            text += (folder / "graded" / f"{EX}.ipynb").read_text()
        leaked = [line for line in hidden if line in text]
        assert not leaked, (student, leaked)
    results = json.loads((batch_dir / "students" / "honest" / "results.json").read_text())
    assert results["score"] == sum(maxima.values())

    # the gradebook holds the same per-cell scores as the CSV
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    for student in ("honest", "mutant-missing-dC-next", "adv-monkeypatch", "partial"):
        scores = gradebook_scores(db_url, EX, student)
        for gid in maxima:
            assert scores[gid] == float(rows[student][f"{EX}:{gid}"]), (student, gid)
        assert (root / "autograded" / student / EX / f"{EX}.ipynb").is_file()

    # one student pushes a fix: only that student is graded again
    before = {s: (batch_dir / "students" / s / f"{EX}.json").read_text() for s in expected}
    repo = repos["changes-later"]
    nb = _only("sigmoid_answer", "lstm_step_forward_answer")
    (repo / "assignments" / EX / f"{EX}.ipynb").write_text(nbformat.writes(nb))
    _git(repo, "commit", "-q", "-am", "step forward done")
    assert collect_main(["--roster", str(roster), "--course", str(root)]) == 0
    capsys.readouterr()
    start = time.monotonic()
    assert batch_main(argv) == 0
    second_run = time.monotonic() - start
    out = capsys.readouterr().out
    # 28 graded and 2 with nothing collected (their records say why) are unchanged
    assert f"{n + 1} submission(s) unchanged since the last run, not re-graded" in out, out
    after = {s: (batch_dir / "students" / s / f"{EX}.json").read_text() for s in expected}
    assert [s for s in expected if before[s] != after[s]] == ["changes-later"]
    row = _rows(batch_dir / "grades.csv")["changes-later"]
    assert float(row[f"{EX}:test_lstm_step_forward"]) == maxima["test_lstm_step_forward"]
    assert row["commit"] == _git(repo, "rev-parse", "HEAD")
    print(f"\nfirst run {first_run:.1f} s, re-run with one change {second_run:.1f} s")
