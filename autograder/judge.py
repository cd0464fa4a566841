"""Turn an executed notebook into verdicts, trusting nothing that ran in the kernel.

A test cell passes only if it ran without error AND every ``check_*`` call in its trusted
source (found with :mod:`ast`) produced a probe record in that cell's outputs that passes when
judged again here, in the grader's own process (:func:`autograder.checks.base.judge_record`).
Records in other cells are ignored. Student-written cells that use ``lstm_reference`` or
``autograder`` are flagged: the tests after them cannot count.
"""

from __future__ import annotations

import ast
import importlib
import io
import os
import re
import time
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nbformat.notebooknode import NotebookNode

from autograder import attribution, diagnose
from autograder.assemble import Assembled
from autograder.plan import PlannedCall
from autograder.probe import ProbeFormatError, ProbeRecord, parse_record, records_from_outputs
from autograder.runner import SKIPPED_KEY, TIMEOUT_ENAME, Execution

NOT_ATTEMPTED = "not attempted yet"
FORBIDDEN = ("lstm_reference", "autograder")
DEFAULT_CHECK_PACKAGES = ("autograder.checks",)
#: comma-separated extra packages whose modules may define checks (e.g. a test course's)
CHECK_PACKAGES_ENV = "AUTOGRADE_CHECK_PACKAGES"


def check_packages() -> tuple[str, ...]:
    """Packages whose modules, when a trusted cell imports them, are loaded to judge records."""
    extra = [p.strip() for p in os.environ.get(CHECK_PACKAGES_ENV, "").split(",") if p.strip()]
    return tuple(dict.fromkeys([*DEFAULT_CHECK_PACKAGES, *extra]))


@dataclass
class CellResult:
    """The verdict on one autograded test cell."""

    grade_id: str
    max_points: float
    passed: bool
    message: str = ""
    #: the likely bug, when a failing check's outputs match a known-bug variant
    hint: str = ""
    #: number of probe records that were judged here
    records: int = 0
    #: where an exception came from in the student's own cells ("your answer cell 'x', line 9:
    #: code"), when the cell failed with one
    where: str = ""

    @property
    def points(self) -> float:
        return self.max_points if self.passed else 0.0


@dataclass
class ExerciseResult:
    """Everything the reports need about one exercise."""

    exercise: str
    notebook: str
    status: str  # "passed", "failed", "not attempted", "error"
    message: str = ""
    seconds: float = 0.0
    #: of ``seconds``, the time the kernel spent running cells (the rest is the grader's)
    kernel_seconds: float = 0.0
    #: of ``seconds``, the time spent re-judging the probe records in the grader
    judge_seconds: float = 0.0
    tests: list[CellResult] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: grade_id -> the seeds of its check calls (chosen by the grader)
    seeds: dict[str, list[int]] = field(default_factory=dict)
    #: whether the kernel ran in the sandbox
    sandboxed: bool = False
    #: the limit that stopped the notebook ("time", "output", ...), if any
    limit_hit: str = ""
    #: the executed, graded notebook (hidden tests included: never shown as is)
    executed: NotebookNode | None = None
    assembled: Assembled | None = None

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def first_failure(self) -> CellResult | None:
        return next((t for t in self.tests if not t.passed), None)


# --------------------------------------------------------------------------- trusted source


