"""A messy class (tests/messy_class.py) through ``autograde collect`` and ``autograde batch``.

Every command runs as a real process. Checked: a row for every student; the honest ones
graded exactly as ``autograde`` grades them alone; every broken one with its reason and 0
points; the near-copies and the copy of the reference flagged (with an HTML report whose
student text is inert); tampered test cells and a submission stopped by the time limit
flagged; a batch killed with SIGKILL halfway and run again writes the same CSV as a batch
that was never interrupted; no output of any command shows a hidden test's line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autograder_helpers import COURSE, ROOT, use_fixture_checks
from leak_check import hidden_lines, leaks, leaks_in_tree
from messy_class import HONEST, make_clones

from autograder import batch

BATCH = [sys.executable, "-m", "autograder.instructor", "batch", "--jobs", "2",
         "--cell-timeout", "4"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def _records(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "students").glob("*/fx*.json"))]


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` first (the batch itself), then what it left behind."""
    children = batch._descendants(pid)
    os.kill(pid, signal.SIGKILL)
    for child in children:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_messy_class_collect_and_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_fixture_checks(monkeypatch)
    root = tmp_path / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    about = make_clones(tmp_path / "clones")
    outputs: list[str] = []  # everything the commands printed

    # ---- collect
    res = _run([sys.executable, "-m", "autograder.instructor", "collect", "--from-clones",
                str(tmp_path / "clones"), "--course", str(root)], ROOT)
    outputs += [res.stdout, res.stderr]
    assert res.returncode == 0, res.stderr
    said = res.stdout
    assert "refused  assignments/fx1/fx1.ipynb: a symbolic link (not followed)" in said
    assert "refused  assignments/fx1: a symbolic link (not followed)" in said
    assert "refused  assignments/fx1/fx1.ipynb: a named pipe (FIFO)" in said
    assert "larger than the 20.0 MB limit per file" in said
    assert "refused  assignments/fx1/fx1\\xff.ipynb: the file name is not UTF-8" in said
    assert "malformed  stud\\xe9: folder name is not a valid student id" in said
    submitted = root / "submitted"
    assert not (submitted / "passwd" / "fx1" / "fx1.ipynb").exists()
    assert not (submitted / "linker" / "fx1" / "fx1.ipynb").exists()
    assert not [p for p in submitted.rglob("*") if p.is_symlink()]

    # ---- a batch killed halfway, then run again
    out_b = tmp_path / "out-killed"
    proc = subprocess.Popen([*BATCH, "--course", str(root), "--out", str(out_b)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    total = 2 * len(about)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        graded = [r for r in _records(out_b) if r["state"] == batch.GRADED]
        if graded:
            break
        time.sleep(0.2)
    _kill_tree(proc.pid)
    _, err = proc.communicate()
    outputs.append(err)
    done_at_kill = len(_records(out_b))
    assert 0 < done_at_kill < total, done_at_kill
    half = _rows(out_b / "grades.csv")  # a complete, readable file at any moment
    assert set(half) == set(about)
    res = _run([*BATCH, "--course", str(root), "--out", str(out_b)], ROOT)
    outputs += [res.stdout, res.stderr]
    assert res.returncode == 0, res.stderr
    assert f"{done_at_kill} submission(s) unchanged since the last run" in res.stdout
    assert "student×exercise" in res.stderr  # the progress bar

    # ---- the same batch, never interrupted
    out_a = tmp_path / "out"
    res = _run([*BATCH, "--course", str(root), "--out", str(out_a), "--no-progress"], ROOT)
    outputs += [res.stdout, res.stderr]
    assert res.returncode == 0, res.stderr
    assert _rows(out_b / "grades.csv") == _rows(out_a / "grades.csv")
    assert (out_b / "grades.csv").read_bytes() == (out_a / "grades.csv").read_bytes()

    rows = _rows(out_a / "grades.csv")
    assert set(rows) == set(about)  # a row for every student
    for student, problem in about.items():
        row = rows[student]
        if problem:
            assert row["total"] == "0", student
            assert problem in row["problems"], (student, row["problems"])
    for student in [*HONEST, "copy-a", "copy-b", "refcopy", "tamper"]:
        assert rows[student]["total"] == "4", (student, rows[student]["problems"])
        assert rows[student]["problems"] == "", student

    # flags ask for a look: copies, the reference, tampering, a limit; never the honest ones
    assert "fx1: similar to copy-b (100%)" in rows["copy-a"]["flags"]
    assert "fx1: similar to copy-a (100%)" in rows["copy-b"]["flags"]
    assert "fx1: similar to the reference lstm_reference/lstm.py" in rows["refcopy"]["flags"]
    for student in HONEST:
        assert rows[student]["flags"] == "", (student, rows[student]["flags"])
    assert "fx1: test cell 'test_sigmoid' appears twice" in rows["tamper"]["flags"]
    assert "fx1: test cell 'test_step' was edited" in rows["tamper"]["flags"]
    assert "limit" in rows["forever"]["flags"]
    assert rows["forever"]["fx1:test_step"] == "0" and rows["forever"]["fx1:test_sigmoid"] == "1"
    assert "refused assignments/fx1/fx1.ipynb (a symbolic link" in rows["passwd"]["flags"]
    for student in ("brokenjson", "empty", "surrogate"):  # the student is told why
        page = out_a / "students" / student / "feedback" / "fx1.html"
        assert about[student] in page.read_text(encoding="utf-8"), student
    page = (out_a / "similarity.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    # ---- the honest ones graded alone, with the student's own command
    for student in HONEST:
        alone = tmp_path / "alone" / student
        summary = alone / "summary.md"
        res = subprocess.run(
            [sys.executable, "-m", "autograder.cli", str(tmp_path / "clones" / student),
             "--course", str(root), "--json", str(alone / "results.json"), "--feedback",
             str(alone / "feedback"), "--github"], cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, timeout=300)
        outputs += [res.stdout, res.stderr]
        doc = json.loads((alone / "results.json").read_text())
        points = {t["name"].replace(": ", ":"): t["score"] for t in doc["tests"]}
        assert points == {k: float(rows[student][k]) for k in points}, student
        assert set(points) == {"fx1:test_sigmoid", "fx1:test_step", "fx2:test_sigmoid"}

    # ---- nothing a student sees shows a hidden test's line
    hidden = hidden_lines(root)
    assert {"checks.check_sigmoid(sigmoid)",
            "checks.check_lstm_step_forward(lstm_step_forward)"} <= hidden
    for tree in (out_a, out_b, tmp_path / "alone", root / "release"):
        assert leaks_in_tree(tree, hidden) == {}, tree
    assert [leaks(text, hidden) for text in outputs] == [[] for _ in outputs]
    # the check can fail: the graded notebooks' source would show them
    assert leaks(io.StringIO((root / "source" / "fx1" / "fx1.ipynb").read_text()).read(),
                 hidden)


@pytest.mark.slow
def test_ctrl_c_stops_the_batch_cleanly_and_a_rerun_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from messy_class import SIGMOID, STEP, answered

    use_fixture_checks(monkeypatch)
    root = tmp_path / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    students = {"s1": STEP["loop"], "s2": STEP["forever"], "s3": STEP["forever"]}
    for student, step in students.items():
        folder = root / "submitted" / student / "fx1"
        folder.mkdir(parents=True)
        (folder / "fx1.ipynb").write_text(
            json.dumps(answered("fx1", SIGMOID["logistic"], step)), encoding="utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "autograder.instructor", "batch", "--course", str(root),
            "--out", str(out), "--exercise", "fx1", "--jobs", "1", "--cell-timeout", "30"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _records(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # s2's endless cell is running now
    children = batch._descendants(proc.pid)
    assert children  # the worker and its kernel
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "run the same command again" in err
    assert "Traceback" not in err
    time.sleep(1.0)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    rows = _rows(out / "grades.csv")
    assert rows["s1"]["total"] == "3" and rows["s2"]["total"] == "0"  # s2: not graded yet
    assert not batch.record_path(out, "s2", "fx1").exists()
    res = _run([*argv, "--no-progress", "--cell-timeout", "3"], ROOT)
    assert res.returncode == 0, res.stderr
    assert "1 submission(s) unchanged since the last run" in res.stdout
    rows = _rows(out / "grades.csv")
    assert "limit" in rows["s2"]["flags"] and "limit" in rows["s3"]["flags"]
