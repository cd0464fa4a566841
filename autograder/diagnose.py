"""Name the likely bug behind a failed check.

The grader (and any check's ``judge``) can ask :func:`explain`: it reruns the check's
``run_student`` on each known-bug variant of :mod:`lstm_reference.bugs` with the same inputs
and, if the student's outputs match a variant's outputs (and not the correct ones), returns
that variant's message.

A check tells the diagnoser which functions it passes to the student object with
:func:`register_target`; a check named after one catalogue function (e.g. a check called
``"lstm_step_forward"``) needs no registration.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lstm_reference import bugs

Build = Callable[[Mapping[str, Callable[..., Any]]], Any]

#: check name -> how to build the student object from a catalogue implementation
TARGETS: dict[str, Build] = {}


def register_target(check_name: str, build: Build | str | tuple[str, ...]) -> None:
    """Declare what check ``check_name`` passes as the student object.

    ``build`` is a catalogue function name (``"lstm_forward"``), a tuple of names (the check
    takes a tuple of functions), or a callable ``impl -> student object``.
    """
    if isinstance(build, str):
        name = build
        TARGETS[check_name] = lambda impl: impl[name]
    elif isinstance(build, tuple):
        names = build
        TARGETS[check_name] = lambda impl: tuple(impl[n] for n in names)
    else:
        TARGETS[check_name] = build


def _targets(check_name: str) -> list[Build]:
    """Ways the check may take the student object: registered, the function, or the
    (forward, backward) pair for a check named after a backward function."""
    if check_name in TARGETS:
        return [TARGETS[check_name]]
    base = check_name.rsplit(".", 1)[-1]
    builds: list[Build] = []
    if base in bugs.CORRECT:
        builds.append(lambda impl: impl[base])
        forward = base.replace("_backward", "_forward")
        if base.endswith("_backward") and forward in bugs.CORRECT:
            builds.append(lambda impl: (impl[forward], impl[base]))
    return builds


def close(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-7) -> bool:
    """Recursive allclose over arrays, numbers, dicts and sequences (shapes must agree)."""
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)) or set(a) != set(b):
            return False
        return all(close(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        if not (isinstance(a, list | tuple) and isinstance(b, list | tuple)) or len(a) != len(b):
            return False
        return all(close(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return a == b
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=False))


def explain(check_name: str, inputs: dict[str, Any], outputs: Any) -> str | None:
    """The message of the first known bug whose outputs equal ``outputs``, else None."""
    from autograder.checks.base import REGISTRY

    check = REGISTRY.get(check_name)
    if check is None:
        return None

    def run(build: Build, impl: Mapping[str, Callable[..., Any]]) -> Any:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return check.run_student(build(impl), _copy(inputs))

    for build in _targets(check_name):
        try:
            correct = run(build, bugs.implementation())
        except Exception:
            continue
        if close(correct, outputs):
            return None
        return _match(build, run, correct, outputs)
    return None


def _match(build: Build, run: Callable[[Build, Any], Any], correct: Any,
           outputs: Any) -> str | None:
    for bug in bugs.BUGS.values():
        try:
            candidate = run(build, bugs.implementation(bug))
        except Exception:
            continue
        if not close(candidate, correct) and close(candidate, outputs):
            return f"likely bug: {bug.message}"
    return None


def likely_bug(record: Any) -> str | None:
    """:func:`explain` for a probe record (see :mod:`autograder.probe`)."""
    from autograder.checks.base import REGISTRY

    check = REGISTRY.get(getattr(record, "check", ""))
    if check is None:
        return None
    try:
        inputs = check.make_inputs(record.seed)
    except Exception:
        return None
    return explain(record.check, inputs, record.outputs)


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
