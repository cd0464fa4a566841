"""The course file: deadlines, late rules, the roster and extensions, in one TOML file.

::

    [course]
    timezone = "Europe/Berlin"        # default time zone of every date below
    grace_minutes = 10                # a commit this late still counts as on time

    [exercises.ex1_lstm_from_scratch]
    due = 2026-03-01T23:59:00         # local time (a TOML date-time; an offset is honoured)
    penalty_per_day = 0.1             # fraction of the exercise's points lost per late day
    cutoff_days = 3                   # hard cut-off: later commits are not taken (0: none late)
    files = ["my_data.csv"]           # files a student may hand in beside the notebook

    [[students]]
    id = "alice"
    name = "Alice Example"
    fork = "https://github.com/alice/lstm-lab.git"
    ref = "main"                      # optional branch, tag or commit

    [students.extensions]
    ex1_lstm_from_scratch = 2026-03-04T23:59:00   # a new due date for this student

Late days are whole days, rounded up, after ``due`` + grace; the points after the rule are
``points * max(0, 1 - penalty_per_day * late_days)``. A commit after ``due + cutoff_days``
(+ grace) is never taken: collection takes the last commit before it.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_STUDENT_ID = re.compile(r"^[A-Za-z0-9_.@-]+$")
DAY = timedelta(days=1)


class CourseFileError(ValueError):
    """A course file that cannot be used (the message names the file and the key)."""


@dataclass(frozen=True)
class Deadline:
    """One exercise's rule. Times are aware datetimes (UTC inside)."""

    exercise: str
    due: datetime
    grace: timedelta = timedelta(0)
    penalty_per_day: float = 0.0
    cutoff_days: float = 0.0
    files: tuple[str, ...] = ()

    def for_due(self, due: datetime) -> Deadline:
        return Deadline(self.exercise, due, self.grace, self.penalty_per_day,
                        self.cutoff_days, self.files)

    @property
    def on_time_until(self) -> datetime:
        return self.due + self.grace

    @property
    def cutoff(self) -> datetime:
        """The last moment a commit is taken at all."""
        return self.due + self.grace + self.cutoff_days * DAY

    def late_days(self, when: datetime) -> int:
        """Whole days (rounded up) after due + grace; 0 when on time."""
        over = (when - self.on_time_until).total_seconds()
        return 0 if over <= 0 else math.ceil(over / DAY.total_seconds())

    def factor(self, late_days: int) -> float:
        """What fraction of the points a submission ``late_days`` late keeps."""
        return max(0.0, 1.0 - self.penalty_per_day * late_days)


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    fork: str = ""
    ref: str | None = None
    extensions: dict[str, datetime] = field(default_factory=dict)


@dataclass
class CourseFile:
    path: Path
    timezone: str = "UTC"
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    students: list[Student] = field(default_factory=list)

    def deadline(self, exercise: str, student: str | None = None) -> Deadline | None:
        """The rule for ``exercise``, with ``student``'s extension applied."""
        rule = self.deadlines.get(exercise)
        if rule is None:
            return None
        for s in self.students:
            if s.id == student and exercise in s.extensions:
                return rule.for_due(s.extensions[exercise])
        return rule

    def files(self) -> dict[str, list[str]]:
        return {ex: list(d.files) for ex, d in self.deadlines.items()}


def _zone(name: Any, where: str) -> ZoneInfo:
    if not isinstance(name, str):
        raise CourseFileError(f"{where}: timezone must be a name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseFileError(f"{where}: unknown time zone {name!r}") from None


def _when(value: Any, zone: ZoneInfo, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise CourseFileError(f"{where}: {value!r} is not a date and time") from None
    if not isinstance(value, datetime):
        raise CourseFileError(f"{where}: expected a date and time like 2026-03-01T23:59:00")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _number(table: dict[str, Any], key: str, where: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CourseFileError(f"{where}: {key} must be a number >= 0")
    return float(value)


def load_course_file(path: Path) -> CourseFile:
    """Read and check a course file; :class:`CourseFileError` names what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseFileError(f"course file not found: {path}") from None
    except UnicodeDecodeError:
        raise CourseFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseFileError(f"{path}: not valid TOML ({exc})") from None
    course = data.get("course", {})
    if not isinstance(course, dict):
        raise CourseFileError(f"{path}: [course] must be a table")
    tz_name = course.get("timezone", "UTC")
    zone = _zone(tz_name, f"{path}: [course]")
    grace = timedelta(minutes=_number(course, "grace_minutes", f"{path}: [course]", 0))
    out = CourseFile(Path(path), tz_name)
    exercises = data.get("exercises", {})
    if not isinstance(exercises, dict):
        raise CourseFileError(f"{path}: [exercises.<id>] tables expected")
    for ex, table in exercises.items():
        where = f"{path}: [exercises.{ex}]"
        if not isinstance(table, dict) or "due" not in table:
            raise CourseFileError(f"{where}: needs a due date")
        ex_zone = _zone(table["timezone"], where) if "timezone" in table else zone
        files = table.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise CourseFileError(f"{where}: files must be a list of paths")
        out.deadlines[ex] = Deadline(
            ex, _when(table["due"], ex_zone, f"{where} due"),
            timedelta(minutes=_number(table, "grace_minutes", where,
                                      grace.total_seconds() / 60)),
            _number(table, "penalty_per_day", where, 0.0),
            _number(table, "cutoff_days", where, 0.0), tuple(files))
    seen: set[str] = set()
    students = data.get("students", [])
    if not isinstance(students, list):
        raise CourseFileError(f"{path}: students must be [[students]] entries")
    for n, row in enumerate(students, start=1):
        where = f"{path}: student {n}"
        sid = row.get("id") if isinstance(row, dict) else None
        if not isinstance(sid, str) or not _STUDENT_ID.match(sid):
            raise CourseFileError(f"{where}: invalid id {sid!r} (letters, digits, _.@-)")
        if sid in seen:
            raise CourseFileError(f"{where}: {sid} is listed twice")
        seen.add(sid)
        ext = row.get("extensions", {})
        if not isinstance(ext, dict):
            raise CourseFileError(f"{where}: extensions must be a table")
        extensions = {}
        for ex, value in ext.items():
            if ex not in out.deadlines:
                raise CourseFileError(f"{where}: extension for {ex}, which has no due date")
            extensions[ex] = _when(value, zone, f"{where} extension {ex}")
        ref = row.get("ref")
        out.students.append(Student(sid, str(row.get("name", "")), str(row.get("fork", "")),
                                    str(ref) if ref else None, extensions))
    return out
