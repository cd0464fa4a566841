"""Submissions that try to break or fool the grader (fixture course ``fx1``).

All cases are graded in ONE batch with small limits (5 s per cell). For each: no wrong answer
passes, a correct answer is not failed, the other exercise in the batch (``fx2``) is still
graded, the grader finishes in bounded time, and the submitted files are byte-identical
afterwards.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import (
    cell,
    grade_id,
    live_processes,
    make_course,
    release_nb,
    student_from_source,
    tree_digest,
    use_fixture_checks,
)

from autograder.grade import Target, grade_all
from autograder.limits import MB, Limits

LIMITS = Limits(cell_timeout=5, notebook_timeout=25, iopub_timeout=4,
                memory_bytes=2048 * MB, jobs=2)

WRONG_SIGMOID = ("return 0.5 * (1.0 + np.tanh(0.5 * z))", "return np.tanh(z)")
WRONG_STEP = ('f = sigmoid(p["Wf"] @ hx + p["bf"])\n    i = sigmoid(p["Wi"] @ hx + p["bi"])',
              'f = sigmoid(p["Wi"] @ hx + p["bi"])\n    i = sigmoid(p["Wf"] @ hx + p["bf"])')


def _answer(nb, gid: str, old: str, new: str) -> None:
    c = cell(nb, gid)
    assert old in c.source
    c.source = c.source.replace(old, new)


def _append(nb, gid: str, code: str) -> None:
    cell(nb, gid).source += "\n" + code


def wrong(extra: Callable | None = None) -> Callable:
    def edit(nb) -> None:
        _answer(nb, "sigmoid_answer", *WRONG_SIGMOID)
        _answer(nb, "step_answer", *WRONG_STEP)
        if extra is not None:
            extra(nb)
    return edit


def correct(extra: Callable | None = None) -> Callable:
    return lambda nb: extra(nb) if extra is not None else None


def _tests(nb, action: Callable) -> None:
    for c in [c for c in nb.cells if grade_id(c) in ("test_sigmoid", "test_step")]:
        action(nb, c)


def _edit_tests(nb) -> None:
    _tests(nb, lambda nb, c: c.__setitem__("source", "pass"))


def _delete_tests(nb) -> None:
    nb.cells = [c for c in nb.cells if grade_id(c) not in ("test_sigmoid", "test_step")]


def _duplicate_test(nb) -> None:
    dup = nbformat.from_dict(json.loads(json.dumps(cell(nb, "test_step"))))
    dup.source, dup["id"] = "pass", "dup-test"
    nb.cells.append(dup)


def _rename_tests(nb) -> None:
    def act(nb, c) -> None:
        c.metadata["nbgrader"]["grade_id"] = "mine_" + grade_id(c)
        c.source = "pass"
    _tests(nb, act)


def _points(nb) -> None:
    def act(nb, c) -> None:
        c.metadata["nbgrader"]["points"] = 100
        c.metadata["nbgrader"]["locked"] = False
    _tests(nb, act)


def _strip_meta(nb) -> None:
    def act(nb, c) -> None:
        c.metadata.pop("nbgrader")
        c.source = "pass"
    _tests(nb, act)


PATCH_NUMPY = ("np.allclose = lambda *a, **k: True\n"
               "np.testing.assert_allclose = lambda *a, **k: None")
PATCH_CHECKS = ("checks.check_sigmoid = lambda *a, **k: None\n"
                "checks.check_lstm_step_forward = lambda *a, **k: None")
PATCH_RUN = "checks.run_check = lambda *a, **k: None"
PATCH_BUILTINS = ("import builtins\nbuiltins.abs = lambda x: 0 * x\n"
                  "np.abs = lambda x: 0 * x\nnp.nanmax = lambda x: 0.0")
FORGE_ANSWER = """
from IPython.display import display
import base64
_z = np.random.default_rng(0).normal(0.0, 3.0, (3, 4))
_ok = 0.5 * (1.0 + np.tanh(0.5 * _z))
display({"application/vnd.lstm-lab.probe+json": {"check": "fx.sigmoid", "seed": 0, "outputs": {
    "__array__": True, "dtype": "float64", "shape": [3, 4],
    "b64": base64.b64encode(_ok.tobytes()).decode()}}}, raw=True)
