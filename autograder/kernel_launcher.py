"""Start a kernel under hard resource limits: ``python -m autograder.kernel_launcher LIMITS --
<kernel command>``.

``LIMITS`` is a JSON object (``memory``, ``file``, ``processes``, ``open_files``, ``cpu``,
optional ``cgroups``: folders of cgroups to join). The limits are set on this process with
soft = hard (a process can lower a hard limit but never raise it back) and inherited by the
command it ``exec``\\ s into — the sandbox and the kernel inside it — so a memory bomb gets
a ``MemoryError`` (or the kernel dies), a runaway write stops at the file-size limit, a fork
bomb stops at the process limit, and a spinning kernel is killed when its CPU time runs out.
A grader running as root (whose processes RLIMIT_NPROC does not bind) also puts the kernel
into the given pids and memory cgroups.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def apply_limits(memory_bytes: int, file_bytes: int, processes: int = 0, open_files: int = 0,
                 cpu_seconds: int = 0) -> None:
    """Set soft = hard = the given value for each limit (never above an existing hard one)."""
    wanted = [(resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_FSIZE, file_bytes),
              (resource.RLIMIT_CORE, 0)]
    if processes:
        wanted.append((resource.RLIMIT_NPROC, processes))
    if open_files:
        wanted.append((resource.RLIMIT_NOFILE, open_files))
    if cpu_seconds:
        wanted.append((resource.RLIMIT_CPU, cpu_seconds))
    for res, value in wanted:
        _soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, value))


def join_cgroups(folders: list[str]) -> None:
    for folder in folders:
        try:
            with open(os.path.join(folder, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        except OSError:
            pass


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: kernel_launcher LIMITS_JSON -- COMMAND...\n")
        raise SystemExit(2)
    spec = json.loads(argv[0])
    join_cgroups([str(c) for c in spec.get("cgroups") or []])
    apply_limits(int(spec["memory"]), int(spec["file"]), int(spec.get("processes", 0)),
                 int(spec.get("open_files", 0)), int(spec.get("cpu", 0)))
    cmd = argv[2:]
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
