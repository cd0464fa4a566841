"""`autograder.collect`: roster and folder-of-clones collection into nbgrader's layout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from autograder.collect import (
    RosterError,
    collect_from_clones,
    collect_from_roster,
    collected_commit,
    load_roster,
)

EXERCISES = ["ex1_lstm_from_scratch", "ex2_gate_analysis"]


def _git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "s",
        "GIT_AUTHOR_EMAIL": "s@example.org",
        "GIT_COMMITTER_NAME": "s",
        "GIT_COMMITTER_EMAIL": "s@example.org",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(cwd),
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def _student_repo(root: Path, name: str, exercises: list[str], marker: str = "v1") -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for ex in exercises:
        folder = repo / "assignments" / ex
        folder.mkdir(parents=True)
        (folder / f"{ex}.ipynb").write_text(json.dumps({"marker": marker}), encoding="utf-8")
    (repo / "README.md").write_text("fork\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "work")
    return repo


def _roster(path: Path, rows: list[str]) -> Path:
    path.write_text("student_id,repo,ref\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_roster_collects_branch_and_commit_and_reports_missing(tmp_path: Path) -> None:
    forks = tmp_path / "forks"
    alice = _student_repo(forks, "alice", EXERCISES)
    first = _git(alice, "rev-parse", "HEAD")
    (alice / "assignments" / EXERCISES[0] / f"{EXERCISES[0]}.ipynb").write_text('{"marker": "v2"}')
    _git(alice, "commit", "-q", "-am", "second")
    bob = _student_repo(forks, "bob", EXERCISES[:1])
    _git(bob, "checkout", "-q", "-b", "submission")
    carol = tmp_path / "forks" / "carol"
    carol.mkdir()
    _git(carol, "init", "-q", "-b", "main")
    (carol / "notes.txt").write_text("no assignments here")
    _git(carol, "add", "-A")
    _git(carol, "commit", "-q", "-m", "x")

    roster = load_roster(
        _roster(
            tmp_path / "roster.csv",
            [
                f"alice,{alice},{first}",
                f"bob,{bob},submission",
                f"carol,{carol},",
                f"dave,{tmp_path / 'nowhere'},",
            ],
        )
    )
    course = tmp_path / "course"
    report = collect_from_roster(roster, course, EXERCISES, tmp_path / "cache")

    status = {r.student: r.status for r in report.results}
    assert status == {
        "alice": "collected",
        "bob": "collected",
        "carol": "malformed",
        "dave": "missing",
    }
    submitted = course / "submitted"
    # alice is graded at the pinned commit, not at her newer one
    nb = submitted / "alice" / EXERCISES[0] / f"{EXERCISES[0]}.ipynb"
    assert json.loads(nb.read_text())["marker"] == "v1"
    assert collected_commit(submitted, "alice", EXERCISES[0]) == first
    assert (submitted / "alice" / EXERCISES[0] / "timestamp.txt").is_file()
    # bob only has one exercise: collected, the other one named as missing
    bob_result = next(r for r in report.results if r.student == "bob")
    assert bob_result.exercises == EXERCISES[:1]
    assert EXERCISES[1] in bob_result.message
    assert "nowhere" in next(r for r in report.results if r.student == "dave").message
    assert report.summary() == "collect: 2 collected, 1 missing, 1 malformed"


def test_recollect_updates_to_new_commit(tmp_path: Path) -> None:
    alice = _student_repo(tmp_path / "forks", "alice", EXERCISES)
    roster = load_roster(_roster(tmp_path / "r.csv", [f"alice,{alice},main"]))
    course, cache = tmp_path / "course", tmp_path / "cache"
    collect_from_roster(roster, course, EXERCISES, cache)
    before = collected_commit(course / "submitted", "alice", EXERCISES[0])
    (alice / "assignments" / EXERCISES[0] / f"{EXERCISES[0]}.ipynb").write_text('{"marker": "v2"}')
    _git(alice, "commit", "-q", "-am", "second")
    collect_from_roster(roster, course, EXERCISES, cache)
    after = collected_commit(course / "submitted", "alice", EXERCISES[0])
    assert before != after == _git(alice, "rev-parse", "HEAD")
    nb = course / "submitted" / "alice" / EXERCISES[0] / f"{EXERCISES[0]}.ipynb"
    assert json.loads(nb.read_text())["marker"] == "v2"


def test_collect_from_folder_of_clones(tmp_path: Path) -> None:
    clones = tmp_path / "clones"
    _student_repo(clones, "erin", EXERCISES)
    plain = clones / "frank" / "assignments" / EXERCISES[1]
    plain.mkdir(parents=True)  # not a git repository: collected without a commit
    (plain / f"{EXERCISES[1]}.ipynb").write_text("{}")
    (clones / "bad name!").mkdir()
    report = collect_from_clones(clones, tmp_path / "course", EXERCISES)
    status = {r.student: r.status for r in report.results}
    assert status == {"bad name!": "malformed", "erin": "collected", "frank": "collected"}
    submitted = tmp_path / "course" / "submitted"
    assert collected_commit(submitted, "erin", EXERCISES[0]) is not None
    assert collected_commit(submitted, "frank", EXERCISES[1]) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name,url\nalice,x\n", "expected a CSV header"),
        ("student_id,repo\nal ice,x\n", "invalid student id"),
        ("student_id,repo\nalice,\n", "has no repo"),
        ("student_id,repo\nalice,x\nalice,y\n", "listed twice"),
    ],
)
def test_bad_roster_is_rejected_with_a_reason(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=fragment):
        load_roster(path)


def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="not found"):
        load_roster(tmp_path / "absent.csv")
