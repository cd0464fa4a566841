"""`autograder.batch`: shards, the crash-proof worker pool, skip keys, the grades CSV, merging.

Grading itself is replaced here by small picklable jobs (the real grader is exercised in
test_gradebook.py and test_instructor_e2e.py), so every expected value below is written by hand.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from batch_jobs import Behave, echo

from autograder import batch, report
from autograder.batch import BatchError, Task
from autograder.limits import Limits

EX = "ex1_lstm_from_scratch"
TESTS = [("test_a", 1.0), ("test_b", 2.0)]


# --------------------------------------------------------------------------- helpers


def results_doc(points: dict[str, float], exercise: str = EX) -> dict[str, Any]:
    """A results document in the grader's format with these per-cell points."""
    tests = [{"grade_id": g, "passed": points.get(g, 0.0) == m, "points": points.get(g, 0.0),
              "max_points": m, "message": "", "hint": ""} for g, m in TESTS]
    ex = {"exercise": exercise, "notebook": f"{exercise}.ipynb", "status": "failed",
          "passed": False, "points": sum(t["points"] for t in tests),
          "max_points": sum(m for _, m in TESTS), "seconds": 0.5, "message": "", "repairs": [],
          "notes": [], "tests": tests}
    return report.merge([{"extra_data": {"exercises": [ex]}}])


def ok_value(points: dict[str, float]) -> dict[str, Any]:
    return {"state": batch.GRADED, "message": "", "results": results_doc(points),
            "feedback": "<html>fb</html>", "notebook": None}


