"""The check protocol shared by the notebooks (in the kernel) and the grader (outside it).

A check is defined once, as a :class:`Check`:

* ``make_inputs(seed)`` draws the inputs deterministically from a seed;
* ``run_student(fn, inputs)`` calls the student's function and returns its outputs as plain
  data (arrays, numbers, dicts/lists of them);
* ``judge(inputs, outputs)`` decides with :mod:`lstm_reference` and returns a :class:`Verdict`.

Inside the kernel :func:`run_check` does all three, emits a probe record (see
:mod:`autograder.probe`) and raises ``AssertionError`` with a helpful message on failure, so
nbgrader works unchanged. The grader calls :func:`judge_record` on each record in its own
clean process; the verdict there is the one that counts.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.probe import ProbeRecord, emit, judged_outside


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    make_inputs: Callable[[int], dict[str, Any]]
    run_student: Callable[[Callable[..., Any], dict[str, Any]], Any]
    judge: Callable[[dict[str, Any], Any], Verdict]
    #: the student's function must not come from these modules (they would be the answer)
    forbidden_modules: tuple[str, ...] = ("lstm_reference", "autograder")


REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.name in REGISTRY:
        raise ValueError(f"duplicate check name {check.name!r}")
    REGISTRY[check.name] = check
    return check


def fresh_seed() -> int:
    """A seed drawn at grading time, so hidden inputs cannot be special-cased."""
    return secrets.randbelow(2**31 - 1)


def borrowed_answer(fn: Any, check: Check) -> str | None:
    """Message if ``fn`` is the reference's own function instead of the student's.

    ``fn`` may also be a tuple/list/dict of the student's objects (e.g. a forward and a backward
    function, or trained parameters): every callable in it is checked.
    """
    if isinstance(fn, tuple | list):
        return next((m for m in (borrowed_answer(f, check) for f in fn) if m), None)
    if isinstance(fn, dict):
        return next((m for m in (borrowed_answer(f, check) for f in fn.values()) if m), None)
    if not callable(fn):
        return None
    module = getattr(fn, "__module__", None) or ""
    for forbidden in check.forbidden_modules:
        if module == forbidden or module.startswith(forbidden + "."):
            return (
                f"{getattr(fn, '__name__', 'this function')} comes from `{module}`: "
                "write it yourself in the answer cell instead of importing it."
            )
    return None


def run_check(name: str, fn: Any, seed: int | None = None) -> None:
    """Run check ``name`` on the student's ``fn`` (in the kernel); raise AssertionError if wrong."""
    check = REGISTRY[name]
    seed = fresh_seed() if seed is None else int(seed)
    borrowed = borrowed_answer(fn, check)
    if borrowed:
        emit(name, seed, {"__borrowed__": borrowed})
        raise AssertionError(borrowed)
    inputs = check.make_inputs(seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outputs = check.run_student(fn, inputs)
    emit(name, seed, outputs)
    if judged_outside():
        return  # the grader's verdict, computed in its own process, is the one that counts
    verdict = check.judge(check.make_inputs(seed), outputs)
    if not verdict.ok:
        raise AssertionError(verdict.message)


def judge_record(record: ProbeRecord) -> Verdict:
    """Recompute a verdict outside the kernel from a probe record."""
    check = REGISTRY.get(record.check)
    if check is None:
        return Verdict(False, f"unknown check {record.check!r} in probe record")
    if isinstance(record.outputs, dict) and "__borrowed__" in record.outputs:
        return Verdict(False, str(record.outputs["__borrowed__"]))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return check.judge(check.make_inputs(record.seed), record.outputs)
        except Exception as exc:  # malformed outputs are a failed check, not a grader crash
            return Verdict(False, f"{record.check}: could not judge the outputs ({exc})")
