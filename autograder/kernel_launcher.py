"""Start an IPython kernel under resource limits: ``python -m autograder.kernel_launcher
MEMORY_BYTES FILE_BYTES -- <kernel command>``.

The limits are set on this process with ``setrlimit`` and inherited by the kernel it
``exec``\\ s into, so a memory bomb gets a ``MemoryError`` (or the kernel dies) instead of
taking the machine down, and a runaway file write stops at FILE_BYTES.
"""

from __future__ import annotations

import os
import resource
import sys


def apply_limits(memory_bytes: int, file_bytes: int) -> None:
    """Lower RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_CORE of this process (never raise them)."""
    for res, value in (
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        _soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, hard))


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: kernel_launcher MEMORY_BYTES FILE_BYTES -- COMMAND...\n")
        raise SystemExit(2)
    apply_limits(int(argv[0]), int(argv[1]))
    cmd = argv[3:]
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