def make_course(root: Path, students: dict[str, str | None]) -> Path:
    """A course whose source notebook has the test cells TESTS; student -> notebook text."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for gid, pts in TESTS:
        c = nbformat.v4.new_code_cell("pass")
        c.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                  "grade_id": gid, "points": pts, "schema_version": 3}
        nb.cells.append(c)
    (root / "source" / EX).mkdir(parents=True)
    nbformat.write(nb, root / "source" / EX / f"{EX}.ipynb")
    for student, text in students.items():
        folder = root / "submitted" / student / EX
        folder.mkdir(parents=True)
        if text is not None:
            (folder / f"{EX}.ipynb").write_text(text, encoding="utf-8")
    return root


# --------------------------------------------------------------------------- shards


def test_parse_shard_accepts_k_of_n_and_rejects_the_rest() -> None:
    assert batch.parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "2", "a/b", "1/0", "1/2/3", ""):
        with pytest.raises(BatchError):
            batch.parse_shard(bad)


def test_shards_partition_the_class() -> None:
    students = [f"s{i:03d}" for i in range(60)]
    for n in (1, 2, 3, 5):
        owners = {s: [k for k in range(1, n + 1) if batch.in_shard(s, (k, n))] for s in students}
        assert all(len(ks) == 1 for ks in owners.values())
        if n > 1:  # every shard gets work (60 ids, crc32 spreads them)
            assert {ks[0] for ks in owners.values()} == set(range(1, n + 1))
    assert batch.in_shard("anyone", None)


# --------------------------------------------------------------------------- worker pool


def test_pool_survives_a_crash_and_a_hang_and_keeps_going() -> None:
    seen: dict[int, tuple[str, Any]] = {}
    start = time.monotonic()
    batch.run_parallel([1, 2, 3, 4, 5], echo, jobs=2, deadline=4.0,
                       on_result=lambda item, kind, value: seen.__setitem__(item, (kind, value)))
    elapsed = time.monotonic() - start
    assert seen[1] == ("ok", 10) and seen[4] == ("ok", 40) and seen[5] == ("ok", 50)
    assert seen[2][0] == "crashed" and "died (exit code 1)" in seen[2][1]
    assert seen[3][0] == "crashed" and "longer than 4 s" in seen[3][1]
    assert elapsed < 30


def test_run_batch_records_crashes_and_grader_errors_per_submission(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c", {"alice": "ok", "bob": "crash", "carol": "raise",
                                         "dave": "hang-child", "erin": None})
    out = tmp_path / "out"
    limits = Limits(notebook_timeout=1, startup_timeout=1, iopub_timeout=1)
    # the deadline is notebook + startup + iopub timeouts + 60 s: shorten it for the test
    job = Behave({"alice": ok_value({"test_a": 1.0, "test_b": 2.0})})
    run = batch.run_batch(course, out, [EX], limits, jobs=2, progress=False, job=job,
                          deadline_slack=2.0)
    assert sorted(t.student for t in run.graded) == ["alice", "bob", "carol", "dave", "erin"]
    states = {s: batch.load_record(batch.record_path(out, s, EX))["state"]
              for s in ("alice", "bob", "carol", "dave", "erin")}
    assert states == {"alice": "graded", "bob": "crashed", "carol": "crashed",
                      "dave": "crashed", "erin": "missing"}
    carol = batch.load_record(batch.record_path(out, "carol", EX))
    assert "RuntimeError: grader bug" in carol["message"]
    # the hung worker was killed with its process group: its child is gone too
    pid = int((course / "submitted" / "dave" / EX / "child.pid").read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    summary = batch.summarise(out, ["alice", "bob", "carol", "dave", "erin"], [EX])
    assert summary.graded == ["alice"] and summary.missing == ["erin"]
    assert summary.failed == ["bob", "carol", "dave"]
    assert summary.median == 0.0  # totals 3, 0, 0, 0


# --------------------------------------------------------------------------- skip keys


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_keys_follow_commit_content_and_source(tmp_path: Path) -> None:
    course = make_course(tmp_path, {"alice": "v1", "bob": "v1", "carol": None})
    manifest = course / "submitted" / "alice" / EX / "SUBMISSION.json"
    manifest.write_text(json.dumps({"commit": "abc123"}), encoding="utf-8")
    tasks = {t.student: t for t in batch.discover(course, [EX])}
    assert tasks["alice"].key.startswith("commit:abc123|source:")
    assert tasks["bob"].key.startswith("sha256:")
    assert tasks["carol"].key.startswith("missing|")
    assert tasks["alice"].commit == "abc123" and tasks["bob"].commit is None
    # content change without a commit changes bob's key; a new source changes everyone's
    (course / "submitted" / "bob" / EX / f"{EX}.ipynb").write_text("v2", encoding="utf-8")
    again = {t.student: t for t in batch.discover(course, [EX])}
    assert again["bob"].key != tasks["bob"].key and again["alice"].key == tasks["alice"].key
    src = course / "source" / EX / f"{EX}.ipynb"
    src.write_text(src.read_text() + " ", encoding="utf-8")
    third = {t.student: t for t in batch.discover(course, [EX])}
    assert all(third[s].key != again[s].key for s in third)
    # shards and the student filter
    assert [t.student for t in batch.discover(course, [EX], students=["bob"])] == ["bob"]
    split = [{t.student for t in batch.discover(course, [EX], shard=(k, 2))} for k in (1, 2)]
    assert split[0] | split[1] == {"alice", "bob", "carol"} and not split[0] & split[1]


def test_rerun_skips_unchanged_and_regrades_changed(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c", {"alice": "ok", "bob": "ok", "carol": None,
                                         "dave": "crash"})
    out = tmp_path / "out"
    job_ok = Behave({s: ok_value({"test_a": 1.0}) for s in ("alice", "bob", "carol")})
    first = batch.run_batch(course, out, [EX], Limits(), jobs=2, progress=False, job=job_ok)
    assert len(first.graded) == 4 and not first.unchanged
    second = batch.run_batch(course, out, [EX], Limits(), jobs=2, progress=False, job=job_ok)
    # unchanged submissions are skipped; a crashed one is tried again
    assert [t.student for t in second.graded] == ["dave"] and len(second.unchanged) == 3
    (course / "submitted" / "dave" / EX / f"{EX}.ipynb").unlink()
    (course / "submitted" / "bob" / EX / f"{EX}.ipynb").write_text("changed", encoding="utf-8")
    third = batch.run_batch(course, out, [EX], Limits(), jobs=2, progress=False, job=job_ok)
    assert sorted(t.student for t in third.graded) == ["bob", "dave"]  # dave: now missing
    forced = batch.run_batch(course, out, [EX], Limits(), jobs=1, progress=False, job=job_ok,
                             force=True)
    assert len(forced.graded) == 4


# --------------------------------------------------------------------------- CSV, summary, merge


def _store(out: Path, student: str, state: str, points: dict[str, float] | None,
           commit: str | None = "c0ffee", graded_at: str | None = None) -> None:
    task = Task(student, EX, Path("x"), commit, "k")
    results = results_doc(points or {})
    batch.store(out, task, state, "it broke" if state == batch.CRASHED else "", results,
                feedback="<p>fb</p>")
    if graded_at:
        path = batch.record_path(out, student, EX)
        rec = json.loads(path.read_text())
        rec["graded_at"] = graded_at
        path.write_text(json.dumps(rec))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_grades_csv_has_a_column_per_test_cell_and_totals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _store(out, "alice", batch.GRADED, {"test_a": 1.0, "test_b": 2.0})
    _store(out, "bob", batch.GRADED, {"test_a": 1.0})
    _store(out, "carol", batch.CRASHED, None)
    _store(out, "dave", batch.MISSING, None, commit=None)
    path = batch.write_grades_csv(out, ["alice", "bob", "carol", "dave", "erin"])
    rows = {r["student_id"]: r for r in _csv(path)}
    header = list(next(iter(rows.values())).keys())
    assert header == ["student_id", "commit", f"{EX}:test_a", f"{EX}:test_b", f"{EX}:total",
                      f"{EX}_late_days", f"{EX}_after_late", "total", "max_total",
                      "total_after_late", "late", "flags", "problems", "sandbox"]
    assert [rows["alice"][k] for k in header[1:5]] == ["c0ffee", "1", "2", "3"]
    assert [rows["alice"][k] for k in header[6:11]] == ["3", "3", "3", "3", "no"]
    assert rows["alice"][f"{EX}_late_days"] == ""  # no deadline known
    assert [rows["bob"][k] for k in header[2:5]] == ["1", "0", "1"]
    assert rows["bob"]["total"] == "1" and rows["bob"]["total_after_late"] == "1"
    assert rows["carol"]["total"] == "0" and "it broke" in rows["carol"]["problems"]
    assert rows["dave"][f"{EX}:test_a"] == "" and rows["dave"]["total"] == "0"
    assert "no notebook" in rows["dave"]["problems"]
    assert rows["erin"]["problems"] == f"{EX}: no notebook submitted"  # on the roster only
    summary = batch.summarise(out, ["alice", "bob", "carol", "dave", "erin"])
    assert (summary.graded, summary.failed, summary.missing) == (
        ["alice", "bob"], ["carol"], ["dave", "erin"])
    assert summary.median == 1.0 and summary.max_total == 3.0  # totals 3, 1, 0
    text = summary.text()
    assert "2 graded" in text and "1 failed (carol)" in text and "median score 1/3" in text
    results = json.loads((out / "students" / "alice" / "results.json").read_text())
    assert results["score"] == 3.0 and results["extra_data"]["student"] == "alice"
    assert results["extra_data"]["submissions"][EX]["commit"] == "c0ffee"


def test_merge_joins_shards_newest_record_wins(tmp_path: Path) -> None:
    a, b, merged = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    _store(a, "alice", batch.GRADED, {"test_a": 1.0}, graded_at="2026-01-01T00:00:00+00:00")
    _store(a, "bob", batch.GRADED, {"test_b": 2.0})
    _store(b, "alice", batch.GRADED, {"test_a": 1.0, "test_b": 2.0},
           graded_at="2026-02-01T00:00:00+00:00")
    _store(b, "carol", batch.GRADED, {})
    assert batch.merge([a, b], merged) == ["alice", "bob", "carol"]
    rows = {r["student_id"]: r["total"] for r in _csv(merged / "grades.csv")}
    assert rows == {"alice": "3", "bob": "2", "carol": "0"}
    assert (merged / "students" / "bob" / "feedback" / f"{EX}.html").read_text() == "<p>fb</p>"
    # merging the other way round keeps the newer alice as well
    again = tmp_path / "again"
    batch.merge([b, a], again)
    assert {r["student_id"]: r["total"] for r in _csv(again / "grades.csv")}["alice"] == "3"
    with pytest.raises(BatchError, match="not a batch output folder"):
        batch.merge([tmp_path / "nowhere"], merged)


def test_progress_bar_with_eta_on_stderr(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    course = make_course(tmp_path / "c", {"alice": "ok", "bob": "ok"})
    job = Behave({s: ok_value({"test_a": 1.0}) for s in ("alice", "bob")})
    batch.run_batch(course, tmp_path / "out", [EX], Limits(), jobs=2, progress=True, job=job)
    err = capsys.readouterr().err
    assert "grading" in err and "2/2" in err and "<" in err  # tqdm: elapsed<remaining
    batch.run_batch(course, tmp_path / "out", [EX], Limits(), jobs=2, progress=False,
                    job=job, force=True)
    assert capsys.readouterr().err == ""


def test_links_in_submitted_are_never_graded_and_the_csv_is_complete_after_each(
        tmp_path: Path) -> None:
    course = make_course(tmp_path / "c", {"alice": "ok", "bob": None, "carol": None})
    sub = course / "submitted"
    (sub / "bob" / EX / f"{EX}.ipynb").symlink_to(sub / "alice" / EX / f"{EX}.ipynb")
    (sub / "carol" / EX).rmdir()
    (sub / "carol" / EX).symlink_to(sub / "alice" / EX)
    seen: list[list[str]] = []
    real = batch.write_grades_csv

    def spy(out: Path, students: Any = None, exercises: Any = None) -> Path:
        path = real(out, students, exercises)
        seen.append([r["student_id"] + "=" + r["total"] for r in _csv(path)])
        return path

    job = Behave({"alice": ok_value({"test_a": 1.0, "test_b": 2.0})})
    try:
        batch.write_grades_csv = spy
        batch.run_batch(course, tmp_path / "out", [EX], Limits(), jobs=1, progress=False,
                        job=job)
    finally:
        batch.write_grades_csv = real
    states = {s: json.loads(batch.record_path(tmp_path / "out", s, EX).read_text())["state"]
              for s in ("alice", "bob", "carol")}
    assert states == {"alice": "graded", "bob": "missing", "carol": "missing"}
    # written before grading (every student, nothing yet) and after alice's submission
    assert seen == [["alice=0", "bob=0", "carol=0"], ["alice=3", "bob=0", "carol=0"]]
