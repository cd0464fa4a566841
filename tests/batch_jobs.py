"""Picklable stand-ins for the grader, run in `autograder.batch`'s worker processes.

Kept free of heavy imports: each worker imports this module when it starts.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.batch import Task


def echo(x: int) -> int:
    """10·x; item 2 kills its worker, item 3 hangs."""
    if x == 2:
        os._exit(1)
    if x == 3:
        time.sleep(60)
    return x * 10


@dataclass(frozen=True)
class Behave:
    """Returns ``values[student]``, or does what the submitted notebook's text says:
    ``crash`` (the worker dies), ``raise``, ``hang-child`` (starts a child in its own
    session, then hangs)."""

    values: dict[str, dict[str, Any]]

    def __call__(self, task: Task) -> dict[str, Any]:
        what = task.notebook.read_text(encoding="utf-8").strip()
        if what == "crash":
            os._exit(3)
        if what == "raise":
            raise RuntimeError("grader bug")
        if what == "hang-child":
            # in a session of its own, like a Jupyter kernel
            child = subprocess.Popen(["sleep", "600"], start_new_session=True)
            Path(task.folder / "child.pid").write_text(str(child.pid))
            time.sleep(600)
        return self.values[task.student]
