"""``nbgrader autograde`` with the kit's trusted grading: a preprocessor that takes the place
of nbgrader's ``Execute``.

nbgrader's own ``Execute`` runs student code and tests in one unsandboxed kernel and believes
whatever the kernel says. :class:`SandboxedExecute` runs the notebook the way ``autograde``
does — in the sandbox, with the grader's chosen inputs (seeds from the course secret, the
same as ``autograde batch`` for the same submission) — recomputes every test cell's verdict
outside the kernel, and writes the verdict into the cell: a passing test cell gets one line on
stdout, a failing one an error whose text is the kit's message (never a traceback with hidden
test lines). nbgrader's ``SaveAutoGrades`` then records those verdicts, and everything after
it (late penalties, formgrader, manual grading, feedback, export) works unchanged.

Where no sandbox can be made the preprocessor stops the notebook with a message naming the
fix, unless ``c.SandboxedExecute.allow_unsandboxed = True``; then every graded notebook says
it was graded unsandboxed.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float

from autograder import judge
from autograder.assemble import Assembled, CellRole
from autograder.limits import Limits, from_env
from autograder.plan import kernel_inputs, make_plan
from autograder.runner import execute_async, use_sandbox
from autograder.sandbox.library import notebook_names
from autograder.seeds import file_digest, load_secret

UNSANDBOXED_NOTE = ("**Graded unsandboxed.** This notebook ran without the grading sandbox "
                    "(the instructor allowed it in nbgrader_config.py): its code had the "
                    "grader's own powers.")


class SandboxRequiredError(RuntimeError):
    """No sandbox here and the instructor did not allow grading without one."""


def _roles(nb: NotebookNode, released: dict[str, str] | None = None) -> list[CellRole]:
    """What each cell is, from its (restored, trusted) nbgrader metadata; an answer cell is
    attempted when it differs from the released stub (``released``: grade_id -> source)."""
    roles = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        gid = meta.get("grade_id")
        if meta.get("grade") and meta.get("solution"):
            roles.append(CellRole("written", gid, float(meta.get("points") or 0)))
        elif meta.get("grade") and cell.cell_type == "code":
            roles.append(CellRole("test", gid, float(meta.get("points") or 0),
                                  trusted_source=cell.source))
        elif meta.get("solution"):
            stub = (released or {}).get(str(gid))
            attempted = (cell.source.strip() != stub.strip() if stub is not None
                         else not _is_stub(cell.source))
            roles.append(CellRole("answer", gid, attempted=attempted))
        elif meta.get("locked"):
            roles.append(CellRole("locked", gid))
        else:
            roles.append(CellRole("extra", None))
    return roles


def _is_stub(source: str) -> bool:
    """Whether an answer cell still holds the release stub (``# YOUR CODE HERE`` + raise)."""
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()]
    return len(lines) <= 2 and bool(lines) and lines[-1].startswith(
        "raise NotImplementedError") and all(
        line.startswith(("# YOUR CODE HERE", "raise NotImplementedError")) for line in lines)


