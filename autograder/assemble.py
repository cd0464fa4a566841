"""Build the notebook that is graded, the way ``nbgrader autograde`` does, but with messages.

The student's notebook provides the answer cells (and any extra cells of their own); the
trusted notebook (``source/``, with hidden tests; or ``release/`` when ``source/`` is absent)
provides every locked cell and every test cell. Each repair is reported with the cell it is
about: an edited test cell is restored, a deleted one re-added at its place, a duplicated one
dropped, a renamed or metadata-stripped one recognised by its cell id. The graded notebook has
the trusted cells in their trusted order, the student's extra cells after the cell they
followed, and no outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
STUB = '# YOUR CODE HERE\nraise NotImplementedError("not attempted yet")'


class NotebookError(Exception):
    """A notebook that cannot be graded at all (missing, not JSON, not a notebook)."""


@dataclass(frozen=True)
class CellRole:
    """What one cell of the graded notebook is.

    kind: ``"test"`` (autograded test cell), ``"answer"`` (autograded answer cell),
    ``"written"`` (manually graded answer), ``"locked"`` (read-only setup/text), ``"extra"``
    (a cell of the student's own, or any ungraded cell).
    """

    kind: str
    grade_id: str | None = None
    points: float = 0.0
    #: for test cells: the instructor's full source (hidden tests included)
    trusted_source: str = ""
    #: for answer cells: True when the student changed the release stub
    attempted: bool = True
    #: for extra cells: the answer cell they follow (None: before any)
    after_answer: str | None = None


@dataclass
class Assembled:
    nb: NotebookNode
    roles: list[CellRole]
    repairs: list[str] = field(default_factory=list)
    #: False when only ``release/`` was available (hidden tests run at instructor grading)
    hidden_tests: bool = True

    def test_cells(self) -> list[tuple[int, CellRole]]:
        return [(i, r) for i, r in enumerate(self.roles) if r.kind == "test"]


def load_notebook(path: Path) -> NotebookNode:
    """Read a notebook; NotebookError with a one-line reason if it cannot be read."""
    if not path.is_file():
        raise NotebookError(f"notebook {path.name} not found (expected at {path})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NotebookError(f"{path.name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
            "restore it from git or re-download the exercise"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookError(f"{path.name} is JSON but not a Jupyter notebook (no cell list)")
    try:
        return nbformat.from_dict(_normalise(raw))
    except Exception as exc:  # nbformat raises many types on odd input
        raise NotebookError(f"{path.name} is not a readable notebook: {exc}") from None


def _normalise(raw: dict) -> dict:
    """Coerce the fields the assembler reads into their nbformat types."""
    cells = []
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        metadata = cell.get("metadata")
        cells.append(
            {
                "cell_type": cell.get("cell_type") if cell.get("cell_type") in (
                    "code", "markdown", "raw") else "code",
                "id": cell.get("id") if isinstance(cell.get("id"), str) else "",
                "source": source,
                "metadata": metadata if isinstance(metadata, dict) else {},
            }
        )
    return {"cells": cells, "metadata": raw.get("metadata") if isinstance(
        raw.get("metadata"), dict) else {}, "nbformat": 4, "nbformat_minor": 5}


def nbgrader_meta(cell: NotebookNode) -> dict | None:
    """The cell's nbgrader metadata if it names a grade_id, else None."""
    meta = cell.get("metadata", {}).get("nbgrader")
    if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) and meta["grade_id"]:
        return meta
    return None


