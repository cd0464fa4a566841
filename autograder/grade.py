"""Find the notebooks to grade and grade them: assemble, execute, judge.

``PATH`` may be a notebook, an exercise folder, a folder of exercise folders (``assignments/``,
``source/``), or a student repository (which has an ``assignments/`` folder). The course root
is the nearest folder at or above ``PATH`` that has ``source/`` or ``release/``: the trusted
notebooks come from there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import hidden_tests, judge
from autograder.assemble import NotebookError, assemble, load_notebook
from autograder.errors import UsageError
from autograder.judge import NOT_ATTEMPTED, ExerciseResult
from autograder.limits import Limits
from autograder.plan import kernel_inputs, make_plan, seeds_by_cell
from autograder.runner import execute_async
from autograder.sandbox.library import notebook_names
from autograder.seeds import file_digest, load_secret

HIDDEN_LATER = "hidden tests were not available here: they run at instructor grading"
UNSANDBOXED = ("graded unsandboxed: the notebook ran with the grader's own powers "
               "(see docs/autograder.md, 'No sandbox')")
#: a student template whose manifest carries every hidden test (``autograde publish``)
HIDDEN_INCLUDED = ("every test cell ran, hidden tests included: the same checks for the same "
                   "points as the instructor's grade (fresh inputs each run)")


@dataclass(frozen=True)
class Target:
    """One exercise to grade: where the student's notebook is and what to trust."""

    exercise: str
    notebook: Path
    trusted: Path | None
    release: Path | None
    hidden_tests: bool
    #: from a template's hidden-test manifest: whole test-cell sources put back into release
    manifest_tests: tuple[tuple[str, str], ...] = ()
    #: test cells whose hidden part the template withheld (run only at instructor grading)
    withheld: tuple[str, ...] = ()
    #: trusted from a student template's release/ and hidden-test manifest
    template: bool = False
    #: who and what is graded: they enter every seed (with the course secret)
    student: str = ""
    submission: str = ""
    #: the course whose secret chooses the inputs (None: no secret, fresh inputs)
    course: Path | None = None


#: nbgrader folders that hold students' work: never a place to find trusted notebooks
SUBMISSION_TREES = ("submitted", "autograded")


def _is_course(folder: Path) -> bool:
    return (folder / "source").is_dir() or (folder / "release").is_dir()


def course_root(path: Path) -> Path | None:
    """Nearest folder at or above ``path`` holding ``source/`` or ``release/``.

    Inside an nbgrader ``submitted/`` (or ``autograded/``) tree the course is the folder that
    holds that tree, whatever the submission itself contains: a student cannot ship their own
    ``source/`` next to their notebook and be graded against it.
    """
    here = path.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if folder.name in SUBMISSION_TREES and _is_course(folder.parent):
            return folder.parent
    for folder in (here, *here.parents):
        if _is_course(folder):
            return folder
    return None


def known_exercises(root: Path) -> list[str]:
    """Exercise ids that have a notebook in ``source/`` or ``release/``."""
    ids = set()
    for sub in ("source", "release"):
        base = root / sub
        if base.is_dir():
            ids.update(d.name for d in base.iterdir() if (d / f"{d.name}.ipynb").is_file())
    return sorted(ids)


def resolve_exercise(name: str, known: list[str]) -> str:
    """An exercise id from its id or its short name ('ex1' for 'ex1_lstm_from_scratch');
    UsageError naming the known ones otherwise."""
    if name in known:
        return name
    matches = [ex for ex in known if ex.split("_", 1)[0] == name]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(f"{ex.split('_', 1)[0]} ({ex})" for ex in known) or "none"
    raise UsageError(f"unknown exercise {name!r}; known: {shown}")


