"""`autograde export`: Canvas, Moodle and plain CSV files from a batch's output.

The batch output is synthetic but written by the batch's own functions (tests/class_data.py);
every expected number below is worked out by hand from the table in ``make_class``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from class_data import EX1, EX2, HOSTILE_ID, SCRIPT, add_late_columns, make_class

from autograder.classroom.export import export_text
from autograder.classroom.gradesheet import (
    FORMULA_START,
    ClassDataError,
    load_class,
    load_roster,
    safe_cell,
)
from autograder.cli import main


def _run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    make_class(folder)
    return folder


def _roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_file_has_canvas_columns_and_the_plain_points(
        out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "canvas.csv"
    code, stdout, _ = _run("export", "--format", "canvas", "--batch", str(out), "--out",
                           str(target), capsys=capsys)
    assert code == 0 and "points (no late rule applied)" in stdout
    rows = _rows(target)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", EX1, EX2]
    assert rows[1] == ["    Points Possible", "", "", "", "", "4", "2"]
    by_id = {r[2]: r for r in rows[2:]}
    assert {k: v[5:] for k, v in by_id.items()} == {
        "ada": ["4", "2"], "ben": ["1", "2"], "cy": ["1", "0"], "dee": ["1", "2"],
        HOSTILE_ID: ["3", "0"], "zed": ["0", "0"]}
    assert by_id["ada"][:5] == ["ada", "", "ada", "", ""]  # no roster: the id stands for a name


def test_late_rule_points_are_exported_when_the_batch_has_them(
        out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_late_columns(out, {"ada": {EX1: (2.0, 3.2)}, "ben": {EX2: (1.0, 1.5)}},
                     {"dee": "commit date disagrees with push time"})
    for fmt in ("canvas", "moodle", "csv"):
        target = tmp_path / f"{fmt}.csv"
        code, stdout, _ = _run("export", "--format", fmt, "--batch", str(out), "--out",
                               str(target), capsys=capsys)
        assert code == 0 and "points after the late rule" in stdout
    canvas = {r[2]: r[5:] for r in _rows(tmp_path / "canvas.csv")[2:]}
    assert canvas["ada"] == ["3.2", "2"] and canvas["ben"] == ["1", "1.5"]
    assert canvas["cy"] == ["1", "0"]  # not late: unchanged
    moodle = {r[0]: r[1:] for r in _rows(tmp_path / "moodle.csv")[1:]}
    assert moodle["ada"] == ["3.2", "2"]
    sheet = _rows(tmp_path / "csv.csv")
    assert sheet[0] == ["student_id", "name", "email", EX1, EX2, "total", "max_total", "late",
                        "flags", "problems"]
    table = {r[0]: dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]}
    assert (table["ada"]["total"], table["ada"]["late"]) == ("5.2", "yes")
    assert (table["ben"]["total"], table["ben"]["late"]) == ("2.5", "yes")
    assert (table["dee"]["total"], table["dee"]["late"]) == ("3", "no")
    assert table["dee"]["flags"] == "commit date disagrees with push time"
    assert table["cy"]["problems"].startswith(f"{EX2}: no notebook")


def test_roster_gives_names_emails_and_missing_students(
        out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = _roster(tmp_path, "id,name,email,section\nada,\"Lovelace, Ada\",ada@uni.edu,A\n"
                               "ben,Ben Bo,ben@uni.edu,B\nnew,New Student,new@uni.edu,A\n")
    code, stdout, _ = _run("export", "--format", "canvas", "--batch", str(out), "--roster",
                           str(roster), capsys=capsys)
    assert code == 0
    assert "1 roster student(s) have no row in grades.csv and count as 0 points (new)" in stdout
    rows = {r[2]: r for r in _rows(out / "export-canvas.csv")[2:]}
    assert rows["ada"] == ["Lovelace, Ada", "", "ada", "ada@uni.edu", "A", "4", "2"]
    assert rows["new"] == ["New Student", "", "new", "new@uni.edu", "A", "0", "0"]
    assert rows["cy"][:5] == ["cy", "", "cy", "", ""]
    # Moodle: not every student has an e-mail, so the id number identifies them
    _run("export", "--format", "moodle", "--batch", str(out), "--roster", str(roster),
         capsys=capsys)
    assert _rows(out / "export-moodle.csv")[0] == ["ID number", EX1, EX2]


def test_moodle_uses_email_when_everyone_has_one(tmp_path: Path) -> None:
    out = tmp_path / "batch"
    make_class(out)
    people = ["ada", "ben", "cy", "dee", HOSTILE_ID, "zed"]
    lines = "".join(f"\"{p}\",{p},{k}@uni.edu\n" for k, p in enumerate(people))
    grades = load_class(out, load_roster(_roster(tmp_path, "student_id,name,email\n" + lines)))
    rows = list(csv.reader(io.StringIO(export_text(grades, "moodle"))))
    assert rows[0] == ["Email address", EX1, EX2]
    assert rows[1:] == [["4@uni.edu", "3", "0"], ["0@uni.edu", "4", "2"],
                        ["1@uni.edu", "1", "2"], ["2@uni.edu", "1", "0"],
                        ["3@uni.edu", "1", "2"], ["5@uni.edu", "0", "0"]]


FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def test_no_student_text_is_a_formula_in_any_format(tmp_path: Path) -> None:
    out = tmp_path / "batch"
    make_class(out)
    add_late_columns(out, {}, {"ada": FORMULAS[0], "ben": FORMULAS[3] + ";" + FORMULAS[2]})
    path = out / "grades.csv"  # problems (a grader message may quote a student) as formulas
    rows = _rows(path)
    for row, text in zip(rows[1:], FORMULAS, strict=False):
        row[rows[0].index("problems")] = text
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["id", "name", "email"]] + [
        [s, f, f] for s, f in zip(["ada", "ben", "cy", "dee", "zed", "=evil()"], FORMULAS,
                                  strict=True)])
    grades = load_class(out, load_roster(_roster(tmp_path, buffer.getvalue())))
    seen = set()
    for fmt in ("canvas", "moodle", "csv"):
        for row in csv.reader(io.StringIO(export_text(grades, fmt))):
            for cell in row:
                assert not cell.startswith(FORMULA_START), (fmt, cell)
                seen.add(cell)
    for text in FORMULAS:
        assert "'" + text in seen, text
    assert "'=evil()" in seen  # a roster-only student id
    assert "'@SUM(A1); -2+3" in seen  # the flags, joined
    assert safe_cell("ada") == "ada" and safe_cell("") == ""


def test_hostile_markup_in_a_csv_is_kept_as_text(out: Path) -> None:
    grades = load_class(out)
    text = export_text(grades, "csv")
    assert HOSTILE_ID in text and SCRIPT in text  # text, unchanged (a CSV is not HTML)


def test_usage_errors_are_one_line_exit_2(out: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad_roster = _roster(tmp_path, "name,email\nAda,a@x\n")
    dup_roster = tmp_path / "dup.csv"
    dup_roster.write_text("id,name\nada,A\nada,B\n", encoding="utf-8")
    not_batch = tmp_path / "empty"
    not_batch.mkdir()
    cases = [
        (["--format", "canvas", "--batch", str(tmp_path / "nope")], "no such folder"),
        (["--format", "canvas", "--batch", str(not_batch)], "run 'autograde batch' first"),
        (["--format", "excel", "--batch", str(out)], "invalid choice"),
        (["--batch", str(out)], "--format"),
        (["--format", "csv", "--batch", str(out), "--roster", str(bad_roster)], "'id' column"),
        (["--format", "csv", "--batch", str(out), "--roster", str(dup_roster)], "listed twice"),
        (["--format", "csv", "--batch", str(out), "--roster", str(tmp_path / "none.csv")],
         "cannot read"),
        (["--format", "csv", "--batch", str(out), "--out", str(tmp_path)], "is a folder"),
    ]
    for argv, expected in cases:
        code, _, err = _run("export", *argv, capsys=capsys)
        assert code == 2, argv
        assert err.startswith("autograde export: ") and err.count("\n") == 1, err
        assert expected in err, (argv, err)
    (out / "grades.csv").write_text("name,score\nx,1\n", encoding="utf-8")
    code, _, err = _run("export", "--format", "csv", "--batch", str(out), capsys=capsys)
    assert code == 2 and "not a grades.csv" in err
    code, stdout, _ = _run("export", "--help", capsys=capsys)
    assert code == 0 and "SIS User ID" in stdout and "Email address" in stdout


def test_a_broken_number_in_grades_csv_is_reported(out: Path) -> None:
    path = out / "grades.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",6,6,", ",six,6,", 1),
                    encoding="utf-8")
    with pytest.raises(ClassDataError, match="'six' is not a number"):
        load_class(out)


def test_a_grades_csv_written_with_apostrophes_and_no_deadlines(tmp_path: Path) -> None:
    """The batch may already neutralise its text cells and carry the late columns empty (no
    deadline known): ids map back to their records, the apostrophe is not doubled, and the
    plain points count."""
    from class_data import cells, store

    out = tmp_path / "batch"
    make_class(out)
    store(out, "-dash", EX1, cells(EX1, {"test_sigmoid": ("wrong", "")}))
    store(out, "-dash", EX2, cells(EX2))
    from autograder import batch

    batch.write_grades_csv(out, None, [EX1, EX2])
    add_late_columns(out, {}, {"-dash": "=flag one; second"})
    rows = _rows(out / "grades.csv")
    head = rows[0]
    for row in rows[1:]:
        for ex in (EX1, EX2):
            row[head.index(f"{ex}_late_days")] = ""
        if row[0] in ("-dash", "'-dash"):  # the batch may have written it safe already
            row[0], row[head.index("flags")] = "'-dash", "'=flag one; second"
    with (out / "grades.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    grades = load_class(out)
    assert not grades.late_rule
    dash = next(s for s in grades.students if s.student == "-dash")
    assert dash.points == {EX1: 3.0, EX2: 2.0} and dash.flags == ["=flag one", "second"]
    sheet = {r[0]: r for r in csv.reader(io.StringIO(export_text(grades, "csv")))}
    assert sheet["'-dash"][3:9] == ["3", "2", "5", "6", "no", "'=flag one; second"]
    from autograder.classroom.report_class import class_results, submitted

    assert submitted(class_results(out, grades), "-dash", EX1)


def test_roster_from_a_course_file(tmp_path: Path) -> None:
    path = tmp_path / "course.toml"
    path.write_text('[course]\ntimezone = "UTC"\n\n[[students]]\nid = "ada"\nname = "Ada L"\n'
                    'fork = "https://example.org/ada.git"\n\n[[students]]\nid = "ben"\n'
                    'email = "ben@uni.edu"\n', encoding="utf-8")
    people = load_roster(path)
    assert [(p.id, p.name, p.email) for p in people.values()] == [
        ("ada", "Ada L", ""), ("ben", "", "ben@uni.edu")]
    path.write_text("[course]\n", encoding="utf-8")
    with pytest.raises(ClassDataError, match=r"no \[\[students\]\]"):
        load_roster(path)
    path.write_text("[[students]\n", encoding="utf-8")
    with pytest.raises(ClassDataError, match="cannot read"):
        load_roster(path)
