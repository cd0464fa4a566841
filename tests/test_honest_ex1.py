"""Exercise 1: every honest solution of the corpus (``tests/honest/ex1_lstm_from_scratch.py``)
passes every function check on several seeds, graded as the grader does."""

from __future__ import annotations

import pytest
from honest import ex1_lstm_from_scratch as corpus
from honest_harness import (
    assert_corpus_is_varied,
    assert_student_passes,
    student_namespace,
)

ASSIGNMENT = "ex1_lstm_from_scratch"
SEEDS = (0, 1, 2024)

#: check -> what the test cell passes to it
CHECKS = {
    "ex1.sigmoid": ("sigmoid",),
    "ex1.lstm_step_forward": ("lstm_step_forward",),
    "ex1.lstm_step_backward": ("lstm_step_forward", "lstm_step_backward"),
    "ex1.numerical_gradient": ("numerical_gradient",),
    "ex1.lstm_forward": ("lstm_forward",),
    "ex1.lstm_backward": ("lstm_forward", "lstm_backward"),
    "ex1.softmax_cross_entropy": ("softmax_cross_entropy",),
    "ex1.clip_gradients": ("clip_gradients",),
    "ex1.char_loss": ("char_loss",),
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