def strip_hidden(source: str) -> str:
    """The visible part of a test cell: everything between the hidden markers removed."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            hidden = True
        elif line.strip() == HIDDEN_END:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out).rstrip("\n")


def release_stub(source: str) -> str:
    """What ``nbgrader generate_assignment`` leaves of a solution cell."""
    if SOLUTION_BEGIN not in source:
        return STUB
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == SOLUTION_BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in STUB.splitlines())
        elif line.strip() == SOLUTION_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _kind(meta: dict, cell_type: str) -> str:
    if meta.get("grade") and meta.get("solution"):
        return "written" if cell_type == "markdown" else "answer"
    if meta.get("grade"):
        return "test" if cell_type == "code" else "locked"
    if meta.get("solution"):
        return "answer" if cell_type == "code" else "written"
    return "locked"


def _same(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def _meta_changes(student: dict, trusted: dict) -> list[str]:
    changes = []
    for key in ("grade", "solution", "locked", "points"):
        s, t = student.get(key), trusted.get(key)
        if key == "points" and s is not None and t is not None:
            try:
                if float(s) == float(t):
                    continue
            except (TypeError, ValueError):
                pass
        if s != t and not (key == "points" and s is None and t is None):
            changes.append(f"{key} {s!r} -> {t!r}")
    return changes


def assemble(
    student: NotebookNode,
    trusted: NotebookNode,
    release: NotebookNode | None = None,
    *,
    hidden_tests: bool = True,
) -> Assembled:
    """Merge ``student`` with the ``trusted`` notebook (see the module docstring).

    ``release`` (optional) is the unanswered notebook the student started from; it tells
    which answer cells are untouched stubs and what a test cell looked like to the student.
    """
    tcells: dict[str, NotebookNode] = {}
    order: list[str] = []
    by_id: dict[str, str] = {}
    for cell in trusted.cells:
        meta = nbgrader_meta(cell)
        if meta is None or meta["grade_id"] in tcells:
            continue
        gid = meta["grade_id"]
        tcells[gid] = cell
        order.append(gid)
        if cell.get("id"):
            by_id[cell["id"]] = gid
    released: dict[str, str] = {}
    if release is not None:
        for cell in release.cells:
            meta = nbgrader_meta(cell)
            if meta is not None and meta["grade_id"] in tcells:
                released.setdefault(meta["grade_id"], cell.source)
                if cell.get("id"):
                    by_id.setdefault(cell["id"], meta["grade_id"])

    repairs: list[str] = []
    matched: dict[str, NotebookNode] = {}
    anchored: dict[str | None, list[NotebookNode]] = {}
    last: str | None = None
    for pos, cell in enumerate(student.cells, start=1):
        meta = nbgrader_meta(cell)
        gid = meta["grade_id"] if meta is not None and meta["grade_id"] in tcells else None
        if gid is None and cell.get("id") in by_id:
            gid = by_id[cell["id"]]
            tkind = _kind(tcells[gid].metadata["nbgrader"], tcells[gid].cell_type)
            if meta is not None:
                repairs.append(
                    f"cell {meta['grade_id']!r} (cell {pos}) is the {tkind} cell {gid!r} renamed: "
                    f"graded as {gid!r}"
                )
            else:
                repairs.append(
                    f"cell {pos} is the {tkind} cell {gid!r} with its nbgrader metadata "
                    "removed: graded as that cell"
                )
        elif gid is None and meta is not None:
            repairs.append(
                f"cell {pos} claims grade_id {meta['grade_id']!r}, which is not part of this "
                "exercise: it runs as an ordinary cell and earns no points"
            )
        if gid is not None and gid in matched:
            tkind = _kind(tcells[gid].metadata["nbgrader"], tcells[gid].cell_type)
            if tkind in ("answer", "written"):
                repairs.append(
                    f"answer cell {gid!r} appears twice: the copy at cell {pos} runs as an "
                    "ordinary cell"
                )
                gid = None
            else:
                repairs.append(f"{tkind} cell {gid!r} appears twice: the copy at cell {pos} "
                               "was dropped")
                continue
        if gid is None:
            anchored.setdefault(last, []).append(cell)
            continue
        matched[gid] = cell
        last = gid

    cells: list[NotebookNode] = []
    roles: list[CellRole] = []
    current_answer: str | None = None

    def add(source: str, cell_type: str, metadata: dict, role: CellRole) -> None:
        if cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=metadata)
        elif cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=metadata)
        new["id"] = f"graded-{len(cells):04d}"
        cells.append(new)
        roles.append(role)

    def add_extras(key: str | None) -> None:
        for extra in anchored.get(key, []):
            meta = dict(extra.get("metadata", {}))
            meta.pop("nbgrader", None)
            add(extra.source, extra.cell_type, meta,
                CellRole("extra", after_answer=current_answer))

    add_extras(None)
    for gid in order:
        tcell = tcells[gid]
        tmeta = dict(tcell.metadata["nbgrader"])
        kind = _kind(tmeta, tcell.cell_type)
        scell = matched.get(gid)
        metadata = {"nbgrader": tmeta}
        if scell is None:
            what = "test" if kind == "test" else kind
            if kind in ("answer", "written"):
                repairs.append(f"{what} cell {gid!r} was deleted: it was re-added empty "
                               "(unanswered)")
            else:
                repairs.append(f"{what} cell {gid!r} was deleted: it was re-added from the "
                               "exercise")
        else:
            smeta = nbgrader_meta(scell)
            if smeta is not None and smeta.get("grade_id") == gid:
                changed = _meta_changes(smeta, tmeta)
                if changed:
                    repairs.append(f"nbgrader metadata of cell {gid!r} was changed; restored "
                                   f"({', '.join(changed)})")
        if kind in ("answer", "written"):
            # with only release/ to trust, its answer cells are the stubs themselves
            stub = released.get(gid) or (release_stub(tcell.source)
                                         if SOLUTION_BEGIN in tcell.source else tcell.source)
            source = scell.source if scell is not None else stub
            attempted = not _same(source, stub)
            current_answer = gid if kind == "answer" else current_answer
            add(source, tcell.cell_type, metadata,
                CellRole(kind, gid, float(tmeta.get("points") or 0), attempted=attempted))
        else:
            visible = released.get(gid, strip_hidden(tcell.source))
            if scell is not None and not _same(scell.source, visible) and not _same(
                    scell.source, tcell.source):
                repairs.append(f"{'test' if kind == 'test' else 'read-only'} cell {gid!r} was "
                               "edited: the original was restored for grading")
            add(tcell.source, tcell.cell_type, metadata,
                CellRole(kind, gid, float(tmeta.get("points") or 0),
                         trusted_source=tcell.source if kind == "test" else ""))
        add_extras(gid)

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.cells = cells
    return Assembled(nb=nb, roles=roles, repairs=repairs, hidden_tests=hidden_tests)

