"""Unit tests of the grader's pieces: assembly, trusted-source parsing, verdicts, reports,
limits, the command line's usage errors, and the known-bug diagnosis."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from autograder_helpers import (
    COURSE,
    ROOT,
    cell,
    deep,
    fxchecks,
    grade_id,
    release_nb,
    source_nb,
    student_from_source,
)

from autograder import cli, diagnose, report
from autograder.assemble import (
    NotebookError,
    assemble,
    load_notebook,
    release_stub,
    strip_hidden,
)
from autograder.checks.base import REGISTRY
from autograder.judge import (
    CellResult,
    ExerciseResult,
    check_calls,
    check_modules,
    judge_test_cell,
    uses_forbidden,
)
from autograder.limits import Limits, from_env
from autograder.probe import PROBE_MIME, encode_value
from autograder.runner import SKIPPED_KEY
from lstm_reference import bugs
from lstm_reference import gru as ref_gru
from lstm_reference import lstm as ref

# --------------------------------------------------------------------------- assembly


def test_strip_hidden_and_release_stub() -> None:
    src = "a()\n### BEGIN HIDDEN TESTS\nb()\n### END HIDDEN TESTS"
    assert strip_hidden(src) == "a()"
    sol = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    assert release_stub(sol) == ('def f(x):\n    # YOUR CODE HERE\n'
                                 '    raise NotImplementedError("not attempted yet")')


def _sources(asm) -> list[tuple[str, str | None]]:
    return [(r.kind, r.grade_id) for r in asm.roles]


def test_assemble_correct_notebook_has_trusted_tests_and_student_answers() -> None:
    student = student_from_source()
    extra = nbformat.v4.new_code_cell("scratch = 1")
    student.cells.insert(3, extra)  # after sigmoid_answer
    asm = assemble(student, source_nb(), release_nb())
    assert asm.repairs == []
    kinds = _sources(asm)
    assert kinds[:5] == [("locked", None), ("locked", "setup"), ("answer", "sigmoid_answer"),
                         ("extra", None), ("test", "test_sigmoid")] or kinds[1:5] == [
        ("locked", "setup"), ("answer", "sigmoid_answer"), ("extra", None),
        ("test", "test_sigmoid")]
    tests = {r.grade_id: (asm.nb.cells[i].source, r.points) for i, r in asm.test_cells()}
    assert "### BEGIN HIDDEN TESTS" in tests["test_step"][0]
    assert tests["test_step"][1] == 2.0
    assert all(r.attempted for r in asm.roles if r.kind == "answer")
    assert all(c.get("outputs", []) == [] for c in asm.nb.cells if c.cell_type == "code")


def test_assemble_unanswered_is_not_attempted() -> None:
    asm = assemble(release_nb(), source_nb(), release_nb())
    assert [r.attempted for r in asm.roles if r.kind == "answer"] == [False, False]


def test_assemble_restores_edited_deleted_and_renamed_cells() -> None:
    student = student_from_source()
    cell(student, "test_sigmoid").source = "pass"
    cell(student, "setup").source = "np = None"
    student.cells = [c for c in student.cells if grade_id(c) != "test_step"]
    asm = assemble(student, source_nb(), release_nb())
    text = " | ".join(asm.repairs)
    assert "test cell 'test_sigmoid' was edited" in text
    assert "read-only cell 'setup' was edited" in text
    assert "test cell 'test_step' was deleted" in text
    assert [g for _, g in _sources(asm) if g] == [
        "setup", "sigmoid_answer", "test_sigmoid", "step_answer", "test_step", "why_answer"]

    renamed = student_from_source()
    cell(renamed, "test_step").metadata["nbgrader"]["grade_id"] = "mine"
    stripped = student_from_source()
    cell(stripped, "test_sigmoid").metadata.pop("nbgrader")
    r1 = assemble(renamed, source_nb(), release_nb())
    r2 = assemble(stripped, source_nb(), release_nb())
    assert any("'mine'" in m and "renamed" in m for m in r1.repairs)
    assert any("metadata removed" in m and "test_sigmoid" in m for m in r2.repairs)
    assert len(r1.test_cells()) == len(r2.test_cells()) == 2


def test_assemble_duplicates_and_foreign_grade_ids() -> None:
    student = student_from_source()
    dup_test = deep(cell(student, "test_step"))
    dup_test["id"] = "x1"
    dup_answer = deep(cell(student, "sigmoid_answer"))
    dup_answer["id"] = "x2"
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade_id": "free_points", "grade": True, "points": 50, "locked": True,
        "solution": False, "schema_version": 3}})
    student.cells += [dup_test, dup_answer, fake]
    asm = assemble(student, source_nb(), release_nb())
    text = " | ".join(asm.repairs)
    assert "test cell 'test_step' appears twice" in text
    assert "answer cell 'sigmoid_answer' appears twice" in text
    assert "'free_points', which is not part of this exercise" in text
    assert sum(r.points for _, r in asm.test_cells()) == 3.0
    # the title markdown, the duplicate answer and the fake test run as ordinary cells
    assert [r.kind for r in asm.roles].count("extra") == 3


def test_assemble_points_and_flags_come_from_source() -> None:
    student = student_from_source()
    meta = cell(student, "test_step").metadata["nbgrader"]
    meta["points"], meta["locked"] = 100, False
    asm = assemble(student, source_nb(), release_nb())
    assert any("points 100 -> 2" in m for m in asm.repairs)
    assert sum(r.points for _, r in asm.test_cells()) == 3.0


def test_load_notebook_errors(tmp_path) -> None:
    with pytest.raises(NotebookError, match="not found"):
        load_notebook(tmp_path / "nb.ipynb")
    (tmp_path / "bad.ipynb").write_text('{"cells": [')
    with pytest.raises(NotebookError, match="not valid JSON"):
        load_notebook(tmp_path / "bad.ipynb")
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    with pytest.raises(NotebookError, match="not a Jupyter notebook"):
        load_notebook(tmp_path / "list.ipynb")
    odd = {"cells": [{"cell_type": "code", "source": ["a", "b"], "metadata": []}, 3]}
    (tmp_path / "odd.ipynb").write_text(json.dumps(odd))
    assert load_notebook(tmp_path / "odd.ipynb").cells[0].source == "ab"


# --------------------------------------------------------------------------- trusted source


def test_check_calls_and_modules() -> None:
    src = ("checks.check_a(f, seed=0)\n### BEGIN HIDDEN TESTS\nfor s in range(2):\n"
           "    check_b(g)\n### END HIDDEN TESTS")
    assert check_calls(src) == ["check_a", "check_b"]
    assert check_calls("%time checks.check_a(f)") == ["check_a"]
    setup = "import numpy as np\nfrom autograder.checks import ex1 as checks\nimport fxchecks"
    assert check_modules([setup], ("autograder.checks", "fxchecks")) == [
        "autograder.checks", "autograder.checks.ex1", "fxchecks"]


@pytest.mark.parametrize(("source", "found"), [
    ("from lstm_reference.lstm import lstm_step_forward", "lstm_reference"),
    ("import importlib\nm = importlib.import_module('lstm_reference.lstm')", "lstm_reference"),
    ("from autograder.checks import base", "autograder"),
    ("# I read lstm_reference for inspiration\nx = 1", None),
    ("lstm_reference_like = 2", None),
    ("def f(:\n  'autograder'", "autograder"),
    # prose in a docstring is not code: an honest student may cite the reference
    ('def f(x):\n    """Like lstm_reference.lstm_step_forward, by hand."""\n    return x', None),
    ('"""Module notes: see lstm_reference."""\nx = 1', None),
    ('def f():\n    """doc"""\n    return __import__("lstm_reference")', "lstm_reference"),
])
def test_uses_forbidden(source: str, found: str | None) -> None:
    assert uses_forbidden(source) == found


# --------------------------------------------------------------------------- verdicts


def _record(check: str, seed: int, outputs) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {PROBE_MIME: {"check": check, "seed": seed, "outputs": encode_value(outputs)}}}


def _executed(outputs: list[dict]) -> nbformat.NotebookNode:
    c = nbformat.v4.new_code_cell("x")
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    return c


SRC = "checks.check_sigmoid(sigmoid, seed=0)"


def test_a_record_passes_only_if_it_passes_outside() -> None:
    z = fxchecks._sigmoid_inputs(0)["z"]
    good = _record("fx.sigmoid", 0, 0.5 * (1 + np.tanh(0.5 * z)))
    assert judge_test_cell(_executed([good]), SRC, 3).passed
    bad = _record("fx.sigmoid", 0, np.tanh(z))
    verdict = judge_test_cell(_executed([bad]), SRC, 3)
    assert not verdict.passed and "off by" in verdict.message


def test_missing_unexpected_and_malformed_records_fail() -> None:
    assert "no result" in judge_test_cell(_executed([]), SRC, 3).message
    other = _record("fx.lstm_step_forward", 0, {"h": np.zeros(1), "C": np.zeros(1)})
    assert "unexpected record" in judge_test_cell(_executed([other]), SRC, 3).message
    broken = {"output_type": "display_data", "metadata": {},
              "data": {PROBE_MIME: {"check": "fx.sigmoid", "seed": "0"}}}
    assert "could not be read" in judge_test_cell(_executed([broken]), SRC, 3).message


def test_errors_timeouts_and_skips() -> None:
    def err(ename: str, evalue: str = "") -> dict:
        return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}

    assert judge_test_cell(_executed([err("NotImplementedError")]), SRC, 3).message == (
        "not attempted yet")
    assert "timed out" in judge_test_cell(_executed([err("KeyboardInterrupt")]), SRC, 3).message
    assert judge_test_cell(_executed([err("NameError", "name 'f' is not defined")]), SRC,
                           3).message == "NameError: name 'f' is not defined"
    z = fxchecks._sigmoid_inputs(0)["z"]
    good = _record("fx.sigmoid", 0, 0.5 * (1 + np.tanh(0.5 * z)))
    assert not judge_test_cell(_executed([good, err("ValueError")]), SRC, 3).passed
    skipped = _executed([])
    skipped.metadata[SKIPPED_KEY] = "did not run: the kernel died"
    assert judge_test_cell(skipped, SRC, 3).message == "did not run: the kernel died"


# --------------------------------------------------------------------------- bugs, diagnosis


def _lstm_case(seed: int = 0, D: int = 3, H: int = 2, B: int = 4, T: int = 3):
    rng = np.random.default_rng(seed)
    p = ref.init_lstm_params(D, H, rng)
    p = {k: v + rng.normal(0, 0.3, v.shape) for k, v in p.items()}
    return (rng.normal(size=(T, D, B)), rng.normal(size=(H, B)), rng.normal(size=(H, B)), p,
            rng.normal(size=(T, H, B)))


def test_correct_catalogue_matches_the_reference() -> None:
    X, h0, C0, p, dhs = _lstm_case()
    h, C, cache = bugs.CORRECT["lstm_step_forward"](X[0], h0, C0, p)
    rh, rC, rcache = ref.lstm_step_forward(X[0], h0, C0, p)
    assert np.allclose(h, rh) and np.allclose(C, rC)
    got = bugs.CORRECT["lstm_step_backward"](dhs[0], C0, cache)
    want = ref.lstm_step_backward(dhs[0], C0, rcache)
    assert diagnose.close(got, want, rtol=1e-12, atol=1e-12)
    hs, final, caches = bugs.CORRECT["lstm_forward"](X, h0, C0, p)
    rhs, rfinal, rcache = ref.lstm_forward(X, h0, C0, p)
    assert diagnose.close((hs, final), (rhs, rfinal), rtol=1e-12, atol=1e-12)
    got = bugs.CORRECT["lstm_backward"](dhs, caches, h0, C0)
    want = ref.lstm_backward(dhs, rcache, h0, C0)
    assert diagnose.close(got, want, rtol=1e-10, atol=1e-12)
    pg = {k: np.random.default_rng(1).normal(size=v.shape) for k, v in
          ref_gru.init_gru_params(3, 2, np.random.default_rng(2)).items()}
    g, _ = bugs.CORRECT["gru_step_forward"](X[0], h0, pg)
    assert np.allclose(g, ref_gru.gru_step_forward(X[0], h0, pg)[0])


@pytest.mark.parametrize("name", list(bugs.BUGS))
def test_every_bug_differs_from_the_reference(name: str) -> None:
    X, h0, C0, p, dhs = _lstm_case(seed=3)
    bug = bugs.BUGS[name]
    fn_name = next(iter(bug.replaces))
    good, bad = bugs.implementation(), bugs.implementation(bug)
    if fn_name == "gru_step_forward":
        pg = ref_gru.init_gru_params(3, 2, np.random.default_rng(0))
        pg = {k: v + 0.3 for k, v in pg.items()}
        assert not diagnose.close(good[fn_name](X[0], h0, pg)[0], bad[fn_name](X[0], h0, pg)[0])
        return
    if fn_name.endswith("step_forward"):
        args = (X[0], h0, C0, p)
    elif fn_name == "lstm_forward":
        args = (X, h0, C0, p)
    elif fn_name == "lstm_step_backward":
        cache = good["lstm_step_forward"](X[0], h0, C0, p)[2]
        args = (dhs[0], C0, cache)
    else:
        args = (dhs, good["lstm_forward"](X, h0, C0, p)[2], h0, C0)  # + dh_T, dC_T
    keep = 2 if fn_name.endswith("forward") else 4  # a forward's cache is not an output
    assert not diagnose.close(good[fn_name](*args)[:keep], bad[fn_name](*args)[:keep])
    assert len(bugs.BUGS) >= 8


@pytest.mark.parametrize("name", ["swap_fi", "swap_fo", "xh", "sigmoid_candidate",
                                  "no_cell_state", "no_tanh"])
def test_diagnosis_names_the_bug(name: str) -> None:
    check = REGISTRY["fx.lstm_step_forward"]
    inputs = check.make_inputs(5)
    buggy = bugs.implementation(bugs.BUGS[name])["lstm_step_forward"]
    outputs = check.run_student(buggy, check.make_inputs(5))
    assert not check.judge(inputs, outputs).ok
    assert diagnose.explain(check.name, inputs, outputs) == (
        "likely bug: " + bugs.BUGS[name].message)
    correct = check.run_student(ref.lstm_step_forward, check.make_inputs(5))
    assert diagnose.explain(check.name, inputs, correct) is None


def test_diagnosis_of_pairs_through_register_target() -> None:
    from autograder.checks.base import Check, Verdict

    name = "fx.test_pair"
    if name not in REGISTRY:
        def run(fns, inputs):
            fwd, bwd = fns
            X, h0, C0, p, dhs = inputs["case"]
            _hs, _, cache = fwd(X, h0, C0, p)
            return {"dX": bwd(dhs, cache)[0]}
        REGISTRY[name] = Check(name, lambda seed: {"case": _lstm_case(seed)}, run,
                               lambda i, o: Verdict(False))
    diagnose.register_target(name, ("lstm_forward", "lstm_backward"))
    check = REGISTRY[name]
    impl = bugs.implementation(bugs.BUGS["missing_dC_next"])
    outputs = check.run_student((impl["lstm_forward"], impl["lstm_backward"]),
                                check.make_inputs(1))
    assert "dC_next" in diagnose.explain(name, check.make_inputs(1), outputs)


# --------------------------------------------------------------------------- reports


def _result(status: str = "failed") -> ExerciseResult:
    r = ExerciseResult("ex9", "assignments/ex9/ex9.ipynb", status,
                       message="test_a: h is off, 50%: bad\nsecond line")
    r.tests = [CellResult("test_a", 2.0, status == "passed", "h is off, 50%: bad", "likely x"),
               CellResult("test_b", 1.0, True)]
    r.seconds = 1.25
    return r


def test_results_json_is_gradescope_shaped_and_merges() -> None:
    doc = report.results_json([_result()])
    assert set(doc) >= {"score", "execution_time", "output", "tests"}
    assert doc["score"] == 1.0 and doc["extra_data"]["max_score"] == 3.0
    assert {t["status"] for t in doc["tests"]} == {"passed", "failed"}
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in doc["tests"])
    other = report.results_json([ExerciseResult("ex1", "a/ex1.ipynb", "passed")])
    merged = report.merge([doc, other])
    assert [e["exercise"] for e in merged["extra_data"]["exercises"]] == ["ex1", "ex9"]
    assert not report.all_passed(merged)


def test_table_markdown_and_annotations() -> None:
    doc = report.results_json([_result(), _result("passed")])
    text = report.table(doc)
    assert text.splitlines()[0].split() == ["exercise", "points", "result", "time", "first",
                                            "failing", "check"]
    assert "FAIL" in text and "pass" in text and "1.2s" in text
    md = report.markdown(doc)
    assert "| Exercise | Points |" in md and "❌ fail" in md
    [line] = report.annotations(doc)
    assert line.startswith("::error file=assignments/ex9/ex9.ipynb,title=ex9 1/3::")
    assert "%0A" in line and "50%25" in line and "\n" not in line


def test_feedback_hides_hidden_tests_and_tracebacks() -> None:
    r = _result()
    asm = assemble(student_from_source(), source_nb(), release_nb())
    executed = deep(asm.nb)
    for i, _role in asm.test_cells():
        executed.cells[i].outputs = [nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="x",
            traceback=["checks.check_sigmoid(sigmoid)  # hidden line"])]
    r.executed, r.assembled = executed, asm
    page = report.feedback_html(r)
    assert "hidden line" not in page and "HIDDEN" not in page
    assert "checks.check_sigmoid(sigmoid, seed=0)" in page


# --------------------------------------------------------------------------- limits, CLI


def test_limits_from_env() -> None:
    lim = from_env(Limits(), {"AUTOGRADE_CELL_TIMEOUT": "3", "AUTOGRADE_JOBS": "1"})
    assert lim.cell_timeout == 3.0 and lim.jobs == 1 and isinstance(lim.jobs, int)
    with pytest.raises(ValueError, match="AUTOGRADE_MEMORY_BYTES"):
        from_env(Limits(), {"AUTOGRADE_MEMORY_BYTES": "lots"})
    with pytest.raises(ValueError, match="positive"):
        from_env(Limits(), {"AUTOGRADE_CELL_TIMEOUT": "-1"})


@pytest.mark.parametrize("argv", [
    ["does/not/exist"],
    [str(COURSE), "--exercise", "nope"],
    [str(COURSE), "--jobs", "0"],
    ["--no-such-flag"],
    [str(ROOT / "README.md")],
    ["--merge", str(ROOT / "README.md")],
])
def test_usage_errors_exit_2_with_one_line(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("autograde: ") and err.count("\n") == 1, err


def test_usage_error_from_the_console_script_has_no_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "nowhere"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == "autograde: nowhere: no such file or folder\n"


def test_fixture_course_is_up_to_date(tmp_path, monkeypatch) -> None:
    import build_fixture

    monkeypatch.setattr(build_fixture, "COURSE", tmp_path)
    build_fixture.main()
    for path in tmp_path.rglob("*.ipynb"):
        rel = path.relative_to(tmp_path)
        assert path.read_text() == (COURSE / rel).read_text(), f"rebuild the fixture: {rel}"


EX1_TARGETS = {
    "ex1.lstm_step_forward": None,
    "ex1.lstm_step_backward": ("lstm_step_forward", "lstm_step_backward"),
    "ex1.lstm_forward": None,
    "ex1.lstm_backward": ("lstm_forward", "lstm_backward"),
}


@pytest.mark.parametrize("check_name", list(EX1_TARGETS))
def test_diagnosis_on_exercise_1_checks(check_name: str) -> None:
    """Every known bug that a check of exercise 1 can see is named for that check."""
    from autograder.checks import ex1  # noqa: F401  (registers the checks)

    check, pair = REGISTRY[check_name], EX1_TARGETS[check_name]
    base = check_name.split(".")[1]
    named = 0
    for bug in bugs.BUGS.values():
        if not any(k == base or (pair and k in pair) for k in bug.replaces):
            continue
        impl = bugs.implementation(bug)
        obj = (impl[pair[0]], impl[pair[1]]) if pair else impl[base]
        outputs = check.run_student(obj, check.make_inputs(11))
        assert not check.judge(check.make_inputs(11), outputs).ok, bug.name
        assert diagnose.explain(check_name, check.make_inputs(11), outputs) == (
            "likely bug: " + bug.message), bug.name
        named += 1
    assert named >= 6


@pytest.mark.parametrize("name", ["gru_z_swapped", "gru_reset_after"])
def test_diagnosis_on_exercise_5_gru_step(name: str) -> None:
    from autograder.checks import ex5  # noqa: F401  (registers the checks)

    check = REGISTRY["ex5.gru_step_forward"]
    buggy = bugs.implementation(bugs.BUGS[name])["gru_step_forward"]
    outputs = check.run_student(buggy, check.make_inputs(4))
    assert not check.judge(check.make_inputs(4), outputs).ok
    assert diagnose.explain(check.name, check.make_inputs(4), outputs) == (
        "likely bug: " + bugs.BUGS[name].message)


def test_schedule_starts_the_longest_first(tmp_path) -> None:
    from autograder.grade import Target, expected_seconds, schedule

    targets = [Target(name, tmp_path / f"{name}.ipynb", None, None, True)
               for name in ("a", "b", "c", "d")]
    assert schedule(targets, {"a": 1.0, "b": 30.0, "c": 5.0}) == [3, 1, 2, 0]
    assert schedule(targets, None) == [0, 1, 2, 3]
    doc = report.results_json([_result()])
    (tmp_path / "r.json").write_text(json.dumps(doc))
    assert expected_seconds(tmp_path / "r.json") == {"ex9": 1.25}
    (tmp_path / "bad.json").write_text("{")
    assert expected_seconds(tmp_path / "bad.json") == {}
    assert expected_seconds(tmp_path / "none.json") == {}
