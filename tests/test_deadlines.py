"""Deadlines: the course file, the commit ``collect`` takes, and the late rule in the CSV.

Five forks with commits dated around one due date (23:59 in Berlin = 22:59 UTC), a late rule
of 10 % per day with a 3-day cut-off, one extension, and one commit whose date disagrees with
the time it was pushed (a fake of GitHub's push log: no network here). Grading is replaced
by a picklable stand-in (as in test_batch.py), so every expected value is written by hand.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from batch_jobs import Behave
from test_batch import TESTS, ok_value

from autograder import batch
from autograder.collect import RosterEntry, choose_commit, collect_from_roster
from autograder.course_file import CourseFileError, Deadline, load_course_file
from autograder.instructor import _roster_students
from autograder.limits import Limits

EX = "ex1_lstm_from_scratch"
DUE_UTC = datetime(2026, 3, 1, 22, 59, tzinfo=UTC)  # 23:59 in Berlin (UTC+1 in March)

COURSE_TOML = f"""
[course]
timezone = "Europe/Berlin"
grace_minutes = 10

[exercises.{EX}]
due = 2026-03-01T23:59:00
penalty_per_day = 0.1
cutoff_days = 3

[[students]]
id = "alice"
name = "Alice"
fork = "{{forks}}/alice"

[[students]]
id = "bob"
fork = "{{forks}}/bob"

[[students]]
id = "carol"
fork = "{{forks}}/carol"

[[students]]
id = "dave"
fork = "{{forks}}/dave"
extensions = {{ {EX} = 2026-03-04T23:59:00 }}

