"""Generate the student versions: ``release/<id>/`` and the starting copies in ``assignments/``.

Usage: ``python -m course.release [--force] [EXERCISE ...]``.

Runs ``nbgrader generate_assignment`` for every exercise in ONE process (``NbGraderAPI``; each
CLI call would pay ~4 s of start-up) inside a throw-away copy of the course, so no gradebook is
written into the repository. ``release/<id>/`` is then replaced by the fresh result, and
``assignments/<id>/<id>.ipynb`` is created for exercises that do not have one yet. An existing
student notebook in ``assignments/`` is only overwritten with ``--force``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from course.build import ROOT, OneLineParser, available_exercises


def course_config(root: Path) -> Config:
    """The project's nbgrader configuration, re-rooted at ``root`` (a course copy)."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    config.Application.log_level = "WARNING"
    return config


def ensure_tools_on_path() -> None:
    """nbgrader runs the `alembic` command: make the interpreter's bin/ directory reachable."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def make_api(root: Path):  # -> NbGraderAPI (imported lazily: the import costs ~4 s)
    """An ``NbGraderAPI`` for the course copy at ``root``."""
    ensure_tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def generate_release(
    source_dir: Path, release_dir: Path, exercises: list[str], api_root: Path | None = None
) -> list[Path]:
    """Run generate_assignment for ``exercises`` and put the results in ``release_dir``.

    ``source_dir/<id>/`` is copied into a temporary course (or ``api_root`` if given), so the
    repository never gets a gradebook. Returns the released notebook paths.
    """
    with tempfile.TemporaryDirectory(prefix="lstm-lab-release-") as tmp:
        root = Path(api_root) if api_root else Path(tmp)
        for ex in exercises:
            shutil.copytree(source_dir / ex, root / "source" / ex, dirs_exist_ok=True)
        api = make_api(root)
        out = []
        for ex in exercises:
            result = api.generate_assignment(ex, force=True, create=True)
            if not result.get("success"):
                raise RuntimeError(
                    f"generate_assignment {ex} failed:\n{result.get('error') or result.get('log')}"
                )
            target = release_dir / ex
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / "release" / ex, target)
            out.append(target / f"{ex}.ipynb")
        return out


def refresh_assignments(exercises: list[str], release_dir: Path, assignments_dir: Path,
                        force: bool = False) -> list[Path]:
    """Copy released notebooks to ``assignments/`` where the student has none (or ``force``)."""
    written = []
    for ex in exercises:
        target = assignments_dir / ex / f"{ex}.ipynb"
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(release_dir / ex / f"{ex}.ipynb", target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m course.release", description=__doc__)
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: all)")
    parser.add_argument("--force", action="store_true",
                        help="also overwrite existing notebooks in assignments/")
    args = parser.parse_args(argv)
    known = [e for e in available_exercises() if (ROOT / "source" / e / f"{e}.ipynb").exists()]
    unknown = [e for e in args.exercises if e not in known]
    if unknown:
        print(f"error: no source notebook for {unknown[0]!r}; run `python -m course.build` "
              f"first (known: {', '.join(known)})", file=sys.stderr)
        return 2
    exercises = args.exercises or known
    try:
        released = generate_release(ROOT / "source", ROOT / "release", exercises)
    except RuntimeError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    for path in released:
        print(path.relative_to(ROOT))
    for path in refresh_assignments(exercises, ROOT / "release", ROOT / "assignments", args.force):
        print(f"new student copy: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
