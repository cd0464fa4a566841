"""Find hidden tests' source lines in anything a student could see.

Hidden lines are the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` in
a course's ``source/`` notebooks. A line counts as leaked when it appears whole in a text
(after ANSI colours and HTML tags are removed and entities decoded): ``check_x(f)`` is found
in IPython's ``----> 3 check_x(f)``, but not in the visible ``check_x(f, seed=0)``. A hidden
line that is also a visible line of the release notebooks (students see it anyway) is not
searched for.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from pathlib import Path

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TAG = re.compile(r"<[^>]*>")


def _cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        out.append("".join(src) if isinstance(src, list) else src)
    return out


def hidden_lines(course: Path) -> set[str]:
    """Stripped hidden-test lines of every ``source/`` notebook of ``course``, minus lines
    that are visible in its ``release/`` notebooks."""
    hidden: set[str] = set()
    for nb in sorted((course / "source").glob("*/*.ipynb")):
        for source in _cells(nb):
            inside = False
            for line in source.splitlines():
                if line.strip() == BEGIN:
                    inside = True
                elif line.strip() == END:
                    inside = False
                elif inside and line.strip():
                    hidden.add(line.strip())
    visible = {line.strip() for nb in sorted((course / "release").glob("*/*.ipynb"))
               for source in _cells(nb) for line in source.splitlines()}
    return hidden - visible


def plain(text: str) -> str:
    """``text`` with ANSI escapes and HTML tags removed and entities decoded."""
    return html.unescape(_TAG.sub("", _ANSI.sub("", text)))


def _ends(text: str, start: int, line: str) -> bool:
    """The occurrence of ``line`` at ``start`` is not the head of a longer call or name."""
    after = text[start + len(line): start + len(line) + 1]
    return not after or not (after.isalnum() or after in "_,(")


def leaks(text: str, hidden: Iterable[str]) -> list[str]:
    """Hidden lines found in ``text``."""
    flat = plain(text)
    found = []
    for line in sorted(hidden):
        start = flat.find(line)
        while start != -1:
            if _ends(flat, start, line):
                found.append(line)
                break
            start = flat.find(line, start + 1)
    return found


def leaks_in_tree(root: Path, hidden: Iterable[str]) -> dict[str, list[str]]:
    """{relative path: hidden lines} for every file under ``root`` that shows any (binary
    files are read as UTF-8 with replacement)."""
    hidden = list(hidden)
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            hits = leaks(path.read_bytes().decode("utf-8", "replace"), hidden)
            if hits:
                found[str(path.relative_to(root))] = hits
    return found
