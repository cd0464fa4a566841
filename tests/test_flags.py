"""Cheap checks of the class-scale guards: notebook pre-checks, collection refusals, flags,
CSV cells, the similarity report, and the nbgrader feedback preprocessor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from messy_class import NEAR_COPY, REFERENCE_COPY, STEP, huge_notebook

from autograder import similarity
from autograder.collect import Caps, collect_from_clones, shown_name
from autograder.flags import csv_cell, precheck_notebook, repair_flags
from autograder.nbgrader_feedback import HideTestTracebacks

MB = 1024 * 1024


def _nb_text(cells: list | None = None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells if cells is not None else [nbformat.v4.new_code_cell("x = 1")]
    return nbformat.writes(nb)


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "is not valid JSON (line 1, column 2)"),
    (b"\xff\xfe{}", "is not UTF-8 text (bad byte at offset 0)"),
    ('{"cells": 3}', "JSON but not a Jupyter notebook"),
    ("[1, 2]", "JSON but not a Jupyter notebook"),
    (_nb_text([]), "has no cells"),
    (_nb_text().replace("x = 1", "x = '\\ud800'"), "not valid Unicode (a lone surrogate \\ud800)"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_precheck_gives_one_line_reasons(tmp_path: Path, content: str | bytes,
                                         reason: str) -> None:
    path = tmp_path / "ex.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    got = precheck_notebook(path)
    assert got is not None and reason in got and "\n" not in got


def test_precheck_refuses_links_pipes_and_huge_files_without_reading_them(
        tmp_path: Path) -> None:
    good = tmp_path / "good.ipynb"
    good.write_text(_nb_text(), encoding="utf-8")
    assert precheck_notebook(good) is None
    link = tmp_path / "link.ipynb"
    link.symlink_to(good)
    assert "not a regular file" in precheck_notebook(link)
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)
    assert "not a regular file" in precheck_notebook(fifo)  # returns: never opened
    big = tmp_path / "big.ipynb"
    huge_notebook(big, 3)
    assert "is 3.0 MB, over the 2.0 MB limit" in precheck_notebook(big, 2 * MB)
    assert precheck_notebook(big, 4 * MB) is None  # a valid notebook, just large
    assert precheck_notebook(tmp_path / "none.ipynb") == "no notebook was submitted"


def test_collect_caps_and_refusals(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "release" / "ex").mkdir(parents=True)
    (course / "release" / "ex" / "ex.ipynb").write_text(_nb_text())
    (course / "release" / "ex" / "data.csv").write_text("a,b\n")
    clones = tmp_path / "clones"
    work = clones / "amy" / "assignments" / "ex"
    (work / "sub").mkdir(parents=True)
    (work / "ex.ipynb").write_text(_nb_text())
    (work / "data.csv").write_text("1,2\n")
    (work / "notes.txt").write_text("mine")
    (work / "sub" / "x.py").write_text("")
    (work / ".ipynb_checkpoints").mkdir()
    (work / ".ipynb_checkpoints" / "ex-checkpoint.ipynb").write_text("{}")
    (work / "ctl\x1b[31m.txt").write_text("")
    (clones / "ben" / "assignments" / "ex").mkdir(parents=True)
    with (clones / "ben" / "assignments" / "ex" / "ex.ipynb").open("wb") as fh:
        fh.truncate(3 * MB)  # sparse: no time, no disk
    (clones / "cat").mkdir()
    (clones / "cat" / "assignments").symlink_to(clones / "amy" / "assignments")
    report = collect_from_clones(clones, course, ["ex"], Caps(2 * MB, 4 * MB),
                                 {"ex": ["extra.txt"]})
    by = {r.student: r for r in report.results}
    assert by["amy"].status == "collected"
    assert sorted(p.name for p in (course / "submitted" / "amy" / "ex").iterdir()) == [
        "SUBMISSION.json", "data.csv", "ex.ipynb", "timestamp.txt"]
    refused = {r["path"]: r["reason"] for r in by["amy"].refused}
    assert refused == {"assignments/ex/notes.txt": "not part of the exercise",
                       "assignments/ex/sub/x.py": "not part of the exercise",
                       "assignments/ex/ctl\\x1b[31m.txt": "not part of the exercise"}
    assert by["ben"].refused == [{"path": "assignments/ex/ex.ipynb",
                                  "reason": "3.0 MB, larger than the 2.0 MB limit per file"}]
    assert by["cat"].status == "malformed"
    assert by["cat"].message == "assignments/ is a symbolic link (not followed)"
    manifest = json.loads((course / "submitted" / "amy" / "ex" / "SUBMISSION.json").read_text())
    assert manifest["files"] == ["data.csv", "ex.ipynb"]
    assert json.loads((course / "submitted" / "cat" / "COLLECT.json").read_text())["refused"]
    assert "file(s) refused (amy, ben, cat)" in report.summary()


def test_submission_cap_counts_every_file(tmp_path: Path) -> None:
    course = tmp_path / "course"
    for ex in ("e1", "e2"):
        (course / "release" / ex).mkdir(parents=True)
    for ex in ("e1", "e2"):
        work = tmp_path / "clones" / "dan" / "assignments" / ex
        work.mkdir(parents=True)
        with (work / f"{ex}.ipynb").open("wb") as fh:
            fh.truncate(3 * MB)
    report = collect_from_clones(tmp_path / "clones", course, ["e1", "e2"], Caps(4 * MB, 5 * MB))
    [dan] = report.results
    assert dan.exercises == ["e1"]
    assert dan.refused == [{"path": "assignments/e2/e2.ipynb",
                            "reason": "3.0 MB: the submission is over its 5.0 MB limit"}]


def test_shown_name_and_csv_cells_are_inert() -> None:
    assert shown_name(os.fsdecode(b"a\xffb")) == "a\\xffb"
    assert shown_name("x\ny\x1b") == "x\\ny\\x1b"
    for text in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(text).startswith("'"), text
    assert csv_cell("fx1: ok; =1") == "fx1: ok; =1" and csv_cell("3.5") == "3.5"
    assert csv_cell("a\nb") == "a b"
    assert csv_cell("fx1: \x1b[2Jgone\x07") == "fx1: \\x1b[2Jgone\\x07"


def test_repair_flags_name_the_cell() -> None:
    repairs = ["test cell 'test_a' was edited: the original was restored for grading",
               "test cell 'test_b' was deleted: it was re-added from the exercise",
               "test cell 'test_c' appears twice: the copy at cell 7 was dropped",
               "answer cell 'a' appears twice: the copy at cell 3 runs as an ordinary cell"]
    assert repair_flags("ex", repairs) == [
        "ex: test cell 'test_a' was edited", "ex: test cell 'test_b' was deleted",
        "ex: test cell 'test_c' appears twice", "ex: answer cell 'a' appears twice"]


def test_similarity_finds_renamed_copies_and_escapes_the_report(tmp_path: Path) -> None:
    import lstm_reference

    docs = {"ann": {"step": STEP["shared"]}, "bo": {"step": NEAR_COPY},
            "cy": {"step": STEP["fused"]}, "di": {"step": REFERENCE_COPY},
            "ed": {"step": STEP["loop"]}}
    reference = similarity.reference_sources(Path(lstm_reference.__file__).parent)
    pairs, refs = similarity.compare("fx1", docs, "", reference)
    assert [(m.a, m.b) for m in pairs] == [("ann", "bo")]
    assert [(m.a, m.b, m.cell) for m in refs] == [("di", "lstm_reference/lstm.py", "step")]
    assert refs[0].score >= 0.8
    again = similarity.compare("fx1", docs, "", reference)
    assert again == (pairs, refs)  # the same scores in every run
    records = [{"exercise": "fx1", "student": s, "answers": a} for s, a in docs.items()]
    doc = similarity.write_report(tmp_path, records, {}, reference)
    page = (tmp_path / "similarity.html").read_text()
    assert "<script>" not in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert json.loads((tmp_path / "similarity.json").read_text()) == doc


def test_feedback_preprocessor_keeps_only_the_message() -> None:
    test = nbformat.v4.new_code_cell("check(f)\n### BEGIN HIDDEN TESTS\ncheck(g)\n")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t",
                                 "points": 1, "locked": True}
    test.outputs = [nbformat.v4.new_output("error", ename="AssertionError",
                                           evalue="f(0) is 1, expected 0.5",
                                           traceback=["----> 3 check(g)", "AssertionError"])]
    answer = nbformat.v4.new_code_cell("1/0")
    answer.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="",
                                             traceback=["----> 1 1/0"])]
    nb = nbformat.v4.new_notebook()
    nb.cells = [test, answer]
    HideTestTracebacks().preprocess(nb, {})
    assert test.outputs[0].traceback == ["AssertionError: f(0) is 1, expected 0.5"]
    assert answer.outputs[0].traceback == ["----> 1 1/0"]  # the student's own cell: as is


def test_the_kits_release_shows_no_hidden_test_line() -> None:
    """The notebooks `make release` built (release/, assignments/) hold no hidden line."""
    from autograder_helpers import ROOT
    from leak_check import hidden_lines, leaks_in_tree

    hidden = hidden_lines(ROOT)
    assert len(hidden) >= 5  # one hidden check or more per exercise
    for tree in ("release", "assignments"):
        assert leaks_in_tree(ROOT / tree, hidden) == {}, tree


def test_candidate_pairs_come_from_shared_fingerprints() -> None:
    same = set(range(100))
    hashes = {"a": same, "b": same | {1000}, "c": set(range(200, 300)),
              "d": set(range(200, 220)) | set(range(500, 580))}
    # a-b share everything; c-d share 20 of d's 100 (0.2 < 0.5 * 0.6); c-d at threshold 0.3
    assert similarity.candidates(hashes, 0.6) == [("a", "b")]
    assert similarity.candidates(hashes, 0.3) == [("a", "b"), ("c", "d")]
    # in a class of 20 or more, code more than half of it shares is common, not a pair
    crowd = {f"s{i:02d}": set(range(50)) | {1000 + i} for i in range(20)}
    crowd["x"], crowd["y"] = set(range(300, 350)), set(range(300, 350))
    assert similarity.candidates(crowd, 0.6) == [("x", "y")]
