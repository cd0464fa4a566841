"""`autograde collect` and `autograde batch` reach the instructor commands through the main CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _autograde(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from autograder.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_collect_and_batch_are_routed(tmp_path: Path) -> None:
    out = _autograde("collect", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "--roster" in out.stdout
    out = _autograde("batch", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "--jobs" in out.stdout


def test_instructor_usage_errors_are_one_line(tmp_path: Path) -> None:
    out = _autograde("collect", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("autograde collect:") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_main_help_points_instructors_to_the_subcommands(tmp_path: Path) -> None:
    out = _autograde("--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "autograde collect" in out.stdout and "autograde batch" in out.stdout
