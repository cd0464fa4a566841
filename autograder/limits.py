"""Every limit the grader enforces, in one place.

The defaults fit a 2-core CI runner and an exercise notebook that runs in about 20 s. Tests
and instructors pass their own :class:`Limits` (e.g. a 3 s cell timeout for adversarial tests);
the command line reads overrides from the environment variables named in :data:`ENV_NAMES`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits for grading one notebook (seconds and bytes)."""

    #: wall-clock seconds one cell may run before the kernel is interrupted
    cell_timeout: float = 60.0
    #: wall-clock seconds for the whole notebook, kernel start-up included
    notebook_timeout: float = 180.0
    #: seconds to wait for the kernel to start
    startup_timeout: float = 60.0
    #: seconds to wait for pending output after a cell finished or was interrupted
    iopub_timeout: float = 4.0
    #: address-space limit of the kernel process (RLIMIT_AS), bytes
    memory_bytes: int = 4096 * MB
    #: largest file the kernel may write (RLIMIT_FSIZE), bytes
    file_bytes: int = 256 * MB
    #: output bytes kept per cell; beyond it output is dropped with a note
    cell_output_bytes: int = 4 * MB
    #: output bytes kept per notebook
    notebook_output_bytes: int = 32 * MB
    #: exercises graded at the same time (each in its own kernel)
    jobs: int = 2
    #: processes (and threads) a kernel may have at once (RLIMIT_NPROC, or a pids cgroup)
    processes: int = 256
    #: bytes a sandboxed kernel may write in all: its home (the exercise copy included); half
    #: of it in /tmp and an eighth in /dev/shm (in-memory file systems)
    scratch_bytes: int = 512 * MB
    #: open files per kernel process (RLIMIT_NOFILE)
    open_files: int = 1024
    #: check records one notebook may send, and their bytes; more ends the notebook
    probe_records: int = 400
    probe_bytes: int = 64 * MB
    #: seconds the grader spends judging one notebook's records at most
    judge_seconds: float = 60.0
    #: "auto" (sandbox when possible, else warn), "require" (refuse without), "off"
    sandbox: str = "auto"

    def with_overrides(self, **changes: float) -> Limits:
        """A copy with some limits changed (unknown names raise TypeError)."""
        return replace(self, **changes)


#: environment variable -> Limits field, read by :func:`from_env`
ENV_NAMES = {f"AUTOGRADE_{f.name.upper()}": f.name for f in fields(Limits)}


def from_env(base: Limits | None = None, environ: dict[str, str] | None = None) -> Limits:
    """``base`` with any ``AUTOGRADE_<FIELD>`` environment overrides applied.

    Raises ValueError naming the variable when a value is not a positive number.
    """
    base = Limits() if base is None else base
    env = os.environ if environ is None else environ
    changes: dict[str, float | str] = {}
    for var, name in ENV_NAMES.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        kind = type(getattr(base, name))
        if kind is str:
            if raw not in ("auto", "require", "off"):
                raise ValueError(f"{var}={raw!r}: use auto, require or off")
            changes[name] = raw
            continue
        try:
            value = kind(float(raw)) if kind is int else float(raw)
        except ValueError:
            raise ValueError(f"{var}={raw!r} is not a number") from None
        if value <= 0:
            raise ValueError(f"{var} must be positive, got {raw!r}")
        changes[name] = value
    return replace(base, **changes)