def check_calls(source: str) -> list[str]:
    """Names of the ``check_*`` functions called in a (trusted) test cell, in order."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return re.findall(r"\b(check_\w+)\s*\(", source)
    calls: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name.startswith("check_"):
                calls.append((node.lineno, node.col_offset, name))
    return [name for _, _, name in sorted(calls)]


def _strip_magics(source: str) -> str:
    """IPython syntax made parseable: ``%time f()`` -> ``f()``; cell magics and shell dropped."""
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%%", "!")):
            out.append("")
        elif stripped.startswith("%"):
            parts = stripped.split(None, 1)
            out.append(indent + (parts[1] if len(parts) > 1 else ""))
        else:
            out.append(line)
    return "\n".join(out)


def check_modules(sources: Iterable[str], packages: tuple[str, ...]) -> list[str]:
    """Modules under ``packages`` that trusted cells import (they define the checks)."""
    found: list[str] = []
    for source in sources:
        try:
            tree = ast.parse(_strip_magics(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if any(name == p or name.startswith(p + ".") for p in packages):
                    found.append(name)
    return list(dict.fromkeys(found))


def load_check_modules(names: Iterable[str]) -> list[str]:
    """Import the check modules in the grader process; returns error messages."""
    errors = []
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not "X.y is a function"
                errors.append(f"the grader could not import {name}: {exc}")
        except Exception as exc:
            errors.append(f"the grader could not import {name}: {exc}")
    return errors


def check_names(call: str) -> set[str]:
    """Registry names a ``check_*`` function may report under.

    Check modules register ``"<module>.<name>"`` for ``check_<name>`` (e.g. ``ex1.sigmoid``
    for ``check_sigmoid``); a bare ``"<name>"`` is accepted too.
    """
    from autograder.checks.base import REGISTRY

    base = call[len("check_"):] if call.startswith("check_") else call
    return {name for name in REGISTRY if name == base or name.endswith("." + base)} or {base}


# --------------------------------------------------------------------------- student source


def _docstring_lines(source: str) -> set[int]:
    """Lines of the docstrings in ``source`` (prose: naming a module there is harmless)."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return lines