[[students]]
id = "erin"
fork = "{{forks}}/erin"
"""


def _commit(repo: Path, text: str, when: datetime) -> str:
    stamp = when.isoformat()
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(repo),
           "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    if not (repo / ".git").exists():
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    folder = repo / "assignments" / EX
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{EX}.ipynb").write_text(text, encoding="utf-8")
    for args in (["add", "-A"], ["commit", "-q", "-m", text]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_late_days_and_factor_by_hand() -> None:
    rule = Deadline(EX, DUE_UTC, timedelta(minutes=10), 0.1, 3)
    assert rule.late_days(DUE_UTC) == 0
    assert rule.late_days(DUE_UTC + timedelta(minutes=10)) == 0  # within the grace
    assert rule.late_days(DUE_UTC + timedelta(minutes=11)) == 1
    assert rule.late_days(DUE_UTC + timedelta(days=1, minutes=10)) == 1
    assert rule.late_days(DUE_UTC + timedelta(days=1, minutes=11)) == 2
    assert rule.factor(2) == pytest.approx(0.8) and Deadline(EX, DUE_UTC, penalty_per_day=0.5
                                                             ).factor(3) == 0.0
    assert rule.cutoff == DUE_UTC + timedelta(days=3, minutes=10)


def test_course_file_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "course.toml"
    cases = {
        "[course]\ntimezone = 'Mars/Olympus'\n": "unknown time zone 'Mars/Olympus'",
        f"[exercises.{EX}]\npenalty_per_day = 0.1\n": "needs a due date",
        f"[exercises.{EX}]\ndue = 'soon'\n": "'soon' is not a date and time",
        f"[exercises.{EX}]\ndue = 2026-03-01T23:59:00\npenalty_per_day = -1\n":
            "penalty_per_day must be a number >= 0",
        "[[students]]\nid = 'a b'\n": "invalid id 'a b'",
        "[[students]]\nid = 'a'\n[[students]]\nid = 'a'\n": "a is listed twice",
        "[[students]]\nid = 'a'\nextensions = { ex9 = 2026-01-01T00:00:00 }\n":
            "extension for ex9, which has no due date",
        "[course\n": "not valid TOML",
    }
    for text, message in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CourseFileError, match=message.replace("(", r"\(")):
            load_course_file(path)
    with pytest.raises(CourseFileError, match="course file not found"):
        load_course_file(tmp_path / "nowhere.toml")


def test_forged_commit_date_is_flagged_and_the_push_time_counts() -> None:
    rule = Deadline(EX, DUE_UTC, timedelta(0), 0.1, 3)
    history = [("b" * 40, DUE_UTC - timedelta(hours=1)), ("a" * 40, DUE_UTC - timedelta(days=2))]
    honest = choose_commit(history, {}, rule, EX)
    assert honest["commit"] == "b" * 40 and honest["late_days"] == 0 and honest["flags"] == []
    pushed = {"b" * 40: DUE_UTC + timedelta(hours=20), "a" * 40: DUE_UTC - timedelta(days=2)}
    forged = choose_commit(history, pushed, rule, EX)
    assert forged["commit"] == "b" * 40 and forged["late_days"] == 1
    assert forged["factor"] == pytest.approx(0.9)
    assert forged["flags"] == [f"{EX}: commit bbbbbbbbbb is dated 2026-03-01T21:59:00+00:00 "
                               "but was pushed 2026-03-02T18:59:00+00:00"]
    # pushed after the cut-off: the earlier commit is taken
    pushed["b" * 40] = DUE_UTC + timedelta(days=4)
    assert choose_commit(history, pushed, rule, EX)["commit"] == "a" * 40


def test_collect_takes_the_last_commit_before_the_deadline_and_the_csv_applies_the_rule(
        tmp_path: Path) -> None:
    forks = tmp_path / "forks"
    h = timedelta(hours=1)
    early_alice = _commit(forks / "alice", "alice v1", DUE_UTC - 24 * h)
    late_alice = _commit(forks / "alice", "alice v2", DUE_UTC + 36 * h)  # 2 days late
    _commit(forks / "alice", "alice v3", DUE_UTC + 100 * h)  # after the cut-off: not taken
    bob = _commit(forks / "bob", "bob v1", DUE_UTC - h)
    _commit(forks / "carol", "carol v1", DUE_UTC + 5 * 24 * h)  # nothing before the cut-off
    dave = _commit(forks / "dave", "dave v1", DUE_UTC + 48 * h)  # within his extension
    erin = _commit(forks / "erin", "erin v1", DUE_UTC - h)  # dated on time ...
    path = tmp_path / "course.toml"
    path.write_text(COURSE_TOML.replace("{forks}", str(forks)), encoding="utf-8")
    course_file = load_course_file(path)
    assert course_file.deadline(EX, "dave").due == DUE_UTC + 72 * h
    assert _roster_students(path) == ["alice", "bob", "carol", "dave", "erin"]  # batch --roster
    pushes = {str(forks / "erin"): [(erin, DUE_UTC + 20 * h)]}  # ... pushed the next evening

    course = tmp_path / "course"
    src = course / "source" / EX
    src.mkdir(parents=True)
    import nbformat

    nb = nbformat.v4.new_notebook()
    for gid, pts in TESTS:
        c = nbformat.v4.new_code_cell("pass")
        c.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                  "grade_id": gid, "points": pts, "schema_version": 3}
        nb.cells.append(c)
    nbformat.write(nb, src / f"{EX}.ipynb")
    roster = [RosterEntry(s.id, s.fork, s.ref) for s in course_file.students]
    report = collect_from_roster(roster, course, [EX], tmp_path / "cache",
                                 course_file=course_file, push_log=pushes.get)
    status = {r.student: (r.status, r.message) for r in report.results}
    assert status["alice"] == ("collected", f"late: {EX}")
    assert status["bob"] == ("collected", "")
    assert status["carol"][0] == "malformed"

    def manifest(student: str) -> dict:
        return json.loads((course / "submitted" / student / EX / "SUBMISSION.json").read_text())

    assert manifest("alice")["commit"] == late_alice != early_alice
    assert manifest("alice")["late_days"] == 2 and manifest("alice")["time"] == (
        DUE_UTC + 36 * h).isoformat()
    assert (course / "submitted" / "alice" / EX / f"{EX}.ipynb").read_text() == "alice v2"
    assert manifest("bob")["commit"] == bob and manifest("bob")["late_days"] == 0
    assert manifest("carol")["commit"] is None and "no commit before the cut-off" in manifest(
        "carol")["problem"]
    assert manifest("dave")["commit"] == dave and manifest("dave")["late_days"] == 0
    assert manifest("erin")["late_days"] == 1 and manifest("erin")["pushed_at"]

    # grading (stand-in: full marks for everyone who has a notebook), then the CSV
    full = ok_value({"test_a": 1.0, "test_b": 2.0})
    job = Behave({s: full for s in ("alice", "bob", "carol", "dave", "erin")})
    out = tmp_path / "out"
    batch.run_batch(course, out, [EX], Limits(), jobs=1, progress=False, job=job)
    path = batch.write_grades_csv(out, ["alice", "bob", "carol", "dave", "erin"], [EX])
    with path.open(encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    got = {s: (r[f"{EX}:total"], r[f"{EX}_late_days"], r[f"{EX}_after_late"],
               r["total_after_late"], r["late"]) for s, r in rows.items()}
    assert got == {
        "alice": ("3", "2", "2.4", "2.4", "yes"),
        "bob": ("3", "0", "3", "3", "no"),
        "carol": ("0", "", "0", "0", "no"),
        "dave": ("3", "0", "3", "3", "no"),
        "erin": ("3", "1", "2.7", "2.7", "yes"),
    }
    assert "no commit before the cut-off" in rows["carol"]["problems"]
    assert f"{EX}: commit {erin[:10]} is dated" in rows["erin"]["flags"]
    assert rows["bob"]["flags"] == ""
