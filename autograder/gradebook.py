"""Write the batch grader's scores into nbgrader's gradebook.

After :func:`import_results`, nbgrader sees each graded submission as if ``nbgrader autograde``
had produced it: the student, the submission (with the collection timestamp), one grade per
autograded test cell (``auto_score`` = the kit's verdict, computed outside the student's
kernel), and ``autograded/<student>/<exercise>/<exercise>.ipynb`` (the graded notebook with the
hidden tests removed and the verdicts as the test cells' output). So ``nbgrader
generate_feedback`` and ``nbgrader export`` — and the formgrader, for manually graded written
answers — work on them unchanged. Scores an instructor entered by hand (``manual_score``) and
comments are kept.

The course's ``nbgrader_config.py`` is used as is. The assignment is (re)registered in the
gradebook by running ``generate_assignment`` in a scratch copy of ``source/<exercise>/`` against
the course's database, so ``release/`` is never rewritten.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.batch import GRADED, load_record, stored_students, student_dir


class GradebookError(ValueError):
    """The gradebook could not be written (the message says why)."""


@dataclass
class Imported:
    db_url: str
    students: list[str] = field(default_factory=list)
    submissions: int = 0


def course_config(course: Path, scratch: Path | None = None) -> Any:
    """The course's nbgrader config; with ``scratch``, rooted there but keeping the course's db."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (course / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    if not config.CourseDirectory.get("root"):
        config.CourseDirectory.root = str(course)
    if not config.CourseDirectory.get("db_url"):
        config.CourseDirectory.db_url = "sqlite:///" + str(
            Path(config.CourseDirectory.root) / "gradebook.db")
    if scratch is not None:
        config.CourseDirectory.root = str(scratch)
    config.Application.log_level = "WARNING"
    return config


def nbgrader_api(config: Any) -> Any:
    """An ``NbGraderAPI`` for ``config`` (nbgrader runs ``alembic``: keep our bin/ on PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def register_assignments(course: Path, exercises: list[str]) -> str:
    """Create or refresh ``exercises`` in the course's gradebook; returns its db URL."""
    with tempfile.TemporaryDirectory(prefix="autograde-gradebook-") as tmp:
        scratch = Path(tmp)
        config = course_config(course, scratch)
        for ex in exercises:
            src = course / "source" / ex
            if not (src / f"{ex}.ipynb").is_file():
                raise GradebookError(f"source/{ex}/{ex}.ipynb not found: the gradebook needs "
                                     "the instructor notebook")
            shutil.copytree(src, scratch / "source" / ex)
        api = nbgrader_api(config)
        for ex in exercises:
            result = api.generate_assignment(ex, force=True, create=True)
            if not result.get("success"):
                log = (result.get("error") or result.get("log") or "").strip().splitlines()
                raise GradebookError(f"nbgrader generate_assignment {ex} failed: "
                                     f"{log[-1] if log else 'no log'}")
        return str(config.CourseDirectory.db_url)


def _timestamp(course: Path, student: str, exercise: str) -> str | None:
    path = course / "submitted" / student / exercise / "timestamp.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def import_results(course: Path, out: Path, students: list[str] | None = None,
                   exercises: list[str] | None = None) -> Imported:
    """Put the graded records of ``out`` (a batch output folder) into the course gradebook.

    Records in state ``graded`` with a graded notebook are imported. A submission that is
    already in the gradebook but whose latest record could not be graded (missing, unreadable,
    crashed) gets 0 on its test cells, is flagged for manual grading, and loses its stale
    ``autograded/`` notebook. Returns what was written.
    """
    from nbgrader.api import Gradebook, MissingEntry

    students = stored_students(out) if students is None else students
    todo: list[tuple[str, str, dict[str, Any], Path]] = []
    ungraded: list[tuple[str, str]] = []
    for student in students:
        folder = student_dir(out, student)
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            rec = load_record(path)
            if rec is None or path.name == "results.json":
                continue
            ex = rec["exercise"]
            nb_path = folder / "graded" / f"{ex}.ipynb"
            if exercises is not None and ex not in exercises:
                continue
            if rec["state"] == GRADED and nb_path.is_file():
                todo.append((student, ex, rec, nb_path))
            else:
                ungraded.append((student, ex))
    needed = sorted({ex for _, ex, _, _ in todo})
    db_url = register_assignments(course, needed) if needed else str(
        course_config(course).CourseDirectory.db_url)
    done = Imported(db_url)
    autograded = course / str(course_config(course).CourseDirectory.get(
        "autograded_directory", "autograded"))
    if ungraded and (todo or Path(db_url.removeprefix("sqlite:///")).is_file()):
        _flag_ungraded(db_url, ungraded, autograded)
    if not todo:
        return done
    with Gradebook(db_url) as gb:
        for student, ex, rec, nb_path in todo:
            gb.update_or_create_student(student)
            stamp = _timestamp(course, student, ex)
            try:
                submission = gb.find_submission(ex, student)
                if stamp:  # a re-collected submission: nbgrader shows the new time
                    from nbgrader import utils

                    submission.timestamp = utils.parse_utc(stamp)
            except MissingEntry:
                with warnings.catch_warnings():  # nbgrader's own SQLAlchemy autoflush noise
                    warnings.simplefilter("ignore")
                    gb.add_submission(ex, student, **({"timestamp": stamp} if stamp else {}))
            verdicts = {t["grade_id"]: float(t["points"])
                        for t in rec["results"]["extra_data"]["exercises"][0]["tests"]}
            notebook = gb.find_submission_notebook(ex, ex, student)
            for grade in notebook.grades:
                if grade.name in verdicts:
                    grade.auto_score = verdicts[grade.name]
                    grade.needs_manual_grade = False
                elif grade.auto_score is None and grade.manual_score is None:
                    grade.needs_manual_grade = True  # a written answer: the formgrader's job
            gb.db.commit()
            target = autograded / student / ex
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(nb_path, target / f"{ex}.ipynb")
            if stamp:
                (target / "timestamp.txt").write_text(stamp + "\n", encoding="utf-8")
            done.submissions += 1
            if student not in done.students:
                done.students.append(student)
    return done


def _flag_ungraded(db_url: str, pairs: list[tuple[str, str]], autograded: Path) -> None:
    from nbgrader.api import Gradebook, GradeCell, MissingEntry

    with Gradebook(db_url) as gb:
        for student, ex in pairs:
            try:
                notebook = gb.find_submission_notebook(ex, ex, student)
            except MissingEntry:
                continue
            for grade in notebook.grades:
                if isinstance(grade.cell, GradeCell) and grade.cell.cell_type == "code":
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = True
            gb.db.commit()
            stale = autograded / student / ex
            if stale.is_dir():
                shutil.rmtree(stale)


def gradebook_scores(db_url: str, exercise: str, student: str) -> dict[str, float | None]:
    """{grade_id: score} of one submission as nbgrader reports it (manual score wins)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(exercise, exercise, student)
        return {g.name: (None if g.score is None else float(g.score)) for g in nb.grades}

