"""`autograde collect` / `autograde batch` command lines: help, bad input, collect summaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.instructor import batch_main, collect_main

ROOT = Path(__file__).resolve().parent.parent
EX = "ex1_lstm_from_scratch"


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def course(tmp: Path) -> Path:
    root = tmp / "course"
    (root / "release" / EX).mkdir(parents=True)
    (root / "release" / EX / f"{EX}.ipynb").write_text("{}", encoding="utf-8")
    return root


def fork(root: Path, student: str, with_work: bool = True) -> Path:
    repo = root / student
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    if with_work:
        (repo / "assignments" / EX).mkdir(parents=True)
        (repo / "assignments" / EX / f"{EX}.ipynb").write_text('{"cells": []}')
    else:
        (repo / "README.md").write_text("not a fork of the course\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "work")
    return repo


def one_line_error(capsys: pytest.CaptureFixture[str], code: int, needle: str) -> None:
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and needle in err, err
    assert "Traceback" not in err + out


def test_help_explains_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert collect_main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--roster", "--from-clones", "--course", "--shard", "student_id,repo,ref"):
        assert word in text
    assert batch_main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--jobs", "--gradebook", "--merge", "--shard", "--force", "grades.csv",
                 "re-run skips"):
        assert word in text


@pytest.mark.parametrize("argv, needle", [
    ([], "one of the arguments --roster --course-file --from-clones is required"),
    (["--roster", "r.csv", "--from-clones", "d"], "not allowed with"),
    (["--from-clones", "nowhere"], "--from-clones nowhere: no such folder"),
    (["--roster", "missing.csv"], "roster file not found"),
    (["--from-clones", ".", "--shard", "3/2"], "need 1 <= K <= N"),
    (["--from-clones", ".", "--exercise", "ex9"], "unknown exercise 'ex9'"),
    (["--from-clones", ".", "--bogus"], "unrecognized arguments: --bogus"),
    (["--course-file", "missing.toml"], "course file not found: missing.toml"),
    (["--course-file", "missing.toml", "--roster", "r.csv"], "not allowed with"),
    (["--from-clones", ".", "--max-file-mb", "0"], "--max-file-mb and --max-submission-mb "
                                                   "must be positive"),
])
def test_collect_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str], argv: list[str],
                           needle: str) -> None:
    monkeypatch.chdir(course(tmp_path))
    one_line_error(capsys, collect_main(argv), needle)


def test_collect_bad_roster_and_course(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    root = course(tmp_path)
    roster = tmp_path / "r.csv"
    roster.write_text("name,url\nalice,x\n")
    one_line_error(capsys, collect_main(["--roster", str(roster), "--course", str(root)]),
                   "expected a CSV header")
    one_line_error(capsys, collect_main(["--roster", str(roster), "--course", str(tmp_path)]),
                   "not a course")


@pytest.mark.parametrize("argv, needle", [
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--jobs", "two"], "invalid int value"),
    (["--shard", "x"], "--shard must look like K/N"),
    (["--exercise", "nope"], "unknown exercise 'nope'"),
    (["--course", "nowhere"], "--course nowhere: no such folder"),
    (["--merge", "a"], "--merge needs --out"),
    (["--merge", "a", "--out", "m", "--force"], "--merge does not grade"),
    (["--merge", "nowhere", "--out", "m"], "not a batch output folder"),
    (["--cell-timeout", "-1"], "--cell-timeout must be positive"),
    (["--roster", "none.csv"], "roster file not found"),
    (["--roster", "none.toml"], "course file not found: none.toml"),
    ([], "nothing to grade: "),
])
def test_batch_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
                         ) -> None:
    monkeypatch.chdir(course(tmp_path))
    one_line_error(capsys, batch_main(argv), needle)


def test_batch_bad_environment_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(course(tmp_path))
    monkeypatch.setenv("AUTOGRADE_CELL_TIMEOUT", "soon")
    one_line_error(capsys, batch_main([]), "AUTOGRADE_CELL_TIMEOUT='soon' is not a number")


def test_collect_roster_reports_missing_and_malformed_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = course(tmp_path)
    alice, bob = fork(tmp_path / "forks", "alice"), fork(tmp_path / "forks", "bob", False)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student_id,repo,ref\nalice,{alice},\nbob,{bob},\n"
                      f"carol,{tmp_path / 'forks' / 'carol'},\n")
    assert collect_main(["--roster", str(roster), "--course", str(root)]) == 0
    out = capsys.readouterr().out
    commit = _git(alice, "rev-parse", "HEAD")
    assert f"collected  alice  {commit[:12]}" in out
    assert "malformed  bob: no assignments/ folder" in out
    assert "missing    carol: cannot fetch" in out
    assert out.strip().endswith("collect: 1 collected, 1 missing, 1 malformed")
    manifest = json.loads((root / "submitted" / "alice" / EX / "SUBMISSION.json").read_text())
    assert manifest["commit"] == commit
    assert (root / "grader-output" / "clones" / "alice" / ".git").is_dir()


def test_collect_from_clones_shards_partition_the_class(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    root = course(tmp_path)
    names = [f"s{i:02d}" for i in range(8)]
    for name in names:
        fork(tmp_path / "clones", name)
    seen: list[str] = []
    for k in (1, 2, 3):
        before = set(p.name for p in (root / "submitted").iterdir()) if (
            root / "submitted").exists() else set()
        code = collect_main(["--from-clones", str(tmp_path / "clones"), "--course", str(root),
                             "--shard", f"{k}/3"])
        assert code == 0
        after = {p.name for p in (root / "submitted").iterdir()}
        seen += sorted(after - before)
        assert capsys.readouterr().out.strip().endswith("0 missing, 0 malformed")
    assert sorted(seen) == names  # every student in exactly one shard


def test_module_entry_point_routes_and_rejects(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "autograder.instructor", "grade"], env=env,
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2 and "usage:" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "autograder.instructor", "batch", "--jobs", "0"],
                         env=env, capture_output=True, text=True, cwd=course(tmp_path))
    assert res.returncode == 2
    assert res.stderr == "autograde batch: --jobs must be at least 1\n"


# --------------------------------------------------------------------------- the workflow

WORKFLOW = ROOT / ".github" / "workflows" / "instructor-batch.yml"


def test_workflow_passes_actionlint() -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    res = subprocess.run([str(bin_dir / "actionlint"), "-no-color", str(WORKFLOW)], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def test_workflow_runs_the_cli_with_options_it_accepts() -> None:
    """Every `autograde collect|batch` line of the workflow parses with the real parsers."""
    import re
    import shlex

    from autograder.instructor import batch_parser, collect_parser

    text = WORKFLOW.read_text(encoding="utf-8").replace("\\\n", " ")
    values = {"$ROSTER": "roster.csv", "$SHARD": "2/4", "$EXERCISE": EX,
              '"${args[@]}"': ""}
    calls = re.findall(r"^\s*autograde (collect|batch)\b(.*)$", text, flags=re.M)
    assert {c for c, _ in calls} == {"collect", "batch"} and len(calls) == 3
    arrays = re.findall(r"args=\((.*)\)", text)
    for command, rest in calls:
        line = rest.split("|")[0]
        for key, value in values.items():
            line = line.replace(key, value)
        argv = shlex.split(line.replace('"${shards[@]}"', "shards/1/ shards/2/"))
        if not argv:  # the options are in the bash array built just before
            argv = shlex.split(next(a for a in arrays if ("--out" in a) == (command == "batch"))
                               .replace("$ROSTER", "roster.csv").replace("$SHARD", "2/4"))
        parser = collect_parser() if command == "collect" else batch_parser()
        args = parser.parse_args(argv)
        if command == "batch" and args.merge is None:
            assert args.shard == "2/4" and args.out is not None
        if command == "collect":
            assert args.shard == "2/4" and args.roster == Path("roster.csv")
    assert "fail-fast: false" in text and "needs: [plan, grade]" in text
    assert "if: ${{ !cancelled() && needs.plan.result == 'success' }}" in text
