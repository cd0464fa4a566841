"""The sandbox a student's kernel runs in: bubblewrap, a staged library, an allow-listed
environment, hard limits (see docs/autograder.md, "Trust model").

:func:`prepare` lays out one kernel's private folders and returns a :class:`Sandbox` whose
:meth:`Sandbox.wrap` turns the kernel command into a confined one. :func:`sandbox_problem`
says why no sandbox can be made here (None when one can).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.bwrap import SandboxUnavailableError, sandbox_env, sandbox_problem, wrap
from autograder.sandbox.library import stage_library

__all__ = ["Sandbox", "SandboxUnavailableError", "prepare", "sandbox_problem", "stage_library"]

#: modes of ``Limits.sandbox``
AUTO, REQUIRE, OFF = "auto", "require", "off"


#: inside the sandbox: the kernel's home, a size-limited tmpfs holding the exercise copy
HOME = Path("/home/student")
#: inside the sandbox: the read-only seed of that home (the grader's copy of the folder)
SEED = Path("/opt/lstm-lab/seed")


@dataclass
class Sandbox:
    """One kernel's confinement: its folders and the command-line wrapper."""

    seed: Path  # outside: the home template and the exercise copy, bound read-only
    exercise: str  # the exercise folder's name (the kernel's working directory in HOME)
    private: Path  # connection file, IPC sockets and the grader's inputs
    library: Path  # the staged kit code (read-only)
    empty: Path
    sizes: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` run in the sandbox, after the seed is copied into the fresh home."""
        start = ('cp -R "$1/home/." "$HOME" && cp -R "$1/$2" "$HOME/$2" && cd "$HOME/$2" '
                 '&& shift 2 && exec "$@"')
        inner = ["/bin/sh", "-c", start, "sh", str(SEED), self.exercise, *command]
        return wrap(inner, seed=self.seed, private=[self.private], library=self.library,
                    env=self.env, empty=self.empty, sizes=self.sizes)


def _seed_matplotlib_cache(home: Path) -> None:
    """Copy the grader's font list so matplotlib does not rebuild it in every kernel."""
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
    except Exception:
        return
    target = home / ".matplotlib"
    target.mkdir(parents=True, exist_ok=True)
    for font_list in cache.glob("fontlist-*.json"):
        shutil.copy2(font_list, target / font_list.name)


def prepare(root: Path, exercise: str, work: Path, env: Mapping[str, str],
            names: frozenset[str] = frozenset(), sizes: Mapping[str, int] | None = None,
            ) -> Sandbox:
    """Folders for one sandboxed kernel under ``root`` (a fresh private temporary folder).

    ``work`` is the exercise copy (a folder directly under ``root / "scratch"``); ``env`` are
    the grader's variables for the kernel (probing, inputs file, thread counts); ``names``
    are those the notebook's trusted cells use (kept callable in the staged checks);
    ``sizes`` the byte sizes of the kernel's home, ``/tmp`` and ``/dev/shm`` (see
    :func:`autograder.sandbox.bwrap.wrap`).
    """
    seed = root / "scratch"
    home = seed / "home"
    private = root / "private"
    empty = root / "empty"
    for folder in (home, private, empty):
        folder.mkdir(parents=True, exist_ok=True)
    _seed_matplotlib_cache(home)
    library = stage_library(exercise, names)
    return Sandbox(seed=seed, exercise=work.name, private=private, library=library,
                   empty=empty, sizes=dict(sizes or {}), env=sandbox_env(env, HOME, library))
