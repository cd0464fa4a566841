"""`autograde report`: the class report page, from a synthetic batch output (tests/class_data.py;
expected numbers worked out by hand from the table in ``make_class``). The page in a real
browser: test_classroom_e2e.py."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from class_data import EX1, EX2, HOSTILE_ID, SCRIPT, add_late_columns, make_class

from autograder.classroom.gradesheet import load_class, load_roster
from autograder.classroom.report_class import class_report_html, class_results, named_bug
from autograder.cli import main


def _run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _text(page: str) -> str:
    """The page's visible text, roughly (tags dropped, entities kept)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    make_class(folder)
    return folder


def test_named_bug_is_read_from_hints_and_messages() -> None:
    assert named_bug("likely bug: gates swapped") == "gates swapped"
    assert named_bug("h differs (likely bug: [x, h] order (not [h, x]))") == \
        "[x, h] order (not [h, x])"
    assert named_bug("h differs from the reference") == ""
    assert named_bug("") == ""


def test_pass_rates_and_most_common_bug_per_check(out: Path) -> None:
    grades = load_class(out)
    checks = {(c.exercise, c.grade_id): c for c in class_results(out, grades).checks}
    # submitted ex1: ada, ben, cy, dee, HOSTILE (zed missing); ex2: ada, ben, dee, HOSTILE
    sig, step, gates = checks[(EX1, "test_sigmoid")], checks[(EX1, "test_step")], \
        checks[(EX2, "test_gates")]
    assert (sig.passed, sig.attempted) == (4, 5)
    assert (step.passed, step.attempted) == (2, 5)
    assert (gates.passed, gates.attempted) == (3, 4)  # the crashed one failed
    assert step.bugs.most_common() == [("input and forget gates swapped", 2),
                                       ("[x, h] instead of [h, x] " + SCRIPT, 1)]
    assert not sig.bugs and sig.messages.most_common() == [(SCRIPT + " wrong", 1)]


def test_page_sections_numbers_and_missing_students(out: Path, tmp_path: Path) -> None:
    add_late_columns(out, {"ada": {EX1: (2.0, 3.2)}}, {"dee": "commit date before the fork"})
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada L\nzed,Zed Z\nyan,Yan Y\n", encoding="utf-8")
    grades = load_class(out, load_roster(roster))
    page = class_report_html(out, grades, "LSTM Lab 2026")
    text = _text(page)
    assert "<title>LSTM Lab 2026</title>" in page
    # 7 students (6 in the batch + yan from the roster); 5 handed something in
    assert "students 7 submitted 5 not submitted 2" in text
    assert "median total after the late rule 3/6" in text  # 5.2, 3, 1, 3, 3
    assert "late 1 flagged 1 notebooks that could not be graded 1" in text
    assert f"{EX1} 4 5 1 1.8 0 0" in text  # ex1 after the rule: 3.2, 1, 1, 1, 3
    assert f"{EX2} 2 4 2 1.5 3 1" in text
    assert "test_step 3 2/5 40% input and forget gates swapped (2×)" in text
    assert "ada (Ada L) yes ex1_lstm_from_scratch: 2 d 6 5.2" in text
    assert "dee no 3 3 commit date before the fork" in text
    assert "2 student(s) handed in no notebook at all: yan (Yan Y) zed (Zed Z)" in text
    assert f"exercise students {EX2} cy" in text
    assert "No roster was given" not in text


def test_figures_are_embedded_pngs_and_nothing_is_fetched(out: Path) -> None:
    import matplotlib.image

    page = class_report_html(out, load_class(out))
    sources = re.findall(r"<img [^>]*src=\"([^\"]+)\"", page)
    assert len(sources) == 2
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        pixels = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])),
                                         format="png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 300
    assert not re.search(r"(src|href)=\"?(https?:|//)", page)
    assert "default-src 'none'" in page


def test_student_text_is_escaped(out: Path) -> None:
    page = class_report_html(out, load_class(out))
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "onerror=window" not in page.replace("onerror=window.__pwned=1&gt;", "")
    assert "&lt;img src=x onerror=window.__pwned=1&gt;" in page  # the id, as text
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in page  # messages and hints
    assert HOSTILE_ID not in page and SCRIPT not in page


def test_empty_class_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "batch"
    make_class(out)
    code, stdout, _ = _run("report", "--batch", str(out), capsys=capsys)
    assert code == 0 and f"report: 6 students, 2 exercises: {out / 'class-report.html'}" in stdout
    assert (out / "class-report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    empty = tmp_path / "empty"
    (empty / "students").mkdir(parents=True)
    (empty / "grades.csv").write_text("student_id,commit,total,max_total,problems\n",
                                      encoding="utf-8")
    code, stdout, _ = _run("report", "--batch", str(empty), "--out", str(tmp_path / "r.html"),
                           capsys=capsys)
    assert code == 0
    assert "No graded submissions yet" in (tmp_path / "r.html").read_text(encoding="utf-8")
    code, _, err = _run("report", "--batch", str(tmp_path / "nope"), capsys=capsys)
    assert code == 2 and err.startswith("autograde report: ") and err.count("\n") == 1
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nnew\n", encoding="utf-8")
    code, stdout, _ = _run("report", "--batch", str(out), "--roster", str(roster),
                           capsys=capsys)
    assert code == 0 and "1 roster student(s) have no row in grades.csv and are listed as not " \
        "submitted (new)" in stdout
    code, stdout, _ = _run("report", "--help", capsys=capsys)
    assert code == 0 and "offline" in stdout
