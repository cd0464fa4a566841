"""Small helpers shared by the checks of exercises 2–4: validate a student's outputs and
describe the largest error, so a failed check says what is wrong and where."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograder.checks.base import Verdict


class RejectError(Exception):
    """Raised inside a judge to fail the check with a message."""


def judged(
    fn: Callable[[dict[str, Any], Any], Verdict],
) -> Callable[[dict[str, Any], Any], Verdict]:
    """Turn a judge that raises :class:`RejectError` into one that returns a :class:`Verdict`."""

    def judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
        try:
            return fn(inputs, outputs)
        except RejectError as exc:
            return Verdict(False, str(exc))

    return judge


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A finite float array, with ``shape`` if given; :class:`RejectError` otherwise."""
    if isinstance(value, list | tuple) and value and isinstance(value[0], dict):
        raise RejectError(f"{what} should be an array, got a list of dicts")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise RejectError(f"{what} should be a numeric array, got {type(value).__name__}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise RejectError(f"{what} has shape {arr.shape}, expected {tuple(shape)}")
    if not np.all(np.isfinite(arr)):
        raise RejectError(f"{what} contains NaN or infinity")
    return arr


def as_mapping(value: Any, what: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    """A dict holding at least ``keys``; :class:`RejectError` naming the missing ones otherwise."""
    if not isinstance(value, Mapping):
        raise RejectError(
            f"{what} should be a dict with keys {list(keys)}, got {type(value).__name__}"
        )
    missing = [k for k in keys if k not in value]
    if missing:
        raise RejectError(f"{what} is missing the keys {missing} (it has {sorted(value)})")
    return value


def largest_error(got: np.ndarray, want: np.ndarray) -> str:
    """'largest error 0.31 at [2, 0, 1] (got 0.5, expected 0.19)'."""
    err = np.abs(got - want)
    idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else ()
    where = "[" + ", ".join(str(int(k)) for k in idx) + "]"
    return (
        f"largest error {float(err[idx]):.3g} at {where} "
        f"(got {float(got[idx]):.4g}, expected {float(want[idx]):.4g})"
    )


def close(got: np.ndarray, want: np.ndarray, tol: float = 1e-6) -> bool:
    return bool(np.allclose(got, want, rtol=tol, atol=tol))


def plain(value: Any) -> Any:
    """Turn a student's object into plain data for a probe record (arrays, numbers, str,
    dicts and lists of them); anything else becomes its repr, which the judge rejects."""
    if isinstance(value, str):  # np.str_ too: a NumPy string is text
        return str(value)
    if isinstance(value, np.ndarray | np.generic):
        return np.asarray(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"<{type(value).__name__}>"


def as_index(value: Any, what: str) -> int:
    """An integer index (a Python or NumPy int, or a whole float), else :class:`RejectError`."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectError(f"{what} should be an int index, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise RejectError(f"{what} should be an int index, got {value!r}")
        value = int(value)
    return value
