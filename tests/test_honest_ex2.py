"""Exercise 2: every honest solution of the corpus (``tests/honest/ex2_gate_analysis.py``)
passes every function check on several seeds, graded as the grader does."""

from __future__ import annotations

import pytest
from honest import ex2_gate_analysis as corpus
from honest_harness import (
    assert_corpus_is_varied,
    assert_student_passes,
    student_namespace,
)

ASSIGNMENT = "ex2_gate_analysis"
SEEDS = (0, 1, 2024)

#: check -> what the test cell passes to it
CHECKS = {
    "ex2.record_gates": ("record_gates",),
    "ex2.find_tracking_unit": ("find_tracking_unit",),
    "ex2.find_country_unit": ("find_country_unit",),
    "ex2.saturation_stats": ("saturation_stats",),
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
