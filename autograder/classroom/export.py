"""``autograde export``: the batch's grades as a file an LMS imports.

Formats (one row per student, one grade column per exercise, the points that count: after the
late rule when the batch applied one):

``canvas``
    Canvas's gradebook import: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
    ``Section``, then one column per exercise, and a ``Points Possible`` row under the header
    (the exercise's maximum, as in Canvas's own export). The student id goes in
    ``SIS User ID``, the roster's e-mail in ``SIS Login ID``, the name in ``Student``.
``moodle``
    Moodle's grade import (*Import > CSV file*): an identifier column, ``Email address`` when the
    roster gives every student an e-mail, else ``ID number`` (the student id), then one column
    per exercise; map them to grade items on Moodle's import page.
``csv``
    Everything in one sheet: ``student_id``, ``name``, ``email``, one column per exercise,
    ``total``, ``max_total``, ``late``, ``flags``, ``problems``.

Every text cell passes :func:`autograder.classroom.gradesheet.safe_cell`, so a student id or a
message that starts like a formula stays text in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.classroom.gradesheet import ClassGrades, safe_cell

FORMATS = ("canvas", "moodle", "csv")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"


def _num(x: float) -> str:
    return f"{x:g}"


def canvas_rows(grades: ClassGrades) -> list[list[str]]:
    rows = [[*CANVAS_FIXED, *grades.exercises],
            [CANVAS_POINTS_ROW, "", "", "", "",
             *(_num(grades.max_points[ex]) for ex in grades.exercises)]]
    for s in grades.students:
        p = grades.person(s.student)
        rows.append([safe_cell(p.name or s.student), "", safe_cell(s.student),
                     safe_cell(p.email), safe_cell(p.section),
                     *(_num(s.points[ex]) for ex in grades.exercises)])
    return rows


def moodle_identifier(grades: ClassGrades) -> str:
    """``Email address`` when every student has one on the roster, else ``ID number``."""
    everyone = all(grades.person(s.student).email for s in grades.students)
    return "Email address" if grades.students and everyone else "ID number"


def moodle_rows(grades: ClassGrades) -> list[list[str]]:
    ident = moodle_identifier(grades)
    rows = [[ident, *grades.exercises]]
    for s in grades.students:
        key = grades.person(s.student).email if ident == "Email address" else s.student
        rows.append([safe_cell(key), *(_num(s.points[ex]) for ex in grades.exercises)])
    return rows


def csv_rows(grades: ClassGrades) -> list[list[str]]:
    rows = [["student_id", "name", "email", *grades.exercises, "total", "max_total", "late",
             "flags", "problems"]]
    for s in grades.students:
        p = grades.person(s.student)
        problems = s.problems if s.in_batch else "not in the batch's grades.csv"
        rows.append([safe_cell(s.student), safe_cell(p.name), safe_cell(p.email),
                     *(_num(s.points[ex]) for ex in grades.exercises), _num(s.total),
                     _num(grades.max_total), "yes" if s.late else "no",
                     safe_cell("; ".join(s.flags)), safe_cell(problems)])
    return rows


ROWS = {"canvas": canvas_rows, "moodle": moodle_rows, "csv": csv_rows}


def export_text(grades: ClassGrades, fmt: str) -> str:
    """The file's text in format ``fmt`` (one of :data:`FORMATS`)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(ROWS[fmt](grades))
    return buffer.getvalue()


def write_export(grades: ClassGrades, fmt: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(export_text(grades, fmt), encoding="utf-8", newline="")
    tmp.replace(path)
    return path
