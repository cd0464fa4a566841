"""Exercise 5: every honest solution of the corpus (``tests/honest/ex5_gru.py``)
passes every function check on several seeds, graded as the grader does."""

from __future__ import annotations

import pytest
from honest import ex5_gru as corpus
from honest_harness import (
    assert_corpus_is_varied,
    assert_student_passes,
    student_namespace,
)

ASSIGNMENT = "ex5_gru"
SEEDS = (0, 1, 2024)

#: check -> what the test cell passes to it
CHECKS = {
    "ex5.gru_step_forward": ("gru_step_forward",),
    "ex5.gru_step_backward": ("gru_step_forward", "gru_step_backward"),
    "ex5.gru_forward": ("gru_forward",),
    "ex5.gru_backward": ("gru_forward", "gru_backward"),
    "ex5.count_params": ("count_params",),
}


@pytest.fixture(scope="module")
def namespaces():
    return {s: student_namespace(ASSIGNMENT, corpus.source_of(s)) for s in corpus.STUDENTS}


def test_the_corpus_is_large_and_every_answer_is_used():
    assert_corpus_is_varied(corpus)


@pytest.mark.parametrize("student", sorted(corpus.STUDENTS))
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_honest_solution_passes(namespaces, student, check):
    assert_student_passes(corpus, student, namespaces[student], check, CHECKS[check], SEEDS)