def uses_forbidden(source: str, forbidden: tuple[str, ...] = FORBIDDEN) -> str | None:
    """The forbidden module a student cell names (as code or in a string, not in a docstring
    or a comment), else None."""
    words = set()
    prose = _docstring_lines(source)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                words.add(tok.string)
            elif tok.type == tokenize.STRING and tok.start[0] not in prose:
                words.update(re.findall(r"[A-Za-z_]\w*", tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        text = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
        words.update(re.findall(r"[A-Za-z_]\w*", text))
    return next((name for name in forbidden if name in words), None)


# --------------------------------------------------------------------------- verdicts


def _error(cell: NotebookNode) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename", "")), str(out.get("evalue", ""))
    return None


class JudgeBudget:
    """The grader's own work on one notebook is bounded: records judged and seconds spent."""

    def __init__(self, seconds: float, records: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.records = records
        self.seconds = seconds

    def take(self) -> str | None:
        """None if one more record may be judged, else why not."""
        if time.monotonic() > self.deadline:
            return (f"the grader's {self.seconds:g} s for judging this notebook ran out: "
                    "check calls must return promptly")
        if self.records <= 0:
            return "too many check records in this notebook: the rest were not judged"
        self.records -= 1
        return None


def _note_verdict(result: CellResult, failures: list[str], record: ProbeRecord,
                  verdict: Any) -> None:
    """Record a failed verdict, and the likely bug behind the first one (unless the verdict's
    own message already names it)."""
    if verdict.ok:
        return
    failures.append(verdict.message or f"{record.check} failed")
    if not result.hint:
        hint = diagnose.likely_bug(record) or ""
        result.hint = "" if hint and hint[len("likely bug: "):] in verdict.message else hint


def _judge_planned(raws: list[Any], planned: list[PlannedCall], result: CellResult,
                   budget: JudgeBudget) -> tuple[list[str], list[PlannedCall]]:
    """Judge the records of one cell against the grader's plan: (failures, calls unanswered)."""
    from autograder.checks.base import judge_outputs

    by_id = {c.call: c for c in planned}
    answered: set[str] = set()
    failures: list[str] = []
    for raw in raws[: len(planned) + 8]:
        call = by_id.get(raw.get("call")) if isinstance(raw, dict) else None
        if call is None:
            failures.append("a check record that the grader did not ask for (its inputs were "
                            "not the grader's): only the test cell's own checks count")
            continue
        if raw.get("check") != call.check or raw.get("seed") != call.seed:
            failures.append(f"the record of {call.check} is for other inputs than the "
                            "grader chose; it does not count")
            continue
        if call.call in answered:
            failures.append(f"{call.check} reported twice for one call")
            continue
        answered.add(call.call)
        stop = budget.take()
        if stop:
            failures.append(stop)
            break
        try:
            record = parse_record(raw)
        except ProbeFormatError as exc:
            failures.append(f"a check's record could not be read ({exc})")
            continue
        result.records += 1
        judged = ProbeRecord(call.check, call.seed, record.outputs)
        _note_verdict(result, failures, judged, judge_outputs(call.check, call.seed,
                                                              record.outputs))
    if len(raws) > len(planned) + 8:
        failures.append("too many check records in this cell")
    return failures, [c for c in planned if c.call not in answered]


def judge_test_cell(cell: NotebookNode, trusted_source: str, cell_timeout: float,
                    planned: list[PlannedCall] | None = None,
                    budget: JudgeBudget | None = None) -> CellResult:
    """Verdict for one executed test cell (grade_id and points filled in by the caller).

    With ``planned`` (the grader's calls for this cell) a record counts only for the call it
    names, with the seed the grader chose; without it (tests of old records) records are
    judged with their own seeds.
    """
    from autograder.checks.base import judge_record

    result = CellResult(grade_id="", max_points=0.0, passed=False)
    skipped = cell.get("metadata", {}).get(SKIPPED_KEY)
    if skipped:
        result.message = str(skipped)
        return result
    raws = records_from_outputs(cell.get("outputs", []))
    failures: list[str] = []
    missing: list[str] = []
    if planned is not None:
        failures, unanswered = _judge_planned(raws, planned, result,
                                              budget or JudgeBudget(60.0, 1000))
        missing = [c.check for c in unanswered]
    else:
        expected = [check_names(c) for c in check_calls(trusted_source)]
        allowed = set().union(*expected) if expected else set()
        seen: list[str] = []
        for raw in raws:
            try:
                record = parse_record(raw)
            except ProbeFormatError as exc:
                failures.append(f"a check's record could not be read ({exc})")
                continue
            result.records += 1
            if record.check not in allowed:
                failures.append(f"unexpected record for check {record.check!r} in this cell")
                continue
            seen.append(record.check)
            _note_verdict(result, failures, record, judge_record(record))
        for names in expected:  # each call site consumes one record of its check
            match = next((k for k, name in enumerate(seen) if name in names), None)
            if match is None:
                missing.append(sorted(names)[0])
            else:
                seen.pop(match)
    error = _error(cell)
    if error is not None:
        ename, evalue = error
        if ename == "NotImplementedError":
            result.message = NOT_ATTEMPTED
        elif failures:
            result.message = failures[0]
        elif ename in (TIMEOUT_ENAME, "KeyboardInterrupt"):
            result.message = f"timed out: the cell took longer than {cell_timeout:g} s"
        elif ename == "AssertionError" and evalue:
            result.message = evalue
        else:
            result.message = f"{ename}: {evalue}" if evalue else ename
        return result
    if failures:
        result.message = failures[0]
        return result
    if missing:
        result.message = (f"check {missing[0]!r} reported no result: the test cell did not "
                          "run its checks normally")
        return result
    result.passed = True
    return result


def judge_execution(assembled: Assembled, execution: Execution, cell_timeout: float,
                    forbidden_allowed: bool = False, plan: list[PlannedCall] | None = None,
                    budget: JudgeBudget | None = None,
                    ) -> tuple[list[CellResult], list[str]]:
    """Verdicts for every test cell, and notes (flagged cells) for the report.

    ``plan`` is the grader's plan of check calls (:mod:`autograder.plan`); every record is
    judged against it.
    """
    notes: list[str] = []
    flagged_at: int | None = None
    flag = ""
    if not forbidden_allowed:
        for i, role in enumerate(assembled.roles):
            cell = assembled.nb.cells[i]
            if role.kind in ("answer", "extra") and cell.cell_type == "code":
                name = uses_forbidden(cell.source)
                if name is not None:
                    where = (f"answer cell {role.grade_id!r}" if role.kind == "answer"
                             else f"a cell of your own (after {role.after_answer!r})")
                    flag = (f"{where} uses `{name}`: implement it yourself; tests after it "
                            "do not count")
                    notes.append(flag)
                    flagged_at = i
                    break
    for i, role in enumerate(assembled.roles):
        error = _error(execution.nb.cells[i]) if role.kind == "locked" else None
        if error is not None:
            notes.append(f"read-only cell {role.grade_id!r} failed ({error[0]}: {error[1]}): "
                         "the tests after it cannot work")
    tests = []
    for i, role in assembled.test_cells():
        planned = None if plan is None else [c for c in plan if c.cell == role.grade_id]
        result = judge_test_cell(execution.nb.cells[i], role.trusted_source, cell_timeout,
                                 planned, budget)
        result.grade_id, result.max_points = role.grade_id or f"cell {i}", role.points
        if flagged_at is not None and i > flagged_at and result.passed:
            result.passed = False
            result.message = flag
        tests.append(result)
    attribute_failures(assembled, execution.nb, tests, skip=(flag,) if flag else ())
    return tests, notes


def attribute_failures(assembled: Assembled, nb: NotebookNode, tests: list[CellResult],
                       skip: tuple[str, ...] = ()) -> None:
    """Point failed test cells at their cause (see :mod:`autograder.attribution`), in place:
    the student's line of an exception, an earlier cell that failed to define a name, an
    earlier function that is wrong. Messages in ``skip`` are left alone."""
    requires = attribution.requirements(check_packages())
    cells = assembled.test_cells()
    checks_of = [set().union(*[check_names(c) for c in check_calls(role.trusted_source)])
                 for _, role in cells]
    for n, ((i, _role), result) in enumerate(zip(cells, tests, strict=True)):
        if result.passed or result.message in skip:
            continue
        cell = nb.cells[i]
        error = _error(cell)
        if error is not None and error[0] == "NotImplementedError":
            # a stub is not a bug to locate, but say whose stub it is (maybe a function used)
            frame = attribution.student_frame(nb, assembled.roles, cell)
            if frame is not None and assembled.roles[frame[0]].kind == "answer":
                result.message = (f"{NOT_ATTEMPTED}: "
                                  f"{attribution.describe(assembled.roles[frame[0]])} is "
                                  "still to be written")
            continue
        result.where = attribution.student_line(nb, assembled.roles, cell)
        if result.where and not result.hint:
            result.hint = attribution.exception_hint(cell)
        if error is not None and error[0] == "NameError":
            _explain_name_error(assembled, nb, i, result, error[1])
            continue
        used = attribution.closure(checks_of[n], requires)
        for m in range(n):
            if tests[m].passed or not (checks_of[m] & used):
                continue
            name = attribution.function_name(sorted(checks_of[m] & used)[0])
            todo = (("not written yet", "write")
                    if tests[m].message.startswith(NOT_ATTEMPTED) else ("wrong", "fix"))
            result.message = (f"fails because `{name}` is {todo[0]} (see {tests[m].grade_id}); "
                              f"{todo[1]} that first")
            result.hint, result.where = "", ""
            break


def _explain_name_error(assembled: Assembled, nb: NotebookNode, index: int,
                        result: CellResult, evalue: str) -> None:
    """A test cell's NameError: name the earlier cell that failed to define the name."""
    found = re.search(r"name '([^']+)' is not defined", evalue)
    name = found.group(1) if found else "a name"
    for k in range(index - 1, -1, -1):
        role = assembled.roles[k]
        error = _error(nb.cells[k])
        if role.kind == "test" or error is None or error[0] == "NameError":
            continue  # an earlier NameError is a knock-on too: look for its cause
        where = attribution.describe(role)
        if error[0] == "NotImplementedError":
            frame = attribution.student_frame(nb, assembled.roles, nb.cells[k])
            stub = (attribution.describe(assembled.roles[frame[0]]) if frame is not None
                    and assembled.roles[frame[0]].kind == "answer" else where)
            result.message = (f"{NOT_ATTEMPTED}: {stub} is still to be written (this test "
                              f"needs `{name}`, which {where} defines)")
        else:
            result.message = (f"fails because {where} raised {error[0]}: {error[1]}; fix that "
                              f"first (this test needs `{name}`, which that cell defines)")
            result.where = attribution.student_line(nb, assembled.roles, nb.cells[k])
            result.hint = attribution.exception_hint(nb.cells[k])
        return
    result.message = (f"`{name}` is not defined: no cell defines it any more; keep the names "
                      "the notebook gives to functions and variables")
