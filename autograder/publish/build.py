"""Write the student template (see :mod:`autograder.publish`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from autograder import hidden_tests
from autograder.assemble import strip_hidden
from autograder.publish import tree
from autograder.publish.vet import (
    TestCell,
    check_aliases,
    solution_lines,
    unsafe_reason,
)

#: the student workflow's path in the template
WORKFLOW = ".github/workflows/classroom.yml"
#: static files of the template: package resource -> path in the template
STATIC = {"Makefile": "Makefile", "gitignore": ".gitignore", "classroom.yml": WORKFLOW}
_SKIP = {"__pycache__", ".ipynb_checkpoints"}


class PublishError(Exception):
    """The template cannot be written: one line saying why (exit code 2)."""


@dataclass
class Exercise:
    """One exercise of the kit: its source and release notebooks and its test cells."""

    id: str
    source: dict
    release_dir: Path
    tests: list[TestCell] = field(default_factory=list)
    title: str = ""

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)


@dataclass
class Published:
    """What :func:`publish` wrote."""

    dest: Path
    files: list[str]
    exercises: list[Exercise]
    hidden: list[TestCell]
    withheld: bool
    commit: str | None = None

    def summary(self) -> str:
        points = sum(e.points for e in self.exercises)
        lines = [f"published {len(self.files)} files to {self.dest}: "
                 f"{len(self.exercises)} exercises, {points:g} points"]
        if self.withheld:
            lines.append(f"  hidden tests withheld from {len(self.hidden)} test cells: they run "
                         "only at instructor grading (the student's report says which)")
        else:
            lines.append(f"  hidden tests of {len(self.hidden)} test cells included: a student's "
                         "run grades the same checks for the same points")
        if self.commit:
            lines.append(f"  git repository with one commit {self.commit[:12]}")
        return "\n".join(lines)


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in _cell_source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def load_exercises(kit: Path) -> list[Exercise]:
    """The kit's exercises (source and release notebooks); PublishError when they do not fit."""
    source_root, release_root = kit / "source", kit / "release"
    if not source_root.is_dir():
        raise PublishError(f"{kit}: no source/ folder (publish runs in the instructor's kit)")
    ids = sorted(d.name for d in source_root.iterdir() if (d / f"{d.name}.ipynb").is_file())
    if not ids:
        raise PublishError(f"{source_root}: no exercise notebooks")
    exercises = []
    for ex in ids:
        release = release_root / ex / f"{ex}.ipynb"
        if not release.is_file():
            raise PublishError(f"{ex}: no release notebook ({release}); run 'make release'")
        try:
            source = json.loads((source_root / ex / f"{ex}.ipynb").read_text(encoding="utf-8"))
            released = json.loads(release.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PublishError(f"{ex}: cannot read its notebooks ({exc})") from None
        item = Exercise(ex, source, release.parent, title=_title(source, ex))
        visible = {_nbgrader(c).get("grade_id"): _cell_source(c) for c in released["cells"]}
        for cell in source["cells"]:
            meta = _nbgrader(cell)
            if not (meta.get("grade") and not meta.get("solution")
                    and cell.get("cell_type") == "code" and meta.get("grade_id")):
                continue
            points = float(meta.get("points") or 0)
            test = TestCell(ex, meta["grade_id"], _cell_source(cell), points)
            if visible.get(test.grade_id, "").strip() != strip_hidden(test.source).strip():
                raise PublishError(f"{test.where}: the release notebook does not match source/ "
                                   "(run 'make release' first)")
            item.tests.append(test)
        exercises.append(item)
    return exercises


def solution_text(exercises: list[Exercise]) -> set[str]:
    """Every non-blank line (stripped) of every solution in the source notebooks."""
    lines: set[str] = set()
    for ex in exercises:
        for cell in ex.source["cells"]:
            meta = _nbgrader(cell)
            if meta.get("solution") or "### BEGIN SOLUTION" in _cell_source(cell):
                whole = bool(meta.get("solution"))
                lines.update(s.strip() for s in solution_lines(_cell_source(cell), whole)
                             if s.strip())
    return lines


def public_text(exercises: list[Exercise]) -> set[str]:
    """Every line (stripped) of the source notebooks outside their solutions: what the release
    notebooks are meant to show."""
    lines: set[str] = set()
    for ex in exercises:
        for cell in ex.source["cells"]:
            source = _cell_source(cell)
            if _nbgrader(cell).get("solution") and "### BEGIN SOLUTION" not in source:
                continue
            inside = False
            for line in source.splitlines():
                if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                    inside = line.strip() == "### BEGIN SOLUTION"
                elif not inside:
                    lines.add(line.strip())
    return lines


def vet_hidden(exercises: list[Exercise]) -> list[TestCell]:
    """Test cells with hidden tests; PublishError naming the first that may not ship."""
    hidden = []
    for ex in exercises:
        code = [_cell_source(c) for c in ex.source["cells"] if c.get("cell_type") == "code"
                and not _nbgrader(c).get("solution")]
        aliases = check_aliases(code)
        for test in ex.tests:
            if not test.hidden.strip():
                continue
            reason = unsafe_reason(test.hidden, aliases)
            if reason is not None:
                raise PublishError(f"{test.where}: {reason}; a student template may carry only "
                                   "calls of registered checks (or pass --hide-tests to ship "
                                   "only visible tests)")
            hidden.append(test)
    return hidden


def _pyproject(kit: Path) -> str:
    try:
        meta = tomllib.loads((kit / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except (OSError, ValueError, KeyError) as exc:
        raise PublishError(f"{kit / 'pyproject.toml'}: cannot read the project ({exc})") from None
    deps = "".join(f'    "{d}",\n' for d in meta.get("dependencies", []))
    data = "".join(f"{package} = {json.dumps(globs)}\n"
                   for package, globs in tree.package_data(kit).items())
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "lstm-lab-exercises"
version = "{meta.get('version', '0')}"
description = "LSTM Lab: exercises on LSTMs, graded by the autograde command."
readme = "README.md"
requires-python = "{meta.get('requires-python', '>=3.11')}"
dependencies = [
{deps}]

[project.scripts]
autograde = "autograder.cli:main"

[tool.setuptools.packages.find]
include = ["lstm_reference*", "autograder*"]

[tool.setuptools.package-data]
{data}"""


def _resource(name: str) -> str:
    return (resources.files("autograder.publish") / "template" / name).read_text(encoding="utf-8")


def _readme(exercises: list[Exercise], hidden: list[TestCell], withheld: bool) -> str:
    rows = "\n".join(f"| `{e.id}` | {e.title} | {e.points:g} |" for e in exercises)
    total = sum(e.points for e in exercises)
    if withheld:
        by_ex: dict[str, list[str]] = {}
        for t in hidden:
            by_ex.setdefault(t.exercise, []).append(f"`{t.grade_id}`")
        cells = "; ".join(f"`{ex}`: {', '.join(ids)}" for ex, ids in by_ex.items())
        hidden_text = (
            "Your instructor kept the hidden tests of some test cells back. `make grade` and "
            "the workflow run every visible test and say, for each exercise, which test cells "
            "have hidden tests that run only when your instructor grades: "
            f"{cells or 'none'}. Passing here is a good sign, not the grade."
        )
    else:
        hidden_text = (
            "Every test cell the grader uses is here, hidden tests included: a hidden test is "
            "a call of the same check on fresh inputs drawn each time it runs "
            "(`release/hidden_tests.json`). So `make grade` and the workflow run the same checks "
            "for the same points as your instructor's grade; the report says so under the "
            "table. Because the inputs are new each time, a correct answer passes every time, "
            "and an answer that only fits the visible example does not."
        )
    text = _resource("README.md")
    return (text.replace("@@EXERCISES@@", rows).replace("@@TOTAL@@", f"{total:g}")
            .replace("@@HIDDEN@@", hidden_text))


def template_files(kit: Path, hide_tests: bool = False) -> tuple[dict[str, bytes], Published]:
    """Every file of the template as {relative path: bytes}, and what it holds."""
    exercises = load_exercises(kit)
    if hide_tests:
        hidden = [t for ex in exercises for t in ex.tests if t.hidden.strip()]
    else:
        hidden = vet_hidden(exercises)
    files: dict[str, bytes] = {}
    manifest: dict[str, hidden_tests.ExerciseTests] = {}
    notebooks = []
    for ex in exercises:
        for path in sorted(ex.release_dir.rglob("*")):
            rel = path.relative_to(ex.release_dir)
            if path.is_file() and not _SKIP & set(rel.parts):
                data = path.read_bytes()
                files[f"assignments/{ex.id}/{rel.as_posix()}"] = data
                files[f"release/{ex.id}/{rel.as_posix()}"] = data
        notebooks.append(ex.release_dir / f"{ex.id}.ipynb")
        mine = [t for t in hidden if t.exercise == ex.id]
        if hide_tests:
            manifest[ex.id] = hidden_tests.ExerciseTests({}, tuple(t.grade_id for t in mine))
        else:
            manifest[ex.id] = hidden_tests.ExerciseTests({t.grade_id: t.source for t in mine})
    files[f"release/{hidden_tests.MANIFEST}"] = hidden_tests.dumps(manifest).encode()
    for rel in tree.template_modules(kit, notebooks):
        files[rel.as_posix()] = (kit / rel).read_bytes()
    files["pyproject.toml"] = _pyproject(kit).encode()
    files["README.md"] = _readme(exercises, hidden, hide_tests).encode()
    for resource, rel in STATIC.items():
        files[rel] = _resource(resource).encode()
    _guard(files, exercises, hidden if hide_tests else [])
    info = Published(Path(), sorted(files), exercises, hidden, hide_tests)
    return dict(sorted(files.items())), info


def _text(rel: str, data: bytes) -> str:
    """A file's text; for a notebook, its cells' sources (not the JSON around them)."""
    text = data.decode("utf-8", "replace")
    if rel.endswith(".ipynb"):
        nb = json.loads(text)
        text = "\n".join(_cell_source(c) for c in nb.get("cells", []))
    return text


def _guard(files: dict[str, bytes], exercises: list[Exercise], withheld: list[TestCell]) -> None:
    """Refuse to write a template that holds solution text or a withheld hidden test.

    Solution lines that the source notebooks also show outside their solutions, or that the
    shipped library contains, are not secrets (the library is part of the template by design);
    every other one must be absent, from the release notebooks too.
    """
    given = public_text(exercises)
    for rel, data in files.items():
        if rel.startswith(tuple(p + "/" for p in tree.PACKAGES)):
            given.update(s.strip() for s in _text(rel, data).splitlines())
    secret = {s for s in solution_text(exercises) if s not in given and len(s) > 3}
    secret |= {s.strip() for t in withheld for s in t.hidden.splitlines() if s.strip()}
    for rel, data in files.items():
        for line in _text(rel, data).splitlines():
            if line.strip() in secret:
                raise PublishError(f"{rel} would contain solution or hidden-test text "
                                   f"({line.strip()[:50]!r}); nothing was written")


def _check_dest(kit: Path, dest: Path, force: bool, git: bool) -> None:
    kit_r, dest_r = kit.resolve(), dest.resolve()
    if dest_r == kit_r or dest_r in kit_r.parents:
        raise PublishError(f"{dest}: the template cannot replace or contain the kit itself")
    if kit_r in dest_r.parents:  # --force there would replace a folder of the kit (source/)
        raise PublishError(f"{dest}: inside the kit; publish next to it, e.g. "
                           "../lstm-lab-student")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest}: exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise PublishError(f"{dest}: not empty; choose a new folder or pass --force to "
                           "replace its contents")
    if git and (dest / ".git").exists():
        raise PublishError(f"{dest}: already a git repository; publish again without --git "
                           "(--force keeps its history) and commit the changes")


def _git(folder: Path) -> str:
    def git(*args: str) -> str:
        try:
            proc = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                                  timeout=120, check=False)
        except FileNotFoundError:
            raise PublishError("--git needs the git command") from None
        if proc.returncode:
            raise PublishError(f"git {args[0]} failed: {proc.stderr.strip()[:200]}")
        return proc.stdout.strip()

    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    ident = []
    for key, fallback in (("user.name", "LSTM Lab"), ("user.email", "lstm-lab@localhost")):
        probe = subprocess.run(["git", "config", key], cwd=folder, capture_output=True,
                               text=True, check=False)
        if not probe.stdout.strip():
            ident += ["-c", f"{key}={fallback}"]
    git(*ident, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m",
        "LSTM Lab exercises (published with autograde publish)")
    return git("rev-parse", "HEAD")


def publish(kit: Path, dest: Path, *, hide_tests: bool = False, git: bool = False,
            force: bool = False) -> Published:
    """Write the student template of ``kit`` to ``dest`` (see the package docstring).

    The template is written to a new folder next to ``dest`` and moved into place at the end,
    so an error leaves ``dest`` as it was. Replacing a folder (``force``) keeps its ``.git``,
    so publishing into a clone of the template repository shows the changes as a diff.
    """
    _check_dest(kit, dest, force, git)
    files, info = template_files(kit, hide_tests)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.publishing-", dir=dest.parent))
    try:
        os.chmod(work, 0o755)
        for rel, data in files.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o644)
        if git:
            info.commit = _git(work)
        old = None
        if dest.exists():
            old = dest.parent / f".{dest.name}.replaced-{work.name.rsplit('-', 1)[-1]}"
            dest.rename(old)
        work.rename(dest)
        if old is not None:
            if (old / ".git").exists():
                (old / ".git").rename(dest / ".git")
            shutil.rmtree(old)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    info.dest = dest
    return info
