"""``autograde publish``: the student template holds what a student needs and no answer.

The end-to-end test publishes the kit's template, grades it unanswered (every exercise 0, no
error), types the source solutions into it, grades it again (every point), and greps the
published tree for every line of every solution. It grades with the template's own copy of
the grader (``PYTHONPATH`` = the template, run from inside it).

Needs the generated notebooks in source/ and release/ (``make release``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from course_harness import ROOT, filled_release

from autograder.publish.vet import check_aliases, unsafe_reason

BIN = ROOT / ".venv" / "bin"
EXERCISES = ["ex1_lstm_from_scratch", "ex2_gate_analysis", "ex3_ablation", "ex4_long_range",
             "ex5_gru"]
TOTAL = 78
INSTRUCTOR_ONLY = ["autograder/instructor.py", "autograder/collect.py", "autograder/batch.py",
                   "autograder/gradebook.py", "autograder/publish"]


def _env(dest: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if dest is not None:
        env["PYTHONPATH"] = str(dest)
    env.update(extra)
    return env


def publish(*args: str, course: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "autograde"), "publish", *args, "--course", str(course)],
                          capture_output=True, text=True, env=_env(), timeout=120)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(folder).parts}


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def between(source: str, begin: str, end: str) -> list[str]:
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside and line.strip():
            out.append(line.strip())
    return out


def solution_lines() -> set[str]:
    """Every non-blank line between the solution markers of every source notebook."""
    return {line for ex in EXERCISES
            for c in cells(ROOT / "source" / ex / f"{ex}.ipynb")
            for line in between(text(c["source"]), "### BEGIN SOLUTION", "### END SOLUTION")}


def hidden_lines() -> set[str]:
    return {line for ex in EXERCISES
            for c in cells(ROOT / "source" / ex / f"{ex}.ipynb")
            for line in between(text(c["source"]), "### BEGIN HIDDEN TESTS",
                                "### END HIDDEN TESTS")}


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def published_lines(folder: Path) -> dict[str, set[str]]:
    """Stripped lines of every text file (a notebook's lines are its cells' lines)."""
    out = {}
    for rel, data in files_of(folder).items():
        try:
            body = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the checkpoint (.npz)
        if rel.endswith(".ipynb"):
            body = "\n".join(text(c["source"]) for c in json.loads(body)["cells"])
        elif rel.endswith(".json"):  # the manifest: the text of its strings
            body = "\n".join(strings(json.loads(body)))
        out[rel] = {line.strip() for line in body.splitlines()}
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("pub") / "lstm-lab"
    proc = publish(str(dest))
    assert proc.returncode == 0, proc.stderr
    assert "5 exercises, 78 points" in proc.stdout
    return dest


def test_template_holds_the_student_files_only(template: Path) -> None:
    top = sorted(p.name for p in template.iterdir())
    assert top == [".github", ".gitignore", "Makefile", "README.md", "assignments", "autograder",
                   "lstm_reference", "pyproject.toml", "release"]
    assert [p.name for p in (template / ".github" / "workflows").iterdir()] == ["classroom.yml"]
    for ex in EXERCISES:  # the release notebooks, as assignments/ and as the trusted copy
        release = (ROOT / "release" / ex / f"{ex}.ipynb").read_bytes()
        assert (template / "assignments" / ex / f"{ex}.ipynb").read_bytes() == release
        assert (template / "release" / ex / f"{ex}.ipynb").read_bytes() == release
    for rel in INSTRUCTOR_ONLY:
        assert not (template / rel).exists(), rel
    # the package files are the kit's own, unchanged
    for rel, data in files_of(template).items():
        if rel.startswith(("autograder/", "lstm_reference/")):
            assert (ROOT / rel).read_bytes() == data, rel
    readme = (template / "README.md").read_text()
    assert "| **total** | | **78** |" in readme and "lstm_reference" in readme
    assert "@@" not in readme


def leaked_solution_lines(folder: Path) -> dict[str, list[str]]:
    """Solution lines found in a published tree, by file.

    A line of a solution does not count where the source notebooks also show it outside their
    solutions, or, inside the shipped library files (byte-identical to the kit's, checked in
    the test above), where the library itself has it: the template keeps the reference
    library, as the exercises use it.
    """
    given = set()
    for ex in EXERCISES:
        for c in cells(ROOT / "source" / ex / f"{ex}.ipynb"):
            inside = False
            for line in text(c["source"]).splitlines():
                if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                    inside = line.strip() == "### BEGIN SOLUTION"
                elif not inside:
                    given.add(line.strip())
    lines = published_lines(folder)
    library = set().union(*(found for rel, found in lines.items()
                            if rel.startswith(("autograder/", "lstm_reference/"))))
    solutions = solution_lines()
    assert len(solutions) > 200 and len(solutions - given - library) > 100  # notebooks read
    leaks = {}
    for rel, found in lines.items():
        secret = solutions - given
        if rel.startswith(("autograder/", "lstm_reference/")):
            secret = secret - library
        if secret & found or "### BEGIN SOLUTION" in found:
            leaks[rel] = sorted(secret & found)[:5]
    return leaks


def test_no_solution_line_anywhere(template: Path, tmp_path: Path) -> None:
    assert leaked_solution_lines(template) == {}
    # the check finds a leak: one solution line in the README, a solution in a notebook
    leaky = tmp_path / "leaky"
    shutil.copytree(template, leaky)
    line = "C = f * C_prev + i * C_tilde"
    assert line in solution_lines()
    with open(leaky / "README.md", "a") as fh:
        fh.write(f"\n    {line}\n")
    ex = "ex5_gru"
    nbformat.write(filled_release(ex), leaky / "assignments" / ex / f"{ex}.ipynb")
    leaks = leaked_solution_lines(leaky)
    assert sorted(leaks) == ["README.md", f"assignments/{ex}/{ex}.ipynb"]
    assert leaks["README.md"] == [line]


def test_every_hidden_test_ships_in_the_manifest(template: Path) -> None:
    manifest = json.loads((template / "release" / "hidden_tests.json").read_text())
    shipped = {line.strip() for ex in manifest["exercises"].values()
               for source in ex["tests"].values() for line in source.splitlines()}
    assert hidden_lines() and hidden_lines() <= shipped
    assert all(not ex["withheld"] for ex in manifest["exercises"].values())


def test_publishing_twice_gives_the_same_tree(template: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    proc = publish(str(again), "--git")
    assert proc.returncode == 0, proc.stderr
    assert files_of(again) == files_of(template)
    other = tmp_path / "other"
    assert publish(str(other), "--git").returncode == 0

    def git(repo: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert git(again, "rev-list", "--count", "HEAD") == "1"
    assert git(again, "status", "--porcelain") == ""
    assert git(again, "rev-parse", "HEAD^{tree}") == git(other, "rev-parse", "HEAD^{tree}")
    assert sorted(git(again, "ls-files").splitlines()) == sorted(files_of(template))


def test_destination_guards(template: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    proc = publish(str(busy))
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert (busy / "notes.txt").read_text() == "mine"
    assert publish(str(busy), "--force").returncode == 0
    assert files_of(busy) == files_of(template)
    proc = publish(str(ROOT), "--force")
    assert proc.returncode == 2 and "kit itself" in proc.stderr
    assert (ROOT / "source").is_dir()


def test_a_folder_inside_the_kit_is_refused(tmp_path: Path) -> None:
    """`publish source --force` run in the kit would replace the solutions by the template."""
    kit = _kit_copy(tmp_path)
    before = sorted(p.relative_to(kit) for p in (kit / "source").rglob("*"))
    for dest, extra in ((kit / "source", ["--force"]), (kit / "student", [])):
        proc = publish(str(dest), *extra, course=kit)
        assert proc.returncode == 2 and "inside the kit" in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert sorted(p.relative_to(kit) for p in (kit / "source").rglob("*")) == before
    assert not (kit / "student").exists()


def test_publishing_into_a_clone_keeps_its_history(template: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert publish(str(repo), "--git").returncode == 0
    (repo / "assignments" / "stray.txt").write_text("not part of the template")
    (repo / "README.md").write_text("edited")
    proc = publish(str(repo), "--git", "--force")
    assert proc.returncode == 2 and "already a git repository" in proc.stderr
    assert publish(str(repo), "--force").returncode == 0
    assert files_of(repo) == files_of(template)  # the stray file is gone, the README restored
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""  # same files as the commit: nothing to commit
    assert not list(tmp_path.glob(".repo.*"))


# --------------------------------------------------------------------------- hidden tests


def _kit_copy(tmp_path: Path) -> Path:
    kit = tmp_path / "kit"
    kit.mkdir()
    for sub in ("source", "release"):
        shutil.copytree(ROOT / sub, kit / sub)
    for sub in ("autograder", "lstm_reference"):
        (kit / sub).symlink_to(ROOT / sub)
    shutil.copy(ROOT / "pyproject.toml", kit / "pyproject.toml")
    return kit


def test_a_literal_hidden_test_stops_publish(tmp_path: Path) -> None:
    kit = _kit_copy(tmp_path)
    path = kit / "source" / "ex1_lstm_from_scratch" / "ex1_lstm_from_scratch.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_numerical_gradient")
    secret = "assert abs(float(sigmoid(0.25)) - 0.5621765008857981) < 1e-12"
    cell.source = cell.source.replace("### END HIDDEN TESTS", f"{secret}\n### END HIDDEN TESTS")
    nbformat.write(nb, path)

    dest = tmp_path / "out"
    proc = publish(str(dest), course=kit)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("autograde publish: ex1_lstm_from_scratch/"
                                  "test_numerical_gradient: ")
    assert "--hide-tests" in proc.stderr and proc.stderr.count("\n") == 1
    assert not dest.exists() and not list(tmp_path.glob(".out.publishing-*"))

    proc = publish(str(dest), "--hide-tests", course=kit)
    assert proc.returncode == 0, proc.stderr
    hidden = hidden_lines() | {secret}
    for rel, found in published_lines(dest).items():
        assert not hidden & found, f"{rel}: {sorted(hidden & found)[:3]}"
    manifest = json.loads((dest / "release" / "hidden_tests.json").read_text())
    ex1 = manifest["exercises"]["ex1_lstm_from_scratch"]
    assert ex1["tests"] == {} and "test_numerical_gradient" in ex1["withheld"]
    assert "test_memorised" not in ex1["withheld"]  # it has no hidden tests
    assert "only when your instructor grades" in (dest / "README.md").read_text()


ALIASES = check_aliases(["from autograder.checks import ex1 as checks"])


@pytest.mark.parametrize(("hidden", "reason"), [
    ("checks.check_sigmoid(sigmoid)", None),
    ("checks.check_lstm_backward((lstm_forward, lstm_backward))", None),
    ("checks.check_sigmoid(sigmoid, seed=3)", "keyword"),
    ("checks.check_sigmoid(lambda z: 0.5)", "other than the notebook's names"),
    ("checks.check_sigmoid(sigmoid, 0.5)", "other than the notebook's names"),
    ("checks.no_such_check(sigmoid)", "registered check"),
    ("checks.run_check('ex1.sigmoid', sigmoid)", "registered check"),
    ("np.testing.assert_allclose(sigmoid(0.0), 0.5)", "registered check"),
    ("assert sigmoid(0.0) == 0.5", "not a call"),
    ("x = checks.check_sigmoid(sigmoid)", "not a call"),
    ("checks.check_sigmoid(sigmoid", "not valid Python"),
])
def test_which_hidden_tests_may_ship(hidden: str, reason: str | None) -> None:
    got = unsafe_reason(hidden, ALIASES)
    assert (got is None) if reason is None else (got is not None and reason in got), got


# --------------------------------------------------------------------------- grading


def test_template_modules_import_from_the_template_alone(template: Path) -> None:
    """With the kit's editable install hidden, every shipped module imports from the template
    (nothing the grading path needs was left behind)."""
    modules = [p.relative_to(template).with_suffix("").as_posix().replace("/", ".")
               .removesuffix(".__init__")
               for p in sorted(template.rglob("*.py"))]
    code = ("import sys, importlib\n"
            "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
            f"sys.path.insert(0, {str(template)!r})\n"
            f"for name in {modules!r}:\n"
            "    m = importlib.import_module(name)\n"
            f"    assert m.__file__.startswith({str(template)!r}), (name, m.__file__)\n"
            "print(len(sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=template, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _workflow_grade_step(template: Path) -> str:
    wf = yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())
    script = next(s["run"] for s in wf["jobs"]["run-autograding-tests"]["steps"]
                  if s.get("name") == "Grade")
    helptext = subprocess.run([str(BIN / "autograde"), "--help"], capture_output=True,
                              text=True, env=_env()).stdout
    if "--strict" not in helptext:  # the flag arrives with another branch; same exit code here
        script = script.replace(" --strict", "")
    return script


@pytest.mark.slow
def test_template_grades_zero_then_every_point(template: Path, tmp_path: Path) -> None:
    dest = tmp_path / "student"
    shutil.copytree(template, dest)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    # 1. the workflow's own command on the unanswered template: 0 everywhere, no error
    outputs = tmp_path / "outputs.txt"
    outputs.write_text("")
    proc = subprocess.run(["bash", "-e", "-c", _workflow_grade_step(dest)], cwd=dest,
                          capture_output=True, text=True, timeout=300,
                          env=_env(dest, GITHUB_STEP_SUMMARY=str(summary),
                                   GITHUB_OUTPUT=str(outputs)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads((dest / "grader-output" / "results.json").read_text())
    exercises = doc["extra_data"]["exercises"]
    assert [e["exercise"] for e in exercises] == EXERCISES
    assert all(e["status"] == "not attempted" and e["points"] == 0 for e in exercises), [
        (e["exercise"], e["status"], e["message"]) for e in exercises]
    assert doc["extra_data"]["max_score"] == TOTAL
    assert "::notice title=Autograding complete::Points 0/78" in proc.stdout
    assert '::notice title=Autograding report::{"totalPoints": 0, "maxPoints": 78}' in (
        proc.stdout)
    assert "every exercise: every test cell ran, hidden tests included" in proc.stdout
    assert "| `ex5_gru` | 0/19 | ⬜ not attempted |" in summary.read_text()
    assert "hidden tests included" in summary.read_text()
    assert "Traceback" not in proc.stdout + proc.stderr
    # one runner result per exercise, as Classroom's reporter reads them (base64 JSON)
    runners = {k: json.loads(base64.b64decode(v)) for k, v in (
        line.split("=", 1) for line in outputs.read_text().splitlines())}
    assert list(runners) == EXERCISES
    assert sum(r["max_score"] for r in runners.values()) == TOTAL
    assert {r["status"] for r in runners.values()} == {"fail"}
    assert all(t["score"] == 0 for r in runners.values() for t in r["tests"])

    # 2. solved with the source solutions: every point, through `make grade`
    for ex in EXERCISES:
        nbformat.write(filled_release(ex), dest / "assignments" / ex / f"{ex}.ipynb")
    venv = tmp_path / "venv"  # make must not (re)install anything: a venv that is up to date
    (venv / "bin").mkdir(parents=True)
    for tool in ("python", "autograde"):
        (venv / "bin" / tool).symlink_to(BIN / tool)
    (venv / ".installed-stamp").touch()
    stamp = venv / ".installed-stamp"
    proc = subprocess.run(["make", "-o", str(stamp), "grade", f"VENV={venv}"], cwd=dest,
                          capture_output=True, text=True, timeout=600, env=_env(dest))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "total 78/78: 5 of 5 exercises passed" in proc.stdout
    doc = json.loads((dest / "grader-output" / "results.json").read_text())
    assert doc["score"] == TOTAL and all(e["passed"] for e in doc["extra_data"]["exercises"])


@pytest.mark.slow
def test_template_grades_its_hidden_tests(template: Path, tmp_path: Path) -> None:
    """The grader runs the manifest's hidden tests: one that judges the reference's sigmoid's
    negation fails test_sigmoid while its visible test passes."""
    dest = tmp_path / "student"
    shutil.copytree(template, dest)
    ex = "ex1_lstm_from_scratch"
    nbformat.write(filled_release(ex), dest / "assignments" / ex / f"{ex}.ipynb")
    path = dest / "release" / "hidden_tests.json"
    manifest = json.loads(path.read_text())
    tests = manifest["exercises"][ex]["tests"]
    tests["test_sigmoid"] = tests["test_sigmoid"].replace(
        "checks.check_sigmoid(sigmoid)\n", "checks.check_sigmoid(lambda z: 1 - sigmoid(z))\n")
    path.write_text(json.dumps(manifest))
    proc = subprocess.run([str(BIN / "autograde"), "assignments", "--exercise", ex], cwd=dest,
                          capture_output=True, text=True, timeout=300, env=_env(dest))
    doc = json.loads((dest / "grader-output" / "results.json").read_text())
    lost = [t["grade_id"] for t in doc["extra_data"]["exercises"][0]["tests"] if not t["passed"]]
    assert lost == ["test_sigmoid"], proc.stdout + proc.stderr


# --------------------------------------------------------------------------- reports


def _doc(points: list[tuple[str, float, float, list[str]]]) -> dict:
    from autograder import report

    exercises = [{"exercise": ex, "notebook": f"assignments/{ex}/{ex}.ipynb", "status": "failed",
                  "passed": got == most, "points": got, "max_points": most, "seconds": 1.0,
                  "message": "", "repairs": [], "notes": notes, "tests": []}
                 for ex, got, most, notes in points]
    return report._assemble_json(exercises)


def test_classroom_notices_sum_every_exercise() -> None:
    from autograder import report

    doc = _doc([("ex1", 3.5, 26.0, []), ("ex2", 13.0, 13.0, [])])
    assert report.classroom_annotations(doc) == [
        "::notice title=Autograding complete::Points 16.5/39",
        '::notice title=Autograding report::{"totalPoints": 16.5, "maxPoints": 39}']


def test_a_note_every_exercise_shares_is_said_once() -> None:
    from autograder import report

    doc = _doc([("ex1", 0.0, 2.0, ["same", "only one"]), ("ex2", 0.0, 2.0, ["same"])])
    assert report.notes(doc) == ["ex1: only one", "every exercise: same"]
    assert report.table(doc).count("same") == 1
    assert "- every exercise: same" in report.markdown(doc)


def test_instructor_commands_are_not_in_the_template(template: Path) -> None:
    code = ("import sys\n"
            "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
            f"sys.path.insert(0, {str(template)!r})\n"
            "from autograder.cli import main\n"
            "main(sys.argv[1:])\n")
    for command in ("collect", "batch", "publish"):
        proc = subprocess.run([sys.executable, "-c", code, command, "--help"], cwd=template,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (f"autograde {command}: an instructor's command, not part of the "
                               "student template\n")


def test_a_broken_manifest_is_a_one_line_error(template: Path, tmp_path: Path) -> None:
    dest = tmp_path / "student"
    shutil.copytree(template, dest)
    (dest / "release" / "hidden_tests.json").write_text('{"format": 1, "exercises": [')
    proc = subprocess.run([str(BIN / "autograde"), "assignments"], cwd=dest, capture_output=True,
                          text=True, timeout=120, env=_env(dest))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "hidden_tests.json" in proc.stderr
    assert "restore it from the template" in proc.stderr and "Traceback" not in proc.stderr


def test_each_exercise_is_a_classroom_runner_result() -> None:
    from autograder import report

    doc = _doc([("ex1", 2.0, 3.0, []), ("ex2", 0.0, 4.0, [])])
    doc["extra_data"]["exercises"][0]["tests"] = [
        {"grade_id": "test_a", "passed": True, "points": 2.0, "max_points": 2.0,
         "message": "", "hint": ""},
        {"grade_id": "test_b", "passed": False, "points": 0.0, "max_points": 1.0,
         "message": "wrong shape", "hint": ""}]
    doc["extra_data"]["exercises"][1].update(status="error", message="not valid JSON")
    lines = report.classroom_outputs(doc)
    got = {k: json.loads(base64.b64decode(v)) for k, v in (x.split("=", 1) for x in lines)}
    assert got["ex1"] == {"version": 1, "status": "fail", "max_score": 3, "tests": [
        {"name": "test_a", "status": "pass", "score": 2, "message": ""},
        {"name": "test_b", "status": "fail", "score": 0, "message": "wrong shape"}]}
    assert got["ex2"]["status"] == "error" and got["ex2"]["max_score"] == 4
    assert got["ex2"]["tests"] == [{"name": "notebook", "status": "error", "score": 0,
                                    "message": "not valid JSON"}]


def test_a_release_notebook_holding_a_solution_is_refused(tmp_path: Path) -> None:
    """A release/ built without clearing the solutions (a misconfigured nbgrader) would
    hand every answer out: publish stops, writes nothing, and says which file."""
    kit = _kit_copy(tmp_path)
    ex = "ex3_ablation"
    nbformat.write(filled_release(ex), kit / "release" / ex / f"{ex}.ipynb")
    dest = tmp_path / "out"
    proc = publish(str(dest), course=kit)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"autograde publish: assignments/{ex}/{ex}.ipynb would "
                                  "contain solution or hidden-test text")
    assert not dest.exists()
