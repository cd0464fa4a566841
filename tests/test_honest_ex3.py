"""Exercise 3: every honest solution of the corpus (``tests/honest/ex3_ablation.py``)
passes every check on several seeds, graded as the grader does.

The step checks see each student's step functions. The study checks (``ex3.trained``,
``ex3.choice``, ``ex3.conclusion``) see the student's ``TRAINED``, ``RESULTS`` and
``MOST_IMPORTANT``; to keep the suite fast the training runs on a smaller budget than the
notebook's (as in ``test_checks_ex3.py``) and the grader's fresh evaluation stream is shorter.
``EX3_HONEST_FULL=1`` runs the study with the notebook's own budget, test stream and the
grader's real evaluation stream (about two minutes).
"""

from __future__ import annotations

import contextlib
import io
import os

import pytest
from honest import ex3_ablation as corpus
from honest_harness import (
    assert_corpus_is_varied,
    assert_student_passes,
    grade,
    student_namespace,
)

from lstm_reference import ablation_study as study

ASSIGNMENT = "ex3_ablation"
SEEDS = (0, 1, 2024)
FULL = os.environ.get("EX3_HONEST_FULL") == "1"

#: check -> what the test cell passes to it
CHECKS = {
    "ex3.variant_forward": ("ablated_step_forward",),
    "ex3.variant_backward": ("ablated_step_forward", "ablated_step_backward"),
}

#: the given code of the training and results cells (smaller unless FULL)
BUDGET = corpus.BUDGET if FULL else (
    "SEEDS = (0, 1, 2)\nHIDDEN, STEPS, CHUNK, BATCH, LR = 8, 40, 25, 8, 0.03\n")
TEST_STREAM = corpus.TEST_STREAM if FULL else (
    "test_ids, test_targets = reber_stream(2024, 300, 4)\n")


@pytest.fixture(scope="module")
def namespaces():
    return {s: student_namespace(ASSIGNMENT, corpus.step_source(s)) for s in corpus.STUDENTS}


@pytest.fixture(scope="module")
def studies():
    """student -> (TRAINED, RESULTS, MOST_IMPORTANT); each training answer is run once and
    shared by the students who wrote it (the results cell runs in a copy of its namespace)."""
    trained = {}
    out = {}
    for s, choice in corpus.STUDENTS.items():
        if choice["train"] not in trained:
            trained[choice["train"]] = student_namespace(ASSIGNMENT, corpus.train_source(s, BUDGET))
        ns = dict(trained[choice["train"]])
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(corpus.results_source(s, TEST_STREAM), f"<honest {s}>", "exec"), ns)
        out[s] = (ns["TRAINED"], ns["RESULTS"], ns["MOST_IMPORTANT"])
    return out


@pytest.fixture
def short_eval(monkeypatch):
    """The grader's fresh evaluation stream, shorter unless FULL."""
    if not FULL:
        monkeypatch.setattr(study, "eval_stream", lambda seed: study.stream(seed + 17, 300, 4))


def test_the_corpus_is_large_and_every_answer_is_used():
    assert_corpus_is_varied(corpus)


def test_the_complete_solution_runs_in_one_namespace():
    ns = student_namespace(ASSIGNMENT, corpus.source_of("student00").replace(
        corpus.BUDGET, "SEEDS = (0, 1, 2)\nHIDDEN, STEPS, CHUNK, BATCH, LR = 4, 2, 5, 2, 0.03\n"))
    assert set(ns["RESULTS"]) == set(study.VARIANTS)
    assert ns["MOST_IMPORTANT"] in study.ABLATIONS


@pytest.mark.parametrize("student", sorted(corpus.STUDENTS))
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_honest_solution_passes(namespaces, student, check):
    assert_student_passes(corpus, student, namespaces[student], check, CHECKS[check], SEEDS)


@pytest.mark.parametrize("student", sorted(corpus.STUDENTS))
def test_honest_study_passes(studies, short_eval, student):
    trained, results, most_important = studies[student]
    graded = {
        "ex3.trained": trained,
        "ex3.choice": {"table": results, "most_important": most_important},
        "ex3.conclusion": {"trained": trained, "table": results,
                           "most_important": most_important},
    }
    for check, obj in graded.items():
        for seed in SEEDS:
            verdict = grade(check, obj, seed)
            assert verdict.ok, (
                f"{check}: {student} {corpus.STUDENTS[student]} seed {seed}: {verdict.message}")
