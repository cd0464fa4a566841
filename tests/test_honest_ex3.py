"""Exercise 3: every honest solution of the corpus (``tests/honest/ex3_ablation.py``)
passes every function check on several seeds, graded as the grader does."""

from __future__ import annotations

import pytest
from honest import ex3_ablation as corpus
from honest_harness import grade, student_namespace

ASSIGNMENT = "ex3_ablation"
SEEDS = (0, 1, 2024)

#: check -> what the test cell passes to it
CHECKS = {
    "ex3.variant_forward": ("ablated_step_forward",),
    "ex3.variant_backward": ("ablated_step_forward", "ablated_step_backward"),
}


@pytest.fixture(scope="module")
def namespaces():
    return {s: student_namespace(ASSIGNMENT, corpus.source_of(s)) for s in corpus.STUDENTS}


def test_the_corpus_is_large_and_every_answer_is_used():
    assert len(corpus.STUDENTS) >= 15
    combos = {tuple(sorted(c.items())) for c in corpus.STUDENTS.values()}
    assert len(combos) == len(corpus.STUDENTS), "every student is a different solution"
    for fam, entries in corpus.FAMILIES.items():
        used = {c[fam] for c in corpus.STUDENTS.values()}
        assert used == set(entries), (fam, set(entries) - used)


@pytest.mark.parametrize("student", sorted(corpus.STUDENTS))
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_honest_solution_passes(namespaces, student, check):
    ns = namespaces[student]
    names = CHECKS[check]
    obj = ns[names[0]] if len(names) == 1 else tuple(ns[n] for n in names)
    for seed in SEEDS:
        verdict = grade(check, obj, seed)
        assert verdict.ok, f"{student} {corpus.STUDENTS[student]} seed {seed}: {verdict.message}"
