"""Written prompts have manually graded answer cells with a rubric, and the autograder leaves
them to the instructor: they are neither tests nor counted in the autograded points."""

from __future__ import annotations

import copy
import re

import pytest

from autograder.assemble import assemble, nbgrader_meta, release_stub
from course.build import available_exercises, build_notebook, rubric_markdown

EXERCISES = available_exercises()
AUTOGRADED_POINTS = 78
PROMPT = re.compile(r"Write (a few sentences|down, in your own words)|Which cell would you pick")


def _written(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown"
            and (nbgrader_meta(c) or {}).get("grade") and (nbgrader_meta(c) or {}).get("solution")]


def _released(nb):
    """What a student starts from: code solutions stubbed (written answers stay as written)."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        meta = nbgrader_meta(cell) or {}
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = release_stub(cell.source)
    return out


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_written_prompt_is_followed_by_an_answer_cell(exercise: str) -> None:
    nb = build_notebook(exercise)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and PROMPT.search(cell.source):
            following = nb.cells[k + 1]
            assert following in _written(nb), (
                f"{exercise}: the prompt in cell {k} has no manually graded answer cell after it")
            meta = nbgrader_meta(following)
            assert meta["points"] > 0 and "YOUR ANSWER HERE" in following.source


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_written_answer_has_a_rubric(exercise: str) -> None:
    written = [nbgrader_meta(c)["grade_id"] for c in _written(build_notebook(exercise))]
    text = rubric_markdown(exercise)
    if not written:
        assert text is None
        return
    assert text is not None
    for gid in written:
        section = text.split(f"## `{gid}`")[1].split("\n## ")[0]
        assert "point" in section and section.count("\n- ") >= 2, section


def test_autograded_points_are_unchanged_and_written_ones_come_on_top() -> None:
    auto = written = 0.0
    for exercise in EXERCISES:
        nb = build_notebook(exercise)
        asm = assemble(_released(nb), nb, _released(nb))
        kinds = {r.grade_id: r.kind for r in asm.roles if r.grade_id}
        for cell in _written(nb):
            assert kinds[nbgrader_meta(cell)["grade_id"]] == "written"
        tests = asm.test_cells()
        assert all(role.kind == "test" for _, role in tests)
        assert not {role.grade_id for _, role in tests} & {
            nbgrader_meta(c)["grade_id"] for c in _written(nb)}
        auto += sum(role.points for _, role in tests)
        written += sum(nbgrader_meta(c)["points"] for c in _written(nb))
    assert auto == AUTOGRADED_POINTS
    assert written == 10  # ex2 2, ex3 3, ex4 3, ex5 2


def test_the_rubric_is_not_released(tmp_path) -> None:
    """nbgrader copies every file of source/<id>/ into release/ unless it is ignored."""
    from course.release import course_config

    ignore = course_config(tmp_path).CourseDirectory.ignore
    assert "rubric.md" in ignore


@pytest.mark.slow
def test_generate_assignment_leaves_the_rubric_out(tmp_path) -> None:
    from course.build import build_all
    from course.release import generate_release

    build_all(tmp_path / "source", ["ex2_gate_analysis"])
    assert (tmp_path / "source" / "ex2_gate_analysis" / "rubric.md").exists()
    generate_release(tmp_path / "source", tmp_path / "release", ["ex2_gate_analysis"])
    released = sorted(p.name for p in (tmp_path / "release" / "ex2_gate_analysis").iterdir())
    assert released == ["ex2_gate_analysis.ipynb"]
