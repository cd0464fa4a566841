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

import json
import os
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from autograder.probe import ProbeRecord, decode_value, emit, judged_outside

#: set by the grader: a JSON file with the inputs it chose for every check call of every test
#: cell (``{grade_id: [{"check", "seed", "call", "inputs"}, ...]}``)
INPUTS_ENV = "LSTM_LAB_INPUTS"


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


class _GraderPlan:
    """The grader's chosen inputs, as seen inside the kernel (loaded on first use)."""

    cell: ClassVar[str | None] = None
    used: ClassVar[dict[str, int]] = {}
    calls: ClassVar[dict[str, list[dict[str, Any]]] | None] = None

    @classmethod
    def active(cls) -> bool:
        return bool(os.environ.get(INPUTS_ENV))

    @classmethod
    def next_call(cls, name: str) -> dict[str, Any] | None:
        """The next planned call of check ``name`` in the running test cell, if any."""
        if cls.calls is None:
            try:
                with open(os.environ[INPUTS_ENV], encoding="utf-8") as fh:
                    cls.calls = json.load(fh)
            except (OSError, ValueError, KeyError):
                cls.calls = {}
        planned = (cls.calls or {}).get(cls.cell or "", [])
        start = cls.used.get(name, 0)
        for k, call in enumerate(planned):
            if call.get("check") == name and k >= start:
                cls.used[name] = k + 1
                return call
        return None


def enter_cell(grade_id: str | None) -> None:
    """Called by the grader (between cells) with the test cell about to run, or None."""
    _GraderPlan.cell = grade_id
    _GraderPlan.used = {}


def run_check(name: str, fn: Any, seed: int | None = None) -> None:
    """Run check ``name`` on the student's ``fn`` (in the kernel); raise AssertionError if wrong.

    Under the kit's grader the inputs are the grader's (see :mod:`autograder.seeds`): the
    check only runs the student's code on them and sends the outputs out to be judged; a call
    the grader did not plan (e.g. in an answer cell) does nothing. Elsewhere (a plain
    ``nbgrader validate``) it draws its inputs and judges here.
    """
    check = REGISTRY[name]
    if _GraderPlan.active():
        planned = _GraderPlan.next_call(name)
        if planned is None:
            return
        seed, inputs = int(planned["seed"]), decode_value(planned["inputs"])
        call = str(planned["call"])
    else:
        seed = fresh_seed() if seed is None else int(seed)
        inputs, call = check.make_inputs(seed), None
    borrowed = borrowed_answer(fn, check)
    if borrowed:
        emit(name, seed, {"__borrowed__": borrowed}, call=call)
        raise AssertionError(borrowed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outputs = check.run_student(fn, inputs)
    emit(name, seed, outputs, call=call)
    if call is not None or judged_outside():
        return  # the grader's verdict, computed in its own process, is the one that counts
    verdict = check.judge(check.make_inputs(seed), outputs)
    if not verdict.ok:
        raise AssertionError(verdict.message)


def judge_outputs(name: str, seed: int, outputs: Any) -> Verdict:
    """The verdict on ``outputs`` of check ``name`` for the inputs drawn from ``seed``."""
    check = REGISTRY.get(name)
    if check is None:
        return Verdict(False, f"unknown check {name!r} in probe record")
    if isinstance(outputs, dict) and "__borrowed__" in outputs:
        return Verdict(False, str(outputs["__borrowed__"]))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return check.judge(check.make_inputs(seed), outputs)
        except Exception as exc:  # malformed outputs are a failed check, not a grader crash
            return Verdict(False, f"{name}: could not judge the outputs ({exc})")


def judge_record(record: ProbeRecord) -> Verdict:
    """Recompute a verdict outside the kernel from a probe record (with the record's seed;
    the grader itself judges with the seed it chose, see :func:`judge_outputs`)."""
    return judge_outputs(record.check, record.seed, record.outputs)
