"""Grade honest solutions of the corpus in ``tests/honest/`` through the real checks.

A student's code is executed after the notebook's own setup cell (the imports a student has),
and each check is run the way a test cell runs it: ``run_student`` on the check's inputs for a
seed, then ``judge`` — both inside (as nbgrader sees it) and again from the probe record as the
grader outside the kernel does. A solution gets full points only if every verdict passes.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import numpy as np
from course_harness import answer_sources, source_notebook
from solution_code import solution_namespace

from autograder.checks.base import REGISTRY, Verdict, judge_record
from autograder.probe import ProbeRecord, decode_value, encode_value


def student_namespace(assignment_id: str, code: str) -> dict[str, Any]:
    """The notebook's setup cell, then ``code`` (prints swallowed)."""
    every_answer = tuple(answer_sources(source_notebook(assignment_id)))
    ns = solution_namespace(assignment_id, skip=every_answer)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, f"<honest {assignment_id}>", "exec"), ns)
    return ns


def grade(check_name: str, student_object: Any, seed: int) -> Verdict:
    """The verdict of one check on one student object, as the grader computes it."""
    check = REGISTRY[check_name]
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        outputs = check.run_student(student_object, check.make_inputs(seed))
    inside = check.judge(check.make_inputs(seed), outputs)
    outside = judge_record(ProbeRecord(check_name, seed, decode_value(encode_value(outputs))))
    assert inside == outside, "the verdict must not change when judged outside the kernel"
    return outside


def assert_corpus_is_varied(corpus: Any, minimum: int = 15) -> None:
    """At least ``minimum`` students, each a different combination, every answer used."""
    assert len(corpus.STUDENTS) >= minimum
    combos = {tuple(sorted(c.items())) for c in corpus.STUDENTS.values()}
    assert len(combos) == len(corpus.STUDENTS), "every student is a different solution"
    for fam, entries in corpus.FAMILIES.items():
        used = {c[fam] for c in corpus.STUDENTS.values()}
        assert used == set(entries), (fam, set(entries) - used)


def assert_student_passes(corpus: Any, student: str, ns: dict[str, Any], check: str,
                          names: tuple[str, ...], seeds: tuple[int, ...]) -> None:
    """``check`` accepts what the test cell passes it (``names`` of the student's namespace,
    one object or a tuple) on every seed."""
    obj = ns[names[0]] if len(names) == 1 else tuple(ns[n] for n in names)
    for seed in seeds:
        verdict = grade(check, obj, seed)
        assert verdict.ok, f"{student} {corpus.STUDENTS[student]} seed {seed}: {verdict.message}"
