"""Where no sandbox can be made, and what the grader trusts: the public commands' behaviour.

* `autograde` still grades and says so once; `autograde --require-sandbox` refuses;
* `autograde batch` refuses with the fix named (exit 2), unless `--unsandboxed`, and then every
  CSV row says `unsandboxed`;
* the trusted inputs (checks, reference, course notebooks) are fixed at the start of a batch:
  a change during the run is refused; `--merge` refuses parts graded with another version or
  secret, and records altered after grading;
* staged libraries hide what they must and nothing a notebook legitimately uses.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from autograder_helpers import COURSE, FIXTURES, student_from_source

from autograder import batch

EX = "fx1"
NO_BWRAP = {"AUTOGRADE_BWRAP": "/nonexistent/bwrap"}


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(FIXTURES), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "AUTOGRADE_CHECK_PACKAGES": "fxchecks",
            "AUTOGRADE_SECRET": "policy-secret", **extra}


def _class(tmp: Path, students: tuple[str, ...] = ("ann", "ben")) -> Path:
    course = tmp / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub / EX, course / sub / EX)
    for student in students:
        folder = course / "submitted" / student / EX
        folder.mkdir(parents=True)
        import nbformat

        nbformat.write(student_from_source(), folder / f"{EX}.ipynb")
    return course


def _autograde(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _rows(course: Path, out: str = "grader-output/batch") -> dict[str, dict[str, str]]:
    with (course / out / "grades.csv").open(encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_without_a_sandbox_batch_refuses_unless_told(tmp_path: Path) -> None:
    course = _class(tmp_path)
    refused = _autograde("batch", "--course", str(course), "--jobs", "1", "--no-progress",
                         cwd=tmp_path, env=_env(**NO_BWRAP))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--unsandboxed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (course / "grader-output" / "batch" / "grades.csv").exists()
    allowed = _autograde("batch", "--course", str(course), "--jobs", "1", "--no-progress",
                         "--unsandboxed", cwd=tmp_path, env=_env(**NO_BWRAP))
    assert allowed.returncode == 0, allowed.stderr
    assert "WARNING" in allowed.stderr
    rows = _rows(course)
    assert {r["sandbox"] for r in rows.values()} == {"unsandboxed"}
    assert all(float(r["total"]) == 3.0 for r in rows.values())


@pytest.mark.slow
def test_without_a_sandbox_autograde_warns_and_require_sandbox_refuses(tmp_path: Path) -> None:
    course = _class(tmp_path, ())
    work = course / "assignments" / EX
    work.mkdir(parents=True)
    import nbformat

    nbformat.write(student_from_source(), work / f"{EX}.ipynb")
    graded = _autograde(str(work), cwd=tmp_path, env=_env(**NO_BWRAP))
    assert graded.returncode == 0, graded.stderr
    assert graded.stderr.count("WARNING") == 1 and "without a sandbox" in graded.stderr
    doc = json.loads((tmp_path / "grader-output" / "results.json").read_text())
    assert doc["extra_data"]["exercises"][0]["sandboxed"] is False
    assert any("unsandboxed" in n for n in doc["extra_data"]["exercises"][0]["notes"])
    strict = _autograde(str(work), "--require-sandbox", cwd=tmp_path, env=_env(**NO_BWRAP))
    assert strict.returncode == 2 and "no grading sandbox" in strict.stderr


@pytest.mark.slow
def test_merge_checks_the_manifest(tmp_path: Path) -> None:
    course = _class(tmp_path, ("ann", "cat"))  # one student in each of two shards
    assert [batch.in_shard(s, (1, 2)) for s in ("ann", "cat")] == [False, True]
    env = _env()
    for k in (1, 2):
        done = _autograde("batch", "--course", str(course), "--jobs", "1", "--no-progress",
                          "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}"), cwd=tmp_path,
                          env=env)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / f"s{k}" / batch.MANIFEST).is_file()
    merged = _autograde("batch", "--merge", str(tmp_path / "s1"), str(tmp_path / "s2"),
                        "--out", str(tmp_path / "all"), cwd=tmp_path, env=env)
    assert merged.returncode == 0, merged.stderr
    # a record changed after grading: refused, naming it
    record = next((tmp_path / "s1" / batch.STUDENTS).glob(f"*/{EX}.json"))
    doc = json.loads(record.read_text())
    doc["results"]["score"] = 99
    record.write_text(json.dumps(doc))
    altered = _autograde("batch", "--merge", str(tmp_path / "s1"), str(tmp_path / "s2"),
                         "--out", str(tmp_path / "all2"), cwd=tmp_path, env=env)
    assert altered.returncode == 2 and "altered after grading" in altered.stderr
    # parts graded with another secret do not mix
    other = _autograde("batch", "--course", str(course), "--jobs", "1", "--no-progress",
                       "--out", str(tmp_path / "s3"), cwd=tmp_path,
                       env=_env(AUTOGRADE_SECRET="another-secret"))
    assert other.returncode == 0, other.stderr
    mixed = _autograde("batch", "--merge", str(tmp_path / "s2"), str(tmp_path / "s3"),
                       "--out", str(tmp_path / "all3"), cwd=tmp_path, env=env)
    assert mixed.returncode == 2 and "different" in mixed.stderr


def test_a_trusted_file_changed_during_the_run_is_not_graded(tmp_path: Path) -> None:
    course = _class(tmp_path, ("ann",))
    [task] = batch.discover(course, [EX])
    before = batch.trusted_digest(course)
    job = batch.GradeJob(limits=None, trusted=before)
    (course / "source" / EX / f"{EX}.ipynb").write_text(
        (course / "source" / EX / f"{EX}.ipynb").read_text() + " ")
    result = job(task)  # the digest differs: no kernel is started
    assert result["state"] == batch.ERROR and result["message"] == batch.TRUSTED_CHANGED
    assert batch.trusted_digest(course) != before


def test_staged_libraries_hide_the_answers_and_keep_the_rest() -> None:
    """The staged copies, imported in a clean interpreter: ex1 computes no LSTM, ex5 no GRU;
    what the notebooks use still works."""
    from autograder.sandbox import stage_library

    code = {
        "ex1_lstm_from_scratch": (
            "import numpy as np\nfrom autograder.checks import ex1\n"
            "from lstm_reference import lstm\n"
            "p = {k: np.zeros((2, 5)) for k in ('Wf','Wi','WC','Wo')}\n"
            "p.update({k: np.zeros((2, 1)) for k in ('bf','bi','bC','bo')})\n"
            "try:\n    lstm.lstm_step_forward(np.zeros((3, 1)), np.zeros((2, 1)),"
            " np.zeros((2, 1)), p)\n    print('LEAK')\n"
            "except RuntimeError as e:\n    print('hidden', e)\n"
            "try:\n    ex1._variant_step\n    ex1._variant_step(0, 0, 0, p)\n    print('LEAK')\n"
            "except RuntimeError:\n    print('hidden')\n"),
        "ex5_gru": (
            "import numpy as np\nfrom autograder.checks import ex5\n"
            "from lstm_reference.gru import init_gru_params, gru_forward\n"
            "from lstm_reference.model import init_char_lm, char_lm_loss\n"
            "p = init_gru_params(3, 2, np.random.default_rng(0))\n"
            "try:\n    gru_forward(np.zeros((2, 3, 1)), np.zeros((2, 1)), p)\n    print('LEAK')\n"
            "except RuntimeError:\n    print('hidden')\n"
            "lm = init_char_lm(5, 4, 'lstm', np.random.default_rng(0))\n"
            "ids = np.arange(5)\nprint('lstm works', char_lm_loss(lm, ids[:-1], ids[1:], None,"
            " 'lstm')[0] > 0)\nprint(len(ex5.training_text()) > 0)\n"),
    }
    for exercise, source in code.items():
        lib = stage_library(exercise)
        proc = subprocess.run([sys.executable, "-I", "-c",
                               f"import sys; sys.path.insert(0, {str(lib)!r})\n" + source],
                              capture_output=True, text=True, timeout=120, cwd=lib)
        assert proc.returncode == 0, proc.stderr
        assert "LEAK" not in proc.stdout and "hidden" in proc.stdout, proc.stdout
    assert "lstm works True" in proc.stdout and proc.stdout.strip().endswith("True")


def test_an_unsandboxed_kernel_gets_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.limits import Limits
    from autograder.runner import kernel_env

    monkeypatch.setenv("AUTOGRADE_SECRET", "s")
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("MY_API_KEY", "k")
    env = kernel_env(Limits())
    assert not {"AUTOGRADE_SECRET", "GITHUB_TOKEN", "MY_API_KEY"} & set(env)
    assert env["LSTM_LAB_PROBE"] == "1"
