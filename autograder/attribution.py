"""Point each failed test cell at its real cause: one failure, one message.

After the verdicts of an executed notebook are known, three things make them easier to act on:

* **the student's line**: when a test cell raised an exception inside the student's code, the
  last frame of the traceback that lies in one of the student's cells (not the grader's frames,
  not the test cell) is named, with its line of code;
* **an earlier cell that failed**: a ``NameError`` in a test cell usually means the cell that
  should have defined the name failed; the message names that cell and its error instead;
* **an earlier function that is wrong**: a check declares which checks' functions it uses
  (``REQUIRES`` in its module, e.g. ``char_loss`` uses ``lstm_forward``); when one of those
  failed in an earlier test cell, the later cell says "fails because `lstm_forward` is wrong;
  fix that first" instead of accusing code that may well be right.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from nbformat.notebooknode import NotebookNode

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: IPython 8's frame header for code run from a cell: "Cell In[7], line 12, in f(x)"
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_NAME_ERROR = re.compile(r"name '([^']+)' is not defined")

#: one line that says what to look at, by exception type (for exceptions in the student's code)
EXCEPTION_HINTS = {
    "ValueError": "compare the shapes of the arrays on that line with the shapes the notebook "
                  "gives (x (D, B), h and C (H, B), W (H, H + D), b (H, 1))",
    "IndexError": "an index is out of range: check the shapes and the loop bounds on that line",
    "KeyError": "a dict key is missing: parameter dicts use the notebook's names (Wf, Wi, WC, "
                "Wo, bf, bi, bC, bo; GRU Wz, Wr, Wh, bz, br, bh; Wy, by)",
    "TypeError": "check the arguments and return values against the docstring of the function",
    "AttributeError": "an object lacks that attribute: check what the function returns",
    "ZeroDivisionError": "a division by zero: guard the case the notebook mentions",
    "RecursionError": "the function calls itself without end",
    "MemoryError": "an array far larger than needed: check the shapes you allocate",
}


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def error_output(cell: NotebookNode) -> dict[str, Any] | None:
    """The first error output of a code cell, if any."""
    for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        if out.get("output_type") == "error":
            return out
    return None


def traceback_text(cell: NotebookNode) -> str:
    """The cell's traceback as plain text ('' without an error)."""
    out = error_output(cell)
    if out is None:
        return ""
    lines = out.get("traceback") or [f"{out.get('ename', '')}: {out.get('evalue', '')}"]
    return strip_ansi("\n".join(str(line) for line in lines))


def describe(role: Any) -> str:
    """How a student recognises a cell: 'your answer cell 'x'' and so on."""
    kind, gid = getattr(role, "kind", ""), getattr(role, "grade_id", None)
    if kind == "answer":
        return f"your answer cell {gid!r}"
    if kind == "extra":  # a cell of the student's own or an ungraded cell of the notebook
        after = getattr(role, "after_answer", None)
        return f"the code cell after answer cell {after!r}" if after else "a code cell"
    if kind == "locked" and gid:
        return f"the read-only cell {gid!r}"
    return "a notebook cell"


def student_frame(nb: NotebookNode, roles: list[Any], cell: NotebookNode
                  ) -> tuple[int, int] | None:
    """(cell index, line) of the innermost frame of ``cell``'s traceback that lies in a cell
    the student wrote (an answer cell or a cell of their own), None if no frame does."""
    text = traceback_text(cell)
    by_count = {c.get("execution_count"): k for k, c in enumerate(nb.cells)
                if c.get("cell_type") == "code" and c.get("execution_count") is not None}
    for count, line in reversed(_CELL_FRAME.findall(text)):
        k = by_count.get(int(count))
        if k is not None and getattr(roles[k], "kind", "") in ("answer", "extra"):
            return k, int(line)
    return None


def student_line(nb: NotebookNode, roles: list[Any], cell: NotebookNode) -> str:
    """'your answer cell 'x', line 9: f = sigmoid(...)' for the innermost frame of ``cell``'s
    traceback that lies in a cell the student wrote ('' if none does)."""
    frame = student_frame(nb, roles, cell)
    if frame is None:
        return ""
    k, n = frame
    source = nb.cells[k].source.splitlines()
    code = source[n - 1].strip() if 0 < n <= len(source) else ""
    return f"{describe(roles[k])}, line {n}" + (f": {code}" if code else "")


_SHAPE_WORDS = ("shape", "dimension", "broadcast", "align", "size")


def exception_hint(cell: NotebookNode) -> str:
    """A one-line hint for the exception a cell raised ('' when none fits)."""
    out = error_output(cell)
    if out is None:
        return ""
    ename, evalue = str(out.get("ename", "")), str(out.get("evalue", ""))
    if ename == "ValueError" and not any(w in evalue for w in _SHAPE_WORDS):
        return ""
    return EXCEPTION_HINTS.get(ename, "")


def requirements(packages: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Every ``REQUIRES`` mapping of the check modules loaded under ``packages``."""
    found: dict[str, tuple[str, ...]] = {}
    prefixes = tuple(packages)
    for name, module in list(sys.modules.items()):
        if not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        declared = getattr(module, "REQUIRES", None)
        if isinstance(declared, Mapping):
            found.update({str(k): tuple(v) for k, v in declared.items()})
    return found


def closure(checks: Iterable[str], requires: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The checks that ``checks`` use, directly or through others (not ``checks`` themselves)."""
    todo, seen = list(checks), set()
    while todo:
        for dep in requires.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def function_name(check: str) -> str:
    """'ex1.lstm_forward' -> 'lstm_forward'."""
    return check.rsplit(".", 1)[-1]