def _target(root: Path, exercise: str, notebook: Path) -> Target:
    source = root / "source" / exercise / f"{exercise}.ipynb"
    release = root / "release" / exercise / f"{exercise}.ipynb"
    if source.is_file():
        return Target(exercise, notebook, source, release if release.is_file() else None, True,
                      course=root)
    try:
        manifest = hidden_tests.load(root)
    except NotebookError as exc:
        raise UsageError(str(exc)) from None
    entry = manifest.get(exercise) if manifest is not None else None
    if entry is not None and release.is_file():  # a student template (autograde publish)
        return Target(exercise, notebook, release, release, not entry.withheld,
                      tuple(sorted(entry.tests.items())), entry.withheld, template=True,
                      course=root)
    return Target(exercise, notebook, release if release.is_file() else None, None, False,
                  course=root)


def find_targets(
    path: Path, exercise: str | None = None, course: Path | None = None
) -> list[Target]:
    """Targets under ``path`` (see the module docstring); UsageError on bad input.

    ``course`` names the course whose notebooks are trusted; by default it is found from ``path``.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_dir() and (path / "assignments").is_dir() and not (
            path / f"{path.name}.ipynb").is_file():
        path = path / "assignments"
    if course is not None and not _is_course(course):
        raise UsageError(f"{course}: not a course (no source/ or release/ folder)")
    root = course.resolve() if course is not None else course_root(path)
    if root is None:
        raise UsageError(f"{path}: no course here (no source/ or release/ folder at or above it)")
    known = known_exercises(root)
    if exercise is not None:
        exercise = resolve_exercise(exercise, known)
    if path.is_file():
        if path.suffix != ".ipynb":
            raise UsageError(f"{path}: not a notebook (.ipynb)")
        ex = path.stem
        if ex not in known:
            raise UsageError(f"{path}: {ex!r} is not an exercise of this course")
        targets = [_target(root, ex, path)]
    elif (path / f"{path.name}.ipynb").exists() or path.name in known:
        targets = [_target(root, path.name, path / f"{path.name}.ipynb")]
    else:
        targets = [_target(root, ex, path / ex / f"{ex}.ipynb") for ex in known]
    if exercise is not None:
        targets = [t for t in targets if t.exercise == exercise]
        if not targets:
            raise UsageError(f"exercise {exercise!r} is not under {path}")
    if not targets:
        raise UsageError(f"{path}: no exercise notebooks found")
    return targets


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


async def grade_target(target: Target, limits: Limits,
                       check_packages: tuple[str, ...] | None = None) -> ExerciseResult:
    """Grade one exercise; never raises for anything the student's notebook does."""
    start = time.monotonic()
    result = ExerciseResult(target.exercise, _shown(target.notebook), "error")
    trusted = None
    try:
        if target.trusted is None:
            raise NotebookError(f"no source or release notebook for {target.exercise}")
        trusted = load_notebook(target.trusted)
        release = load_notebook(target.release) if target.release else None
        if target.manifest_tests:
            trusted = hidden_tests.restore(trusted, dict(target.manifest_tests))
        student = load_notebook(target.notebook)
    except NotebookError as exc:
        result.message = str(exc)
        if trusted is not None:  # every test cell fails, with the reason
            shell = assemble(trusted, trusted, hidden_tests=target.hidden_tests)
            result.tests = [judge.CellResult(r.grade_id or "", r.points, False, str(exc))
                            for _, r in shell.test_cells()]
        result.seconds = time.monotonic() - start
        return result
    assembled = assemble(student, trusted, release, hidden_tests=target.hidden_tests)
    result.assembled, result.repairs = assembled, list(assembled.repairs)
    if target.withheld:
        result.notes.append("hidden tests of " + ", ".join(target.withheld)
                            + " run only at instructor grading")
    elif not target.hidden_tests:
        result.notes.append(HIDDEN_LATER)
    elif target.template:
        result.notes.append(HIDDEN_INCLUDED)
    locked = [c.source for c, r in zip(assembled.nb.cells, assembled.roles, strict=True)
              if r.kind in ("locked", "test")]
    modules = judge.check_modules(locked, check_packages or judge.check_packages())
    errors = judge.load_check_modules(modules)
    if errors:
        result.message = errors[0]
        result.seconds = time.monotonic() - start
        return result
    secret = load_secret(target.course) if target.course is not None else None
    planned = make_plan([(r.grade_id or "", r.trusted_source) for _, r in
                         assembled.test_cells()], modules, secret, target.student,
                        target.exercise, target.submission or file_digest(target.notebook))
    result.seeds = seeds_by_cell(planned)
    inputs = await asyncio.to_thread(kernel_inputs, planned)
    names = notebook_names(c.source for c in trusted.cells if c.cell_type == "code")
    execution = await execute_async(assembled.nb, target.notebook.parent, limits, inputs,
                                    target.exercise, names)
    result.executed, result.kernel_seconds = execution.nb, execution.kernel_seconds
    result.sandboxed, result.limit_hit = execution.sandboxed, execution.limit_hit
    if not execution.sandboxed:
        result.notes.append(UNSANDBOXED)
    if execution.limit_hit == "output" and execution.status == "ok":
        result.notes.append(f"a cell printed more than {limits.cell_output_bytes // 1024} KB: "
                            "it was stopped and the rest of its output dropped")
    allowed = any(getattr(_module(m), "REFERENCE_ALLOWED", False) for m in modules)
    judged = time.monotonic()
    budget = judge.JudgeBudget(limits.judge_seconds, limits.probe_records)
    # in a thread, so another exercise's kernel keeps being served meanwhile
    result.tests, notes = await asyncio.to_thread(
        judge.judge_execution, assembled, execution, limits.cell_timeout, allowed, planned,
        budget)
    result.judge_seconds = time.monotonic() - judged
    result.notes.extend(notes)
    attempted = any(r.attempted for r in assembled.roles if r.kind == "answer")
    failure = result.first_failure()
    if execution.status != "ok":
        result.status, result.message = "failed", execution.message
    elif not attempted and failure is not None:
        result.status, result.message = "not attempted", NOT_ATTEMPTED
    elif failure is not None:
        result.status = "failed"
        result.message = f"{failure.grade_id}: {failure.message}"
    elif not result.tests:
        result.status, result.message = "failed", "no autograded test cells were found"
    else:
        result.status = "passed"
    if not attempted:
        for test in result.tests:
            if not test.passed:
                test.message = NOT_ATTEMPTED
    result.seconds = time.monotonic() - start
    return result


