"""What a person should look at, and what makes a submission ungradable before it runs.

* :func:`precheck_notebook` — a submitted notebook that is not a regular file, too large, not
  UTF-8, not JSON, not a notebook, without cells, or holding text that is not valid Unicode
  gets a one-line reason and 0 points instead of a kernel.
* :func:`repair_flags`, :func:`limit_flags` — short flags from a graded exercise: locked or
  test cells edited, deleted, duplicated or renamed (the grader restored them), and a notebook
  that needed a limit (time, memory, output) to stop.
* :func:`collected_info` — what ``autograde collect`` recorded: refused files, lateness,
  commit dates that disagree with push times.
* :func:`csv_cell` — text made inert in a spreadsheet.

Flags never change points; they ask for a look.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

MB = 1024 * 1024
#: a submitted notebook larger than this is not read at all
MAX_NOTEBOOK_BYTES = 20 * MB


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def _bad_unicode(value: Any) -> str | None:
    """The first string (or key) in a JSON document that cannot be written as UTF-8."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"\\u{ord(item[exc.start]):04x}"
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return None


def precheck_notebook(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str | None:
    """Why the notebook at ``path`` cannot be graded, or None if it can be tried."""
    name = path.name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "no notebook was submitted"
    except OSError as exc:
        return f"{name} cannot be read ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return f"{name} is not a regular file (a link, pipe or device is never read)"
    if info.st_size > max_bytes:
        return (f"{name} is {_mb(info.st_size)}, over the {_mb(max_bytes)} limit "
                "(clear the outputs and submit again)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"{name} cannot be read ({exc.strerror})"
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        return f"{name} is over the {_mb(max_bytes)} limit"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name} is not UTF-8 text (bad byte at offset {exc.start})"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return (f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}): restore "
                "it from git or re-download the exercise")
    except RecursionError:
        return f"{name} is nested too deeply to be a notebook"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return f"{name} is JSON but not a Jupyter notebook (no cell list)"
    if not raw["cells"]:
        return f"{name} has no cells (an empty notebook)"
    bad = _bad_unicode(raw)
    if bad is not None:
        return f"{name} holds text that is not valid Unicode (a lone surrogate {bad})"
    return None


#: words of the assembler's repair messages that concern locked or test cells
_REPAIR_WORDS = ("test cell", "read-only cell", "locked cell", "nbgrader metadata",
                 "appears twice", "renamed", "metadata removed", "claims grade_id")


def repair_flags(exercise: str, repairs: list[str]) -> list[str]:
    """Flags from the assembler's repairs: which locked or test cell was edited, deleted,
    duplicated or renamed (the text up to the first colon: what happened, not the remedy)."""
    out = []
    for text in repairs:
        if any(word in text for word in _REPAIR_WORDS) or "was deleted" in text:
            out.append(f"{exercise}: {text.split(':', 1)[0].strip()}")
    return out


def limit_flags(exercise: str, result: Any) -> list[str]:
    """Flags for an executed exercise (:class:`autograder.judge.ExerciseResult`) that a limit
    stopped: a cell timed out, the notebook ran out of time, the kernel died (memory), or
    output was cut."""
    from autograder.runner import SKIPPED_KEY, TIMEOUT_ENAME

    nb = getattr(result, "executed", None)
    found: list[str] = []
    for cell in nb.cells if nb is not None else []:
        skipped = cell.get("metadata", {}).get(SKIPPED_KEY)
        if skipped and not str(skipped).startswith("did not run"):
            found.append(str(skipped).split(":")[0])
        for out in cell.get("outputs", []):
            ename = out.get("ename")
            if ename in (TIMEOUT_ENAME, "KeyboardInterrupt"):
                found.append("a cell hit the time limit")
            elif ename == "MemoryError":
                found.append("a cell hit the memory limit")
            elif out.get("output_type") == "stream":
                text = str(out.get("text", ""))
                if "output truncated" in text or "record was dropped" in text:
                    found.append("output was cut at the output limit")
    return [f"{exercise}: limit: {text}" for text in dict.fromkeys(found)]


def collected_info(folder: Path) -> dict[str, Any]:
    """What collection recorded for one ``submitted/<student>/<exercise>/`` folder, plus the
    student-level record: {"refused", "flags", "late_days", "factor", "time", "due",
    "problem"} (absent keys: nothing known)."""
    info: dict[str, Any] = {}
    for path in (folder / "SUBMISSION.json", folder.parent / "COLLECT.json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict):
            continue
        if path.name == "COLLECT.json":
            if doc.get("status") in ("missing", "malformed") and doc.get("message"):
                info.setdefault("problem", f"collect: {doc['message']}")
            continue
        for key in ("refused", "flags", "late_days", "factor", "time", "due", "problem",
                    "commit_date", "pushed_at"):
            if doc.get(key) not in (None, [], ""):
                info[key] = doc[key]
    return info


def refused_flags(exercise: str, refused: list[dict[str, str]]) -> list[str]:
    return [f"{exercise}: refused {r.get('path', '?')} ({r.get('reason', '?')})"
            for r in refused]


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet (or a terminal showing the file) takes as plain text:
    whitespace runs collapsed, other control characters (terminal escapes) written as
    ``\\xNN``, and a leading ``= + - @`` neutralised with an apostrophe."""
    text = str(text)
    if any(c in text for c in "\r\n\t"):
        text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                       for c in text)
    return "'" + text if text.startswith(_FORMULA) else text
