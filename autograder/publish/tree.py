"""Which files of the kit's two packages the student template needs.

The template ships the grading path of :mod:`autograder` (the ``autograde`` command, the sandboxed
runner, the judge, every check) and the modules of :mod:`lstm_reference` that the exercise
notebooks and the checks import, found by following imports from those roots. The instructor's
commands (collect, batch, gradebook, publish) are left out: a student has no use for them.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

PACKAGES = ("autograder", "lstm_reference")
#: the roots of the grading path (a package root means every module in it: checks are loaded
#: by name)
GRADER_ROOTS = ("autograder", "autograder.cli", "autograder.grade", "autograder.runner",
                "autograder.kernel_launcher", "autograder.hidden_tests", "autograder.checks",
                "lstm_reference")
#: instructor-only modules (and their sub-modules): never shipped, never followed
INSTRUCTOR_ONLY = ("autograder.instructor", "autograder.collect", "autograder.batch",
                   "autograder.gradebook", "autograder.publish", "autograder.classroom")

_MODULE_NAME = re.compile(r"^(?:{})(?:\.[A-Za-z_]\w*)*$".format("|".join(PACKAGES)))
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}


def _instructor_only(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in INSTRUCTOR_ONLY)


def module_file(kit: Path, name: str) -> Path | None:
    """The file of module ``name`` in the kit (a package's ``__init__.py``), or None."""
    base = kit.joinpath(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _package_of(path: Path, name: str) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imported_names(tree: ast.AST, package: str = "") -> set[str]:
    """Module names this code may import: import statements anywhere (also inside functions),
    relative imports resolved against ``package``, and string constants that are exactly a
    module name of the kit (``python -m autograder.kernel_launcher``, check packages)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                _MODULE_NAME.match(node.value)):
            names.add(node.value)
    return {n for n in names if n.split(".")[0] in PACKAGES}


def notebook_imports(path: Path) -> set[str]:
    """Kit modules imported by the code cells of a notebook (cells that do not parse are read
    line by line)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            names |= imported_names(ast.parse(source))
        except SyntaxError:
            for line in source.splitlines():
                try:
                    names |= imported_names(ast.parse(line.strip()))
                except SyntaxError:
                    continue
    return names


def package_data(kit: Path) -> dict[str, list[str]]:
    """The kit's ``[tool.setuptools.package-data]`` for the shipped packages, without globs
    under instructor-only modules (e.g. ``publish/template/*``)."""
    try:
        data = tomllib.loads((kit / "pyproject.toml").read_text(encoding="utf-8"))
        declared = data["tool"]["setuptools"]["package-data"]
    except (OSError, ValueError, KeyError):
        return {}
    out: dict[str, list[str]] = {}
    for package, globs in sorted(declared.items()):
        if package not in PACKAGES:
            continue
        kept = [g for g in globs if not _instructor_only(
            ".".join([package, *Path(g).parent.parts]) if Path(g).parent.parts else package)]
        if kept:
            out[package] = kept
    return out


def closure(kit: Path, roots: set[str]) -> list[Path]:
    """Every kit file needed by ``roots`` (module names), relative to ``kit``, sorted; with
    the package data of the packages shipped."""
    files: set[Path] = set()
    seen: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in seen or _instructor_only(name):
            continue
        seen.add(name)
        path = module_file(kit, name)
        if path is None:
            continue  # an attribute imported from a module, or not part of the kit
        parts = name.split(".")
        for i in range(1, len(parts)):  # the parent packages
            todo.append(".".join(parts[:i]))
        files.add(path)
        if path.name == "__init__.py" and name in GRADER_ROOTS and name != parts[0]:
            for sub in sorted(path.parent.glob("*.py")):  # a root package: all its modules
                todo.append(f"{name}.{sub.stem}" if sub.stem != "__init__" else name)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        todo.extend(imported_names(tree, _package_of(path, name)))
    for package, globs in package_data(kit).items():
        if any(f.parts[0] == package for f in (p.relative_to(kit) for p in files)):
            for pattern in globs:
                files.update(p for p in (kit / package).glob(pattern) if p.is_file())
    return sorted(p.relative_to(kit) for p in files if not _SKIP_DIRS & set(p.parts))


def template_modules(kit: Path, notebooks: list[Path]) -> list[Path]:
    """The package files the template ships: the grading path plus what the notebooks import."""
    roots = set(GRADER_ROOTS)
    for nb in notebooks:
        roots |= notebook_imports(nb)
    return closure(kit, roots)
