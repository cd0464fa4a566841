"""The terminal report below the table, exit codes, short exercise names, and how a failed test
cell is pointed at its cause (the student's line, an earlier failed cell, an earlier function)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder import attribution, cli, terminal
from autograder.assemble import Assembled, CellRole
from autograder.errors import UsageError
from autograder.grade import resolve_exercise
from autograder.judge import NOT_ATTEMPTED, CellResult, attribute_failures

KNOWN = ["ex1_lstm_from_scratch", "ex2_gate_analysis", "ex5_gru"]


def _test(gid: str, passed: bool, message: str = "", where: str = "", hint: str = "",
          points: float = 3.0) -> dict:
    return {"grade_id": gid, "passed": passed, "points": points if passed else 0.0,
            "max_points": points, "message": message, "hint": hint, "where": where}


def _doc(tmp_path: Path) -> Path:
    tests = [
        _test("test_sigmoid", True),
        _test("test_lstm_step_forward", False, "ValueError: shapes (4,7) and (2,3) not aligned",
              where="your answer cell 'lstm_step_forward_answer', line 9: f = sigmoid(Wf @ hx.T)",
              hint="compare the shapes"),
        _test("test_char_loss", False, "fails because `lstm_forward` is wrong (see "
              "test_lstm_forward); fix that first"),
    ]
    ex = {"exercise": "ex1_lstm_from_scratch", "notebook": "assignments/ex1/ex1.ipynb",
          "status": "failed", "passed": False, "points": 3.0, "max_points": 9.0,
          "seconds": 1.0, "message": "test_lstm_step_forward: ValueError", "repairs": [],
          "notes": [], "tests": tests}
    doc = {"score": 3.0, "execution_time": 1, "output": "0 of 1 exercises passed", "tests": [],
           "extra_data": {"max_score": 9.0, "all_passed": False, "exercises": [ex]}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    return path


def test_every_failing_check_is_shown_with_its_line_and_hint(tmp_path, capsys):
    code = cli.run(["--merge", str(_doc(tmp_path)), "--json", str(tmp_path / "out.json")])
    out = capsys.readouterr().out
    assert code == 0, "without --strict the command succeeds once the table is printed"
    assert "x test_lstm_step_forward (3 points): ValueError: shapes (4,7)" in out
    assert "at your answer cell 'lstm_step_forward_answer', line 9" in out
    assert "hint: compare the shapes" in out
    assert "x test_char_loss (3 points): fails because `lstm_forward` is wrong" in out
    assert "test_sigmoid" not in out.split("first failing check", 1)[1].split("total", 1)[1]
    assert out.rstrip().splitlines()[-1].startswith("Next: fix test_lstm_step_forward")


def test_strict_fails_when_an_exercise_failed(tmp_path, capsys):
    assert cli.run(["--merge", str(_doc(tmp_path)), "--json", str(tmp_path / "o.json"),
                    "--strict"]) == 1


def test_next_step_for_an_untouched_course():
    ex = {"exercise": "ex1_lstm_from_scratch", "notebook": "assignments/ex1/ex1.ipynb",
          "status": "not attempted", "passed": False, "points": 0.0, "max_points": 26.0,
          "message": NOT_ATTEMPTED, "tests": [_test("test_sigmoid", False, NOT_ATTEMPTED)]}
    doc = {"extra_data": {"exercises": [ex]}}
    text = terminal.details(doc)
    assert "x test_sigmoid" not in text  # the table already says "not attempted yet"
    assert "Next: open assignments/ex1/ex1.ipynb" in text and "--exercise ex1" in text


@pytest.mark.parametrize(("name", "want"), [("ex1", "ex1_lstm_from_scratch"),
                                            ("ex5", "ex5_gru"), ("ex2_gate_analysis",
                                                                 "ex2_gate_analysis")])
def test_short_exercise_names(name, want):
    assert resolve_exercise(name, KNOWN) == want


def test_unknown_short_name_lists_the_known_ones():
    with pytest.raises(UsageError, match=r"known: ex1 \(ex1_lstm_from_scratch\)"):
        resolve_exercise("ex9", KNOWN)


# --------------------------------------------------------------------------- attribution

TRACEBACK = [
    "\x1b[31mValueError\x1b[39m Traceback (most recent call last)",
    "Cell In[3], line 1\n----> 1 checks.check_f(f)",
    "File /x/autograder/checks/ex1.py:289, in check_f(fn)",
    "Cell In[2], line 2, in f(x)\n      1 def f(x):\n----> 2     return x @ x",
    "ValueError: matmul: mismatch in its core dimension 0",
]


def _notebook_and_roles():
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("def f(x):\n    return x @ x", execution_count=2)
    train = nbformat.v4.new_code_cell("y = g()", execution_count=3)
    train.outputs = [nbformat.v4.new_output("error", ename="RuntimeError", evalue="boom",
                                            traceback=["RuntimeError: boom"])]
    test_f = nbformat.v4.new_code_cell("checks.check_f(f)", execution_count=4)
    test_f.outputs = [nbformat.v4.new_output("error", ename="ValueError",
                                             evalue="matmul: mismatch in its core dimension 0",
                                             traceback=TRACEBACK)]
    test_f.outputs[0]["traceback"][1] = "Cell In[4], line 1\n----> 1 checks.check_f(f)"
    test_y = nbformat.v4.new_code_cell("checks.check_y(y)", execution_count=5)
    test_y.outputs = [nbformat.v4.new_output("error", ename="NameError",
                                             evalue="name 'y' is not defined", traceback=[])]
    nb.cells = [answer, train, test_f, test_y]
    roles = [CellRole("answer", "f_answer"), CellRole("answer", "train_answer"),
             CellRole("test", "test_f", 3, "checks.check_f(f)"),
             CellRole("test", "test_y", 2, "checks.check_y(y)")]
    return nb, roles


def test_the_students_line_not_the_graders_frames():
    nb, roles = _notebook_and_roles()
    where = attribution.student_line(nb, roles, nb.cells[2])
    assert where == "your answer cell 'f_answer', line 2: return x @ x"
    assert attribution.exception_hint(nb.cells[2]).startswith("compare")


def test_a_name_error_names_the_cell_that_failed_to_define_it():
    nb, roles = _notebook_and_roles()
    tests = [CellResult("test_f", 3, False, "ValueError: matmul: mismatch"),
             CellResult("test_y", 2, False, "NameError: name 'y' is not defined")]
    attribute_failures(Assembled(nb, roles), nb, tests)
    assert tests[0].where.startswith("your answer cell 'f_answer', line 2")
    assert tests[1].message.startswith("fails because your answer cell 'train_answer' raised "
                                       "RuntimeError: boom; fix that first")
    assert "NameError" not in tests[1].message


def test_a_later_check_blames_the_earlier_function(monkeypatch):
    nb, roles = _notebook_and_roles()
    nb.cells[3].outputs = []  # test_y failed on its own verdict, not with an exception
    monkeypatch.setattr(attribution, "requirements", lambda packages: {"y": ("f",)})
    monkeypatch.setattr("autograder.judge.check_names", lambda call: {call[len("check_"):]})
    tests = [CellResult("test_f", 3, False, "ValueError: matmul: mismatch"),
             CellResult("test_y", 2, False, "y is off by 0.3", hint="likely bug: something")]
    attribute_failures(Assembled(nb, roles), nb, tests)
    assert tests[1].message == "fails because `f` is wrong (see test_f); fix that first"
    assert tests[1].hint == ""


def test_requirements_close_transitively():
    requires = {"c": ("b",), "b": ("a",)}
    assert attribution.closure(["c"], requires) == {"a", "b"}
    assert attribution.closure(["a"], requires) == set()


def test_verbose_adds_the_full_traceback_of_each_failed_cell():
    from autograder.judge import ExerciseResult

    nb, roles = _notebook_and_roles()
    result = ExerciseResult("ex9_demo", "ex9.ipynb", "failed", executed=nb,
                            assembled=Assembled(nb, roles))
    ex = {"exercise": "ex9_demo", "notebook": "ex9.ipynb", "status": "failed",
          "passed": False, "points": 0.0, "max_points": 3.0,
          "tests": [_test("test_f", False, "ValueError: matmul")]}
    doc = {"extra_data": {"exercises": [ex]}}
    short = terminal.details(doc, [result])
    full = terminal.details(doc, [result], verbose=True)
    assert "Traceback" not in short and "\x1b" not in full
    assert "ValueError Traceback (most recent call last)" in full
    assert "----> 2     return x @ x" in full


def test_a_stub_in_a_function_used_is_named_not_the_test():
    nb, roles = _notebook_and_roles()
    nb.cells[2].outputs = [nbformat.v4.new_output(
        "error", ename="NotImplementedError", evalue="not attempted yet",
        traceback=["Cell In[4], line 1\n----> 1 checks.check_f(f)",
                   "Cell In[2], line 2, in f(x)\n----> 2     raise NotImplementedError"])]
    tests = [CellResult("test_f", 3, False, NOT_ATTEMPTED),
             CellResult("test_y", 2, False, "NameError: name 'y' is not defined")]
    attribute_failures(Assembled(nb, roles), nb, tests)
    assert tests[0].message == (f"{NOT_ATTEMPTED}: your answer cell 'f_answer' is still to be "
                                "written")
    assert tests[0].where == ""  # a stub is no line to fix


def test_the_class_commands_take_short_names_too():
    from autograder.instructor import _exercises

    root = Path(__file__).resolve().parent.parent
    assert _exercises(root, ["ex1", "ex5_gru"]) == ["ex1_lstm_from_scratch", "ex5_gru"]