def _module(name: str) -> object:
    import sys

    return sys.modules.get(name)


def schedule(targets: list[Target], expected: dict[str, float] | None) -> list[int]:
    """Indices of ``targets`` in the order to start them: longest expected first (unknown
    ones before all), so the last exercise to start is a short one."""
    expected = expected or {}
    return sorted(range(len(targets)),
                  key=lambda i: -expected.get(targets[i].exercise, float("inf")))


async def grade_all_async(targets: list[Target], limits: Limits,
                          check_packages: tuple[str, ...] | None = None,
                          expected: dict[str, float] | None = None,
                          ) -> list[ExerciseResult]:
    results: list[ExerciseResult | None] = [None] * len(targets)
    queue = list(schedule(targets, expected))

    async def worker() -> None:
        while queue:
            i = queue.pop(0)
            results[i] = await grade_target(targets[i], limits, check_packages)

    await asyncio.gather(*(worker() for _ in range(max(1, min(limits.jobs, len(targets))))))
    return [r for r in results if r is not None]


def grade_all(targets: list[Target], limits: Limits | None = None,
              check_packages: tuple[str, ...] | None = None,
              expected: dict[str, float] | None = None) -> list[ExerciseResult]:
    """Grade every target (up to ``limits.jobs`` at a time), results in target order.

    ``expected`` (exercise -> seconds, e.g. from the previous run's results) only changes the
    order in which exercises start: longest first packs them best onto the workers.
    """
    return asyncio.run(grade_all_async(targets, limits or Limits(), check_packages, expected))


def expected_seconds(results_json: Path) -> dict[str, float]:
    """exercise -> seconds from a previous results JSON ({} if there is none or it is odd)."""
    import json

    try:
        doc = json.loads(results_json.read_text(encoding="utf-8"))
        return {str(e["exercise"]): float(e["seconds"])
                for e in doc["extra_data"]["exercises"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
