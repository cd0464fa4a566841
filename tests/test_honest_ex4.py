"""Exercise 4: every honest solution of the corpus (``tests/honest/ex4_long_range.py``)
passes every function check on several seeds, graded as the grader does."""

from __future__ import annotations

import pytest
from honest import ex4_long_range as corpus
from honest_harness import (
    assert_corpus_is_varied,
    assert_student_passes,
    student_namespace,
)

ASSIGNMENT = "ex4_long_range"
SEEDS = (0, 2024)  # the generator check draws 3 x 2000 sequences per seed

#: check -> what the test cell passes to it
CHECKS = {
    "ex4.temporal_order": ("temporal_order",),
    "ex4.gradient_flow": ("gradient_flow",),
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
