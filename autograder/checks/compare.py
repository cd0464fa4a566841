"""Helpers shared by the checks: turning student outputs into arrays and explaining mismatches.

Every function here returns ``None`` when all is well and otherwise a sentence for the student
that says what is wrong (which array, expected vs. got shape, the largest error and where).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def to_array(value: Any) -> np.ndarray | str:
    """A float64 array from whatever the student returned, or a message if impossible."""
    if isinstance(value, str):
        return value
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return f"not an array of numbers ({type(value).__name__}: {exc})"
    return arr


def shape_problem(name: str, got: Any, expected: tuple[int, ...], hint: str = "") -> str | None:
    """Message if ``got`` is not a finite array of shape ``expected``."""
    if isinstance(got, str):
        return f"{name}: {got}"
    if not isinstance(got, np.ndarray):
        return f"{name} is a {type(got).__name__}, expected an array of shape {expected}"
    if got.shape != tuple(expected):
        extra = f": {hint}" if hint else ""
        return f"{name} has shape {got.shape}, expected {tuple(expected)}{extra}"
    if not np.all(np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        return f"{name} contains {got[bad]} at index {list(bad)} (not a finite number)"
    return None


def largest_error(got: np.ndarray, want: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """The largest absolute difference and its index."""
    diff = np.abs(got - want)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return (float(diff[idx]) if diff.size else 0.0), tuple(int(i) for i in idx)


def close(got: Any, want: np.ndarray, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """True if ``got`` is an array of ``want``'s shape equal to it within tolerance."""
    return (
        isinstance(got, np.ndarray)
        and got.shape == want.shape
        and bool(np.allclose(got, want, rtol=rtol, atol=atol))
    )


def value_problem(
    name: str, got: Any, want: np.ndarray, hint: str = "", rtol: float = 1e-6, atol: float = 1e-8,
    shape_hint: str = "",
) -> str | None:
    """Message if ``got`` differs from ``want`` (shape first, then values)."""
    problem = shape_problem(name, got, want.shape, shape_hint)
    if problem:
        return problem
    if np.allclose(got, want, rtol=rtol, atol=atol):
        return None
    err, idx = largest_error(got, want)
    where = f" at index {list(idx)}" if idx else ""
    msg = (f"{name} is off by up to {err:.3g}{where} "
           f"(got {got[idx]:.6g}, expected {want[idx]:.6g})")
    return f"{msg}: {hint}" if hint else msg


def grads_problem(
    got: Any, want: Mapping[str, np.ndarray], hints: Mapping[str, str] | None = None,
    rtol: float = 1e-6, atol: float = 1e-8,
) -> str | None:
    """Message for the first wrong parameter gradient (missing keys, shapes, values)."""
    if not isinstance(got, Mapping):
        return f"the parameter gradients should be a dict with keys {sorted(want)}, got a " \
               f"{type(got).__name__}"
    missing = [k for k in want if k not in got]
    if missing:
        return f"the parameter gradients lack {missing} (expected keys {list(want)})"
    hints = hints or {}
    for key, value in want.items():
        problem = value_problem("d" + key, got[key], value, hints.get(key, ""), rtol, atol)
        if problem:
            return problem
    return None


def plain(value: Any) -> Any:
    """Student outputs as plain data that a probe record can carry (arrays, dicts, lists)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | bool):
        return value
    arr = to_array(value)
    return arr
