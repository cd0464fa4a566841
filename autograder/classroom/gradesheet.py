"""A batch's results as one table: ``grades.csv`` of ``autograde batch``, its records, a roster.

:func:`load_class` reads a batch output folder (see :mod:`autograder.batch`) into
:class:`ClassGrades`. Points per exercise are the points after the late rule when the CSV has
``<exercise>_after_late`` columns, else the plain points (``<exercise>:total``).

The roster (``--roster FILE``) is a CSV with the header ``id,name[,email][,section]``
(``student_id`` is accepted for ``id``, so the roster of ``autograde collect`` works too, without
names), or a course file (``.toml``) whose ``[[students]]`` tables have ``id`` and ``name`` (and
optionally ``email``, ``section``). Every text that goes into a CSV passes :func:`safe_cell`;
cells the batch already wrote that way are read back without the apostrophe.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder import batch

#: a cell starting with one of these is a formula (or a formula in disguise) in a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


class ClassDataError(ValueError):
    """The batch output or the roster cannot be used (the message says why)."""


def safe_cell(text: str) -> str:
    """``text`` made inert in a spreadsheet: a leading ``'`` when it could start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class Person:
    """One roster line."""

    id: str
    name: str = ""
    email: str = ""
    section: str = ""


@dataclass
class StudentGrades:
    """One student's row. ``points[ex]`` is what counts (after the late rule if any)."""

    student: str
    points: dict[str, float] = field(default_factory=dict)
    raw_points: dict[str, float] = field(default_factory=dict)
    late_days: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    raw_total: float = 0.0
    late: bool = False
    flags: list[str] = field(default_factory=list)
    problems: str = ""
    commit: str = ""
    #: False when the student is on the roster but has no row in grades.csv
    in_batch: bool = True


@dataclass
class ClassGrades:
    """The whole class: exercises in the CSV's order, each exercise's maximum, one row each."""

    exercises: list[str]
    max_points: dict[str, float]
    max_total: float
    students: list[StudentGrades]
    roster: dict[str, Person]
    #: whether grades.csv carries the late rule's columns
    late_rule: bool = False

    def person(self, student: str) -> Person:
        return self.roster.get(student, Person(student))


# --------------------------------------------------------------------------- roster


def _toml_roster(path: Path) -> dict[str, Person]:
    """The ``[[students]]`` tables (``id``, ``name``, ``email``, ``section``) of a course file."""
    import tomllib

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ClassDataError(f"roster {path}: cannot read it ({exc})") from None
    students = doc.get("students")
    if not isinstance(students, list) or not all(isinstance(s, dict) for s in students):
        raise ClassDataError(f"roster {path}: no [[students]] tables in the course file")
    people: dict[str, Person] = {}
    for k, s in enumerate(students, start=1):
        ident = str(s.get("id", "")).strip()
        if not ident:
            raise ClassDataError(f"roster {path}: student {k} has no id")
        if ident in people:
            raise ClassDataError(f"roster {path}: student {ident!r} listed twice")
        people[ident] = Person(ident, *(str(s.get(key, "")).strip()
                                        for key in ("name", "email", "section")))
    return people


def load_roster(path: Path) -> dict[str, Person]:
    """{id: Person} from a CSV with a header naming ``id`` (or ``student_id``) and optionally
    ``name``, ``email``, ``section``, or from a course file (``.toml``: its ``[[students]]``);
    ClassDataError if it cannot be read."""
    if path.suffix.lower() == ".toml":
        return _toml_roster(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClassDataError(f"roster {path}: cannot read it ({exc.__class__.__name__})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ClassDataError(f"roster {path}: the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    key = "id" if "id" in header else "student_id" if "student_id" in header else None
    if key is None:
        raise ClassDataError(f"roster {path}: the first line must be a header naming an 'id' "
                             "column (e.g. 'id,name,email')")
    where = {name: header.index(name) for name in (key, "name", "email", "section")
             if name in header}
    people: dict[str, Person] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def get(name: str, row: list[str] = row) -> str:
            i = where.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        ident = get(key)
        if not ident:
            raise ClassDataError(f"roster {path}, line {number}: no student id")
        if ident in people:
            raise ClassDataError(f"roster {path}, line {number}: student {ident!r} listed twice")
        people[ident] = Person(ident, get("name"), get("email"), get("section"))
    return people


# --------------------------------------------------------------------------- grades.csv


def _unquote(text: str) -> str:
    """A grades.csv cell as the student wrote it: the batch may have written it with the
    apostrophe of :func:`safe_cell` (exports add it back)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def _number(text: str, where: str) -> float:
    try:
        return float(text) if text.strip() else 0.0
    except ValueError:
        raise ClassDataError(f"{where}: {text!r} is not a number") from None


def load_class(out: Path, roster: dict[str, Person] | None = None) -> ClassGrades:
    """Read the batch output folder ``out`` (its ``grades.csv`` and per-student records).

    Students on ``roster`` without a row are added with 0 points (``in_batch=False``).
    """
    path = out / batch.GRADES_CSV
    if not path.is_file():
        raise ClassDataError(f"{path} not found: run 'autograde batch' first (or pass the "
                             "batch's output folder)")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
            header = list(rows[0].keys()) if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ClassDataError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    if rows and ("student_id" not in header or "total" not in header):
        raise ClassDataError(f"{path}: not a grades.csv of 'autograde batch' "
                             "(no student_id or total column)")
    exercises = [h[: -len(":total")] for h in header if h.endswith(":total")]
    # the columns may be there without a rule: an empty <exercise>_late_days = no deadline
    late_rule = any((r.get(f"{ex}_late_days") or "").strip() for r in rows for ex in exercises)
    stored = set(batch.stored_students(out))
    for r in rows:
        ident = r["student_id"]
        if ident not in stored and _unquote(ident) != ident:
            r["student_id"] = _unquote(ident)
    ids = [r["student_id"] for r in rows]
    cells = batch.columns(out, ids, exercises or None)
    max_points = {ex: sum(p for _, p in cells.get(ex, [])) for ex in exercises}
    max_total = _number(rows[0].get("max_total", ""), f"{path}, max_total") if rows else 0.0
    if not max_total:
        max_total = sum(max_points.values())
    students = []
    for number, r in enumerate(rows, start=2):
        where = f"{path}, line {number}"
        s = StudentGrades(r["student_id"], commit=r.get("commit") or "",
                          problems=_unquote(r.get("problems") or ""))
        for ex in exercises:
            s.raw_points[ex] = _number(r.get(f"{ex}:total") or "", where)
            after = r.get(f"{ex}_after_late")
            s.points[ex] = _number(after, where) if after else s.raw_points[ex]
            days = r.get(f"{ex}_late_days")
            if days:
                s.late_days[ex] = _number(days, where)
        s.raw_total = _number(r.get("total") or "", where)
        after_total = r.get("total_after_late")
        s.total = _number(after_total, where) if after_total else (
            sum(s.points.values()) if late_rule else s.raw_total)
        s.late = (r.get("late") or "").strip().lower() == "yes"
        s.flags = [f.strip() for f in _unquote(r.get("flags") or "").split(";") if f.strip()]
        students.append(s)
    seen = {s.student for s in students}
    for ident in roster or {}:
        if ident not in seen:
            students.append(StudentGrades(ident, {ex: 0.0 for ex in exercises},
                                          {ex: 0.0 for ex in exercises}, in_batch=False))
    students.sort(key=lambda s: s.student)
    return ClassGrades(exercises, max_points, max_total, students, dict(roster or {}), late_rule)
