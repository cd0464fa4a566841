"""collect -> batch -> export -> report on a small real class, and the pages in a real browser.

Fixture course ``fx1`` (a sigmoid and one LSTM step; tests/fixtures), four students collected
from git clones and graded by the real batch grader, a roster of five (one never submitted).
Then ``autograde export --gradebook`` writes the Canvas file and nbgrader's gradebook, and
``nbgrader export`` must show the same points; ``autograde report`` writes the class page.
The class page and one student's feedback page are opened in headless Chromium (Debian's
package, driven by Playwright; see tests/browser.py): they render, every figure loads, the
console stays clean, nothing is fetched and no script from a student's text runs.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import COURSE, cell, release_nb, student_from_source, use_fixture_checks
from browser import require_browser, view

from autograder.instructor import batch_main, collect_main, export_main, report_main

ROOT = Path(__file__).resolve().parent.parent
EX = "fx1"
FULL = {"test_sigmoid": 1.0, "test_step": 2.0}
#: printed by dave's notebook: it must show up as text and never run
HOSTILE_OUTPUT = "<script>window.__pwned=3</script><img src=x onerror=window.__pwned=4>"
PLOT = """
import io
import matplotlib
matplotlib.use("Agg")
from matplotlib.figure import Figure
from IPython.display import Image, display
_fig = Figure(figsize=(2, 2))
_fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1])
_buf = io.BytesIO()
_fig.savefig(_buf, format="png")
display(Image(_buf.getvalue()))
"""


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _wrong_sigmoid(nb: nbformat.NotebookNode) -> None:
    c = cell(nb, "sigmoid_answer")
    c.source = c.source.replace("return 0.5 * (1.0 + np.tanh(0.5 * z))", "return np.tanh(z)")


def _prints_markup_and_plots(nb: nbformat.NotebookNode) -> None:
    cell(nb, "sigmoid_answer").source += f"\n\nprint({HOSTILE_OUTPUT!r})\n{PLOT}"


STUDENTS = {  # student -> (notebook, expected points per test cell)
    "alice": (student_from_source(), FULL),
    "bob": (student_from_source(_wrong_sigmoid), {"test_sigmoid": 0.0, "test_step": 0.0}),
    "carol": (release_nb(), {"test_sigmoid": 0.0, "test_step": 0.0}),
    "dave": (student_from_source(_prints_markup_and_plots), FULL),
}
ROSTER = ("id,name,email\nalice,Alice A,alice@uni.edu\nbob,Bob B,bob@uni.edu\n"
          "carol,Carol C,carol@uni.edu\ndave,Dave D,dave@uni.edu\nerin,Erin E,erin@uni.edu\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The course after collect and batch (real grading), once for this module."""
    tmp = tmp_path_factory.mktemp("classroom")
    root = tmp / "course"
    for sub in ("source", "release"):
        shutil.copytree(COURSE / sub, root / sub)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for student, (nb, _) in STUDENTS.items():
        repo = tmp / "clones" / student
        (repo / "assignments" / EX).mkdir(parents=True)
        nbformat.write(nb, repo / "assignments" / EX / f"{EX}.ipynb")
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "work")
    with pytest.MonkeyPatch.context() as mp:
        use_fixture_checks(mp)
        assert collect_main(["--from-clones", str(tmp / "clones"), "--course", str(root),
                             "--exercise", EX]) == 0
        assert batch_main(["--course", str(root), "--exercise", EX, "--jobs", "2",
                           "--no-progress", "--cell-timeout", "30"]) == 0
        yield root


def _nbgrader_export(db_url: str, path: Path) -> dict[str, dict[str, str]]:
    """What ``nbgrader export`` writes (its CSV plugin, in this process)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    with Gradebook(db_url) as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    with path.open(encoding="utf-8") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_export_writes_the_lms_file_and_the_gradebook(graded: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = graded
    canvas = tmp_path / "canvas.csv"
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        use_fixture_checks(mp)
        assert export_main(["--course", str(root), "--format", "canvas", "--roster",
                            str(root / "roster.csv"), "--out", str(canvas),
                            "--gradebook"]) == 0
    out = capsys.readouterr().out
    assert "canvas file, 5 students x 1 exercises" in out
    assert "gradebook: 4 submission(s) of 4 student(s)" in out
    with canvas.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", EX]
    assert rows[1] == ["    Points Possible", "", "", "", "", "3"]
    lms = {r[2]: float(r[5]) for r in rows[2:]}
    want = {s: sum(p.values()) for s, (_, p) in STUDENTS.items()}
    assert lms == {**want, "erin": 0.0}
    assert rows[2][:4] == ["Alice A", "", "alice", "alice@uni.edu"]
    # nbgrader's own export, from the gradebook written above, gives the same points
    exported = _nbgrader_export(f"sqlite:///{root / 'gradebook.db'}", tmp_path / "nb.csv")
    assert {s: float(r["score"]) for s, r in exported.items()} == want
    assert {s: float(r["max_score"]) for s, r in exported.items()} == dict.fromkeys(want, 4.0)


def _report(root: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    page = root / "grader-output" / "batch" / "class-report.html"
    assert report_main(["--course", str(root), "--roster", str(root / "roster.csv")]) == 0
    assert f"report: 5 students, 1 exercises: {page}" in capsys.readouterr().out
    return page


@pytest.mark.slow
def test_report_of_a_real_batch(graded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = _report(graded, capsys).read_text(encoding="utf-8")
    text = " ".join(html.split())
    assert "erin" in text and "Erin E" in text  # on the roster, never submitted
    # each check: passed by alice and dave, of the four who submitted
    assert text.count("<td class='n'>2/4</td>") == 2


@pytest.mark.slow
def test_pages_in_a_real_browser(graded: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    chromium = require_browser()
    report = _report(graded, capsys)
    seen = view(report, screenshot=tmp_path / "report.png", executable=chromium)
    assert seen.title == "Class report"
    assert "Not submitted" in seen.text and "Erin E" in seen.text
    assert len(seen.images) == 2
    assert all(w > 0 and h > 0 for _, w, h in seen.images), seen.images
    assert seen.errors == [] and seen.dialogs == [] and seen.outside_requests == []
    assert not seen.script_ran
    assert (tmp_path / "report.png").stat().st_size > 10_000

    feedback = graded / "grader-output" / "batch" / "students" / "dave" / "feedback" / \
        f"{EX}.html"
    seen = view(feedback, executable=chromium)
    assert seen.title == f"{EX}: 3/3"
    assert HOSTILE_OUTPUT in seen.text  # shown as text ...
    assert not seen.script_ran and seen.dialogs == []  # ... never run
    assert [alt for alt, _, _ in seen.images] == ["plot"]  # the student's figure
    assert all(w > 0 and h > 0 for _, w, h in seen.images), seen.images
    assert seen.errors == [] and seen.outside_requests == []