def _run(coro: Any) -> Any:
    """Run a coroutine to completion, also when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def verdict_outputs(passed: bool, message: str, hint: str = "") -> list[NotebookNode]:
    """A test cell's outputs carrying the kit's verdict, as nbgrader reads them."""
    if passed:
        return [nbformat.v4.new_output("stream", name="stdout", text="passed\n")]
    text = message or "failed"
    lines = [text] + ([hint] if hint else [])
    return [nbformat.v4.new_output("error", ename="AssertionError", evalue=text,
                                   traceback=lines)]


class SandboxedExecute(NbGraderPreprocessor):
    """Executes a submission in the kit's sandbox and writes the kit's verdicts."""

    allow_unsandboxed = Bool(
        False, help="Grade even where no sandbox can be made (each notebook then says so). "
                    "Student code would run with the grader's powers.").tag(config=True)
    timeout = Float(60.0, help="Seconds one cell may run.").tag(config=True)
    notebook_timeout = Float(180.0, help="Seconds one notebook may run.").tag(config=True)

    def _limits(self) -> Limits:
        return from_env(Limits(cell_timeout=self.timeout,
                               notebook_timeout=self.notebook_timeout, jobs=1))

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any],
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        limits = self._limits()
        sandboxed, problem = use_sandbox(limits)
        if not sandboxed and not self.allow_unsandboxed:
            raise SandboxRequiredError(
                f"no grading sandbox can be made here: {problem}. Fix that, or set "
                "c.SandboxedExecute.allow_unsandboxed = True in nbgrader_config.py to grade "
                "without one (only for trusted submissions)")
        limits = limits.with_overrides(sandbox="require" if sandboxed else "off")
        info = resources.get("nbgrader", {})
        student, assignment = str(info.get("student", "")), str(info.get("assignment", ""))
        notebook_id = str(info.get("notebook", ""))
        coursedir = CourseDirectory(config=self.config)
        root = Path(coursedir.root)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student,
                                               assignment))
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        trusted = [c.source for c in nb.cells
                   if c.cell_type == "code" and _roles_kind(c) in ("test", "locked")]
        modules = judge.check_modules(trusted, judge.check_packages())
        errors = judge.load_check_modules(modules)
        if errors:
            raise RuntimeError(errors[0])
        release_nb = Path(coursedir.format_path(coursedir.release_directory, ".", assignment)
                          ) / f"{notebook_id}.ipynb"
        released = None
        if release_nb.is_file():
            released = {str((c.metadata.get("nbgrader") or {}).get("grade_id")): c.source
                        for c in nbformat.read(release_nb, as_version=4).cells}
        roles = _roles(nb, released)
        assembled = Assembled(nb, roles)
        planned = make_plan([(r.grade_id or "", r.trusted_source) for _, r in
                             assembled.test_cells()], modules, load_secret(root), student,
                            notebook_id, file_digest(submitted / f"{notebook_id}.ipynb"))
        source_nb = source / f"{notebook_id}.ipynb"
        names = frozenset()
        if source_nb.is_file():
            src = nbformat.read(source_nb, as_version=4)
            names = notebook_names(c.source for c in src.cells if c.cell_type == "code")
        folder = submitted if submitted.is_dir() else Path(resources.get("metadata", {}).get(
            "path", "."))
        execution = _run(execute_async(nb, folder, limits, kernel_inputs(planned),
                                       notebook_id, names))
        allowed = any(getattr(__import__(m, fromlist=["_"]), "REFERENCE_ALLOWED", False)
                      for m in modules)
        budget = judge.JudgeBudget(limits.judge_seconds, limits.probe_records)
        results, notes = judge.judge_execution(assembled, execution, limits.cell_timeout,
                                               allowed, planned, budget)
        if not any(r.attempted for r in roles if r.kind == "answer"):
            for r in results:  # as `autograde` says it: nothing was written yet
                if not r.passed:
                    r.message, r.hint = judge.NOT_ATTEMPTED, ""
        by_id = {r.grade_id: r for r in results}
        for i, role in assembled.test_cells():
            verdict = by_id.get(role.grade_id or f"cell {i}")
            if verdict is not None:
                nb.cells[i].outputs = verdict_outputs(verdict.passed, verdict.message,
                                                      verdict.hint)
                nb.cells[i].execution_count = None
        for note in notes:
            self.log.warning("%s/%s: %s", student, notebook_id, note)
        if execution.status != "ok":
            self.log.warning("%s/%s: %s", student, notebook_id, execution.message)
        if not execution.sandboxed:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(UNSANDBOXED_NOTE))
            nb.metadata["lstm_lab_unsandboxed"] = True
        return nb, resources


def _roles_kind(cell: NotebookNode) -> str:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    return "locked" if meta.get("locked") else "extra"


def autograde_preprocessors() -> list[type]:
    """nbgrader's default autograde pipeline with :class:`SandboxedExecute` for ``Execute``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [SandboxedExecute if p is Execute else p for p in default]
