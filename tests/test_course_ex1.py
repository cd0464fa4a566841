"""Exercise 1 through real nbgrader: the solution scores full marks, the released notebook 0,
every mutant loses points in the test cell meant to catch it, and the verdicts recomputed
outside the kernel from the probe records agree with nbgrader's."""

from __future__ import annotations

import html
import re

import pytest
from course_harness import answer_sources, apply_edits, source_notebook
from mutant_table import run_mutants, table
from mutants.ex1_lstm_from_scratch import CAUGHT_BY, MUTANTS

EX = "ex1_lstm_from_scratch"


def test_mutant_snippets_occur_in_the_solution():
    answers = answer_sources(source_notebook(EX))
    for name, edits in MUTANTS.items():
        assert apply_edits(answers, edits) != answers, name
    assert set(CAUGHT_BY) == set(MUTANTS)


@pytest.fixture(scope="module")
def trip():
    return run_mutants(EX, MUTANTS, feedback=True)


@pytest.mark.slow
def test_solution_full_marks(trip):
    got, total = trip.total("solution")
    assert total >= 20 and got == total, {g: trip.error_of("solution", g) for g in
                                          trip.lost("solution")}
    assert trip.outside_failures("solution") == []


@pytest.mark.slow
def test_released_scores_zero_without_crashing(trip):
    assert trip.scores["released"], f"autograde crashed:\n{trip.log[-2000:]}"
    assert trip.total("released")[0] == 0
    for gid in trip.lost("released"):
        assert "NotImplementedError" in trip.error_of("released", gid) or \
            "NameError" in trip.error_of("released", gid)


@pytest.mark.slow
def test_every_mutant_loses_points(trip):
    print("\n" + table(trip, MUTANTS))
    for name in MUTANTS:
        student = f"mutant-{name.replace('_', '-')}"
        got, total = trip.total(student)
        assert total > 0 and got < total, f"{name} was not caught"
        assert CAUGHT_BY[name] in trip.lost(student), (name, trip.lost(student))
        # judged again outside the kernel from the probe records: the same cells fail
        assert trip.outside_failures(student) == trip.lost(student), name


@pytest.mark.slow
def test_feedback_does_not_reveal_hidden_tests(trip):
    text = html.unescape(re.sub(r"<[^>]+>", "", trip.feedback.get("solution", "")))
    assert "26.0 / 26.0" in text, "no feedback for the solution"
    assert "BEGIN HIDDEN TESTS" not in text
    # the hidden parts call the checks without a fixed seed; the visible parts always pass one
    assert "checks.check_lstm_step_forward(lstm_step_forward)" not in text
    assert "checks.check_lstm_step_forward(lstm_step_forward, seed=0)" in text