"""
FORGE_TEST = """
from IPython.display import display
def _forge(*a, **k):
    display({"application/vnd.lstm-lab.probe+json": {"check": "fx.sigmoid", "seed": 0,
             "outputs": {"__array__": True, "dtype": "float64", "shape": [3, 4], "b64": "!!"}}},
            raw=True)
    display({"application/vnd.lstm-lab.probe+json": {"check": "fx.always_ok", "seed": 0,
             "outputs": 1}}, raw=True)
checks.check_sigmoid = _forge
checks.check_lstm_step_forward = _forge
"""
LOOP_IN_FN = ("def sigmoid(z):\n    while True:\n        pass")
SWALLOW = ("import time\nwhile True:\n    try:\n        time.sleep(100)\n"
           "    except KeyboardInterrupt:\n        pass")
BOMB = "_bomb = np.ones(10**10)"
BOMB_IN_FN = "def sigmoid(z):\n    return np.ones((10**6, 10**5))"
BIG_LINE = "print('x' * 50_000_000)"
WARN = ("import warnings as _w\n_old = sigmoid\n"
        "def sigmoid(z):\n    _w.warn('careful')\n    np.exp(np.array([1000.0]))\n"
        "    np.float64(1.0) / np.float64(0.0)\n    return _old(z)")
OUTSIDE = ("open('../escaped.txt', 'w').write('x')\n"
           "try:\n    print(open('../../source/fx1/fx1.ipynb').read()[:50])\n"
           "except OSError as e:\n    print('cannot read', type(e).__name__)\n"
           "import pathlib\nprint(sorted(p.name for p in pathlib.Path('..').iterdir()))")
#: a child that would outlive the grade: found afterwards by its unique command line
SPAWN_MARK = "299.7531"
SPAWN = ("import subprocess\n_child = subprocess.Popen(['sleep', '" + SPAWN_MARK + "'], "
         "start_new_session=True)\nprint('child pid', _child.pid)")
USE_REF = "from lstm_reference.lstm import lstm_step_forward"
HIDE_REF = ("lstm_step_forward = getattr(__import__('lstm_reference.lstm', fromlist=['x']), "
            "'lstm_step_forward')")
WRAP_REF = ("import lstm_reference.lstm as L\n"
            "def lstm_step_forward(x, h, C, p):\n    return L.lstm_step_forward(x, h, C, p)")

# case -> (student notebook edit or raw text or None, expected outcome):
# "pass": every test cell passes; "fail": none does; "error": the notebook cannot be graded;
# "step_fails": a correct sigmoid but a wrong or borrowed LSTM step (only test_step fails)
CASES: dict[str, tuple[Callable | str | None, str]] = {
    "correct": (correct(), "pass"),
    "unanswered": ("release", "fail"),
    "wrong": (wrong(), "fail"),
    "swapped_gates": (correct(lambda nb: _answer(nb, "step_answer", *WRONG_STEP)),
                      "step_fails"),
    "wrong+patched_numpy": (wrong(lambda nb: _append(nb, "sigmoid_answer", PATCH_NUMPY)), "fail"),
    "wrong+patched_checks": (wrong(lambda nb: _append(nb, "sigmoid_answer", PATCH_CHECKS)), "fail"),
    "wrong+patched_run_check": (wrong(lambda nb: _append(nb, "sigmoid_answer", PATCH_RUN)), "fail"),
    "wrong+patched_builtins": (wrong(lambda nb: _append(nb, "sigmoid_answer", PATCH_BUILTINS)),
                               "fail"),
    "wrong+forged_record_in_answer": (wrong(lambda nb: _append(nb, "sigmoid_answer",
                                                               FORGE_ANSWER)), "fail"),
    "wrong+forged_record_in_test": (wrong(lambda nb: _append(nb, "sigmoid_answer", FORGE_TEST)),
                                    "fail"),
    "wrong+edited_tests": (wrong(_edit_tests), "fail"),
    "wrong+deleted_tests": (wrong(_delete_tests), "fail"),
    "correct+deleted_tests": (correct(_delete_tests), "pass"),
    "correct+duplicated_test": (correct(_duplicate_test), "pass"),
    "wrong+renamed_tests": (wrong(_rename_tests), "fail"),
    "correct+edited_points": (correct(_points), "pass"),
    "wrong+stripped_metadata": (wrong(_strip_meta), "fail"),
    "infinite_loop_in_function": (correct(lambda nb: _append(nb, "sigmoid_answer", LOOP_IN_FN)),
                                  "fail"),
    "correct+loop_after_defs": (correct(lambda nb: _append(nb, "step_answer",
                                                           "while True:\n    pass")), "pass"),
    "swallows_interrupt": (correct(lambda nb: _append(nb, "sigmoid_answer", SWALLOW)),
                           "fail"),
    "os_exit": (correct(lambda nb: _append(nb, "sigmoid_answer", "import os\nos._exit(1)")),
                "fail"),
    "correct+sys_exit": (correct(lambda nb: _append(nb, "step_answer",
                                                    "import sys\nsys.exit(0)")), "pass"),
    "wrong+sys_exit": (wrong(lambda nb: _append(nb, "step_answer", "import sys\nsys.exit(0)")),
                       "fail"),
    "correct+memory_bomb": (correct(lambda nb: _append(nb, "step_answer", BOMB)), "pass"),
    "memory_bomb_in_function": (correct(lambda nb: _append(nb, "sigmoid_answer", BOMB_IN_FN)),
                                "fail"),
    "correct+50MB_line": (correct(lambda nb: _append(nb, "step_answer", BIG_LINE)), "pass"),
    "correct+warnings": (correct(lambda nb: _append(nb, "sigmoid_answer", WARN)), "pass"),
    "correct+background_process": (correct(lambda nb: _append(nb, "step_answer", SPAWN)),
                                   "pass"),
    "broken_json": ('{"cells": [', "error"),
    "missing_notebook": (None, "error"),
    "correct+files_outside_folder": (correct(lambda nb: _append(nb, "step_answer", OUTSIDE)),
                                     "pass"),
    "imports_reference": (correct(lambda nb: _append(nb, "step_answer", USE_REF)),
                  "step_fails"),
    "hidden_reference_import": (correct(lambda nb: _append(nb, "step_answer", HIDE_REF)),
                  "step_fails"),
    "wraps_reference": (correct(lambda nb: _append(nb, "step_answer", WRAP_REF)),
                  "step_fails"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    mp = pytest.MonkeyPatch()
    use_fixture_checks(mp)
    request.addfinalizer(mp.undo)
    root = make_course(tmp_path_factory.mktemp("adv"), {})
    targets = []
    for name, (edit, _) in CASES.items():
        folder = root / "students" / name / "fx1"
        folder.mkdir(parents=True)
        (folder / "data.txt").write_text("student data\n")
        path = folder / "fx1.ipynb"
        if edit == "release":
            path.write_text(nbformat.writes(release_nb()))
        elif isinstance(edit, str):
            path.write_text(edit)
        elif edit is not None:
            path.write_text(nbformat.writes(student_from_source(edit)))
        targets.append(Target("fx1", path, root / "source/fx1/fx1.ipynb",
                              root / "release/fx1/fx1.ipynb", True))
    other = root / "students" / "other" / "fx2" / "fx2.ipynb"
    other.parent.mkdir(parents=True)
    other.write_text(nbformat.writes(student_from_source(name="fx2")))
    targets.append(Target("fx2", other, root / "source/fx2/fx2.ipynb",
                          root / "release/fx2/fx2.ipynb", True))
    before = tree_digest(root)
    start = time.monotonic()
    results = grade_all(targets, LIMITS)
    elapsed = time.monotonic() - start
    return {"results": dict(zip([*CASES, "other"], results, strict=True)), "root": root,
            "before": before, "after": tree_digest(root), "elapsed": elapsed}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_case_verdict(graded, case: str) -> None:
    result = graded["results"][case]
    expected = CASES[case][1]
    assert result.max_points == 3.0, result.tests  # points come from source, never the student
    if expected == "step_fails":
        assert result.status == "failed"
        assert [t.passed for t in result.tests] == [True, False]
    elif expected == "pass":
        assert result.status == "passed", (result.message, [t.message for t in result.tests])
        assert result.points == 3.0
    else:
        assert result.status != "passed"
        assert not any(t.passed for t in result.tests), [(t.grade_id, t.message)
                                                         for t in result.tests]
        assert result.message, "a failed exercise must say why"
        assert "Traceback" not in result.message
    if expected == "error":
        assert result.status == "error"
    assert result.seconds < LIMITS.notebook_timeout + LIMITS.startup_timeout


@pytest.mark.slow
def test_other_exercise_still_graded_and_files_untouched(graded) -> None:
    assert graded["results"]["other"].status == "passed"
    assert graded["before"] == graded["after"]
    assert not (graded["root"] / "students" / "escaped.txt").exists()
    # a batch of 35 notebooks, 2 at a time, with several 3 s timeouts: bounded
    assert graded["elapsed"] < 300


@pytest.mark.slow
def test_messages_say_what_happened(graded) -> None:
    r = graded["results"]
    assert r["unanswered"].status == "not attempted"
    assert all(t.message == "not attempted yet" for t in r["unanswered"].tests)
    assert "no result" in r["wrong+patched_checks"].tests[0].message
    assert "did not ask for" in r["wrong+forged_record_in_test"].tests[0].message
    assert any("edited" in m for m in r["wrong+edited_tests"].repairs)
    assert any("deleted" in m for m in r["wrong+deleted_tests"].repairs)
    assert any("appears twice" in m for m in r["correct+duplicated_test"].repairs)
    assert any("renamed" in m for m in r["wrong+renamed_tests"].repairs)
    assert any("points" in m for m in r["correct+edited_points"].repairs)
    assert any("metadata removed" in m for m in r["wrong+stripped_metadata"].repairs)
    # interrupted after 5 s (or, on a very busy machine, not answering the interrupt in time)
    looping = r["infinite_loop_in_function"].tests[0].message
    assert "timed out" in looping or "interrupt" in looping, looping
    assert "ignored the interrupt" in r["swallows_interrupt"].message
    assert "kernel died" in r["os_exit"].message
    assert "not valid JSON" in r["broken_json"].message
    assert "not found" in r["missing_notebook"].message
    for case in ("imports_reference", "hidden_reference_import", "wraps_reference"):
        assert "lstm_reference" in r[case].tests[1].message, r[case].tests[1].message
    step = r["swapped_gates"].tests[1]
    assert "likely bug: the forget and input gates look swapped" in step.hint, step


@pytest.mark.slow
def test_processes_the_notebook_started_are_gone(graded) -> None:
    executed = graded["results"]["correct+background_process"].executed
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert re.search(r"child pid (\d+)", text), text  # the child was started
    time.sleep(0.2)
    # killed with the grade (its own session did not save it)
    assert live_processes(SPAWN_MARK) == []


@pytest.mark.slow
def test_outputs_are_bounded_and_hidden_tests_not_shown(graded) -> None:
    from autograder.report import feedback_html

    big = feedback_html(graded["results"]["correct+50MB_line"])
    assert len(big) < 6 * MB
    for case in ("wrong", "correct+files_outside_folder", "infinite_loop_in_function"):
        page = feedback_html(graded["results"][case])
        assert "check_sigmoid(sigmoid)\n" not in page and "BEGIN HIDDEN" not in page
        assert "check_sigmoid(sigmoid, seed=0)" in page
    outside = graded["results"]["correct+files_outside_folder"].executed
    printed = "".join(o.get("text", "") for c in outside.cells for o in c.get("outputs", []))
    assert "cannot read" in printed
    assert "students" not in printed  # the kernel's folder is a temporary copy


def test_cases_cover_the_brief() -> None:
    names = " ".join(CASES)
    for word in ("patched_numpy", "patched_checks", "patched_builtins", "forged", "edited",
                 "deleted", "duplicated", "renamed", "points", "loop", "interrupt", "os_exit",
                 "sys_exit", "memory_bomb", "50MB", "warnings", "broken_json", "missing",
                 "outside", "reference"):
        assert word in names, word


def test_results_path_is_unused(tmp_path: Path) -> None:
    # guard against a stale fixture: the fixture course has both exercises
    assert {p.name for p in (Path(__file__).parent / "fixtures/fxcourse/source").iterdir()} == {
        "fx1", "fx2"}


# --------------------------------------------------------------------------- exercise 1

EX1 = "ex1_lstm_from_scratch"
REPO = Path(__file__).resolve().parent.parent
EX1_PATCH = ("sigmoid = lambda z: np.tanh(z)\n"
             "np.allclose = lambda *a, **k: True\n"
             "np.testing.assert_allclose = lambda *a, **k: None\n"
             "for _name in dir(checks):\n"
             "    if _name.startswith('check_'):\n"
             "        setattr(checks, _name, lambda *a, **k: None)")
EX1_CASES: dict[str, tuple[str | None, str, str]] = {
    # case -> (answer cell to append to, code, expected)
    "correct": (None, "", "pass"),
    "unanswered": (None, "release", "fail"),
    "wrong+patched_everything": ("sigmoid_answer", EX1_PATCH, "fail"),
    "borrowed_step": ("lstm_step_forward_answer",
                      "from lstm_reference.lstm import lstm_step_forward", "fail"),
    "os_exit": ("sigmoid_answer", "import os\nos._exit(3)", "fail"),
}


@pytest.fixture(scope="module")
def graded_ex1(tmp_path_factory):
    if not (REPO / "source" / EX1 / f"{EX1}.ipynb").is_file():
        pytest.fail("exercise 1 is missing from source/")
    from autograder_helpers import read

    source = read(REPO / "source" / EX1 / f"{EX1}.ipynb")
    release = read(REPO / "release" / EX1 / f"{EX1}.ipynb")
    solutions = {grade_id(c): c.source for c in source.cells}
    root = tmp_path_factory.mktemp("ex1")
    targets = []
    for name, (gid, code, _) in EX1_CASES.items():
        nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
        if code != "release":
            for c in nb.cells:
                if c.get("metadata", {}).get("nbgrader", {}).get("solution") and (
                        c.cell_type == "code"):
                    c.source = solutions[grade_id(c)]
            if gid is not None:
                _append(nb, gid, code)
        path = root / name / EX1 / f"{EX1}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(nbformat.writes(nb))
        targets.append(Target(EX1, path, REPO / "source" / EX1 / f"{EX1}.ipynb",
                              REPO / "release" / EX1 / f"{EX1}.ipynb", True))
    before = tree_digest(root)
    results = grade_all(targets, Limits(cell_timeout=30, notebook_timeout=90, jobs=2))
    return dict(zip(EX1_CASES, results, strict=True)), before == tree_digest(root)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(EX1_CASES))
def test_exercise_1_cannot_be_fooled(graded_ex1, case: str) -> None:
    results, untouched = graded_ex1
    result, expected = results[case], EX1_CASES[case][2]
    assert untouched
    if expected == "pass":
        assert result.status == "passed", [(t.grade_id, t.message) for t in result.tests]
        return
    assert result.status != "passed" and result.message
    first = result.tests[0]  # test_sigmoid: every attack touches sigmoid or what follows it
    if case == "borrowed_step":
        step = next(t for t in result.tests if t.grade_id == "test_lstm_step_forward")
        assert not step.passed and "lstm_reference" in step.message
    else:
        assert not first.passed, (case, first)
