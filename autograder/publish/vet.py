"""What may go into a student template: hidden tests that reveal nothing, no solution text.

A hidden test may ship only when it is a call of a registered check whose inputs are drawn at
grading (``checks.check_lstm_forward(lstm_forward)``): each statement of the hidden block calls a
``check_*`` function of an ``autograder.checks`` module, with only the notebook's own names
(or tuples and lists of them) as arguments, and no keyword (a ``seed=`` would fix the inputs).
Anything else, e.g. a literal expected value, is refused with the cell named.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass

from autograder.assemble import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END

CHECKS_PACKAGE = "autograder.checks"


@dataclass(frozen=True)
class TestCell:
    """A test cell of a source notebook."""

    exercise: str
    grade_id: str
    source: str
    points: float

    @property
    def hidden(self) -> str:
        """The code between the hidden-test markers ('' when there is none)."""
        return "\n".join(hidden_lines(self.source))

    @property
    def where(self) -> str:
        return f"{self.exercise}/{self.grade_id}"


def hidden_lines(source: str) -> list[str]:
    """The lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            inside = True
        elif line.strip() == HIDDEN_END:
            inside = False
        elif inside:
            out.append(line)
    return out


def solution_lines(source: str, whole_cell: bool) -> list[str]:
    """The lines of a solution: between the solution markers, or the whole cell when it is a
    solution cell without markers (``whole_cell``)."""
    if SOLUTION_BEGIN not in source:
        return source.splitlines() if whole_cell else []
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == SOLUTION_BEGIN:
            inside = True
        elif line.strip() == SOLUTION_END:
            inside = False
        elif inside:
            out.append(line)
    return out


def check_aliases(code_cells: list[str]) -> dict[str, str]:
    """Names bound to check modules or check functions by the notebook's imports.

    ``{"checks": "autograder.checks.ex1", "check_sigmoid": "autograder.checks.ex1:check_sigmoid"}``
    """
    aliases: dict[str, str] = {}
    for source in code_cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for a in node.names:
                    bound = a.asname or a.name
                    if node.module == CHECKS_PACKAGE:
                        aliases[bound] = f"{CHECKS_PACKAGE}.{a.name}"
                    elif node.module.startswith(CHECKS_PACKAGE + "."):
                        aliases[bound] = f"{node.module}:{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith(CHECKS_PACKAGE + ".") and a.asname:
                        aliases[a.asname] = a.name
    return aliases


def _is_registered(module: str, function: str) -> bool:
    if not function.startswith("check_"):
        return False
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return False
    return callable(getattr(mod, function, None))


def _plain_names(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Tuple | ast.List):
        return all(_plain_names(e) for e in node.elts)
    return False


def _target(func: ast.expr, aliases: dict[str, str]) -> tuple[str, str] | None:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module = aliases.get(func.value.id)
        if module is not None and ":" not in module:
            return module, func.attr
    if isinstance(func, ast.Name) and ":" in aliases.get(func.id, ""):
        module, _, name = aliases[func.id].partition(":")
        return module, name
    return None


def unsafe_reason(hidden: str, aliases: dict[str, str]) -> str | None:
    """Why this hidden test may not ship (None when it is only calls of registered checks)."""
    try:
        tree = ast.parse(hidden)
    except SyntaxError as exc:
        return f"its hidden tests are not valid Python (line {exc.lineno})"
    for stmt in tree.body:
        line = ast.get_source_segment(hidden, stmt) or ""
        line = " ".join(line.split())[:60]
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return f"hidden line {line!r} is not a call of a registered check"
        call = stmt.value
        target = _target(call.func, aliases)
        if target is None or not _is_registered(*target):
            return f"hidden line {line!r} does not call a registered check of {CHECKS_PACKAGE}"
        if call.keywords:
            return f"hidden line {line!r} passes a keyword (inputs must be drawn at grading)"
        if not all(_plain_names(a) for a in call.args):
            return (f"hidden line {line!r} passes something other than the notebook's names "
                    "(e.g. a literal value)")
    return None
