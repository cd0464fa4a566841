"""Synthetic long-range tasks, each with a sequence-length knob T and a seed.

Many-to-one tasks return ``(X, y)`` with X (T, D, B) and one target per sequence y (B,):

* :func:`temporal_order` — Hochreiter & Schmidhuber (1997), experiment 6a. Distractors a–d, a
  start symbol B and an end symbol E; two relevant symbols, each X or Y, one in an early window
  (10–20% of T) and one in a middle window (50–60% of T). The class is the ordered pair:
  XX, XY, YX, YY. The first relevant symbol lies about 0.8·T steps before the end.
* :func:`first_symbol` — the class is the first symbol; the rest are distractors.
* :func:`adding_problem` — regression: two marked values among T uniform numbers, target their
  sum; :func:`adding_metrics` scores predictions.

Sequence-to-sequence:

* :func:`embedded_reber_stream` — a continual stream of embedded Reber strings (never reset);
  predict the next symbol; ``legal`` marks the symbols the grammar allows next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------- temporal order

ORDER_SYMBOLS = ("a", "b", "c", "d", "B", "E", "X", "Y")
ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def _check(T: int, batch: int, T_min: int) -> None:
    if T < T_min:
        raise ValueError(f"T must be at least {T_min}, got {T}")
    if batch <= 0:
        raise ValueError(f"batch must be positive, got {batch}")


def _one_hot(ids: np.ndarray, D: int, dtype) -> np.ndarray:
    """ids (T, B) -> (T, D, B)."""
    T, B = ids.shape
    X = np.zeros((T, D, B), dtype=dtype)
    X[np.arange(T)[:, None], ids, np.arange(B)[None, :]] = 1.0
    return X


def order_windows(T: int) -> tuple[range, range]:
    """The positions where the first and the second relevant symbol may appear."""
    w1 = range(max(1, round(0.1 * T)), max(2, round(0.2 * T)) + 1)
    w2 = range(round(0.5 * T), round(0.6 * T) + 1)
    return w1, w2


def temporal_order(
    T: int = 50, batch: int = 32, seed: int = 0, dtype: np.dtype | type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """X (T, 8, B) one-hot over ``ORDER_SYMBOLS``, y (B,) in 0..3 indexing ``ORDER_CLASSES``."""
    _check(T, batch, 10)
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, size=(T, batch))  # distractors a, b, c, d
    ids[0], ids[-1] = 4, 5  # B ... E
    w1, w2 = order_windows(T)
    t1 = rng.integers(w1.start, w1.stop, size=batch)
    t2 = rng.integers(w2.start, w2.stop, size=batch)
    s1 = rng.integers(2, size=batch)  # 0 = X, 1 = Y
    s2 = rng.integers(2, size=batch)
    cols = np.arange(batch)
    ids[t1, cols] = 6 + s1
    ids[t2, cols] = 6 + s2
    return _one_hot(ids, len(ORDER_SYMBOLS), dtype), 2 * s1 + s2


# --------------------------------------------------------------------------- first symbol


def first_symbol(
    T: int = 50,
    batch: int = 32,
    seed: int = 0,
    n_classes: int = 4,
    n_distractors: int = 4,
    dtype: np.dtype | type = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Remember the first symbol: X (T, K + M, B), y (B,) in 0..K-1.

    Step 0 shows one of the K class symbols; steps 1..T-1 are drawn from M other symbols.
    """
    _check(T, batch, 2)
    rng = np.random.default_rng(seed)
    ids = n_classes + rng.integers(n_distractors, size=(T, batch))
    y = rng.integers(n_classes, size=batch)
    ids[0] = y
    return _one_hot(ids, n_classes + n_distractors, dtype), y


# --------------------------------------------------------------------------- adding problem

ADDING_BASELINE_MSE = 1.0 / 6.0  # always predicting 1 (the mean): Var(u1 + u2) = 2/12


def adding_problem(
    T: int = 50, batch: int = 32, seed: int = 0, dtype: np.dtype | type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """X (T, 2, B): row 0 uniform values in [0, 1], row 1 markers (exactly two 1s, one in each
    half). y (B,): the sum of the two marked values."""
    _check(T, batch, 4)
    rng = np.random.default_rng(seed)
    X = np.zeros((T, 2, batch), dtype=dtype)
    X[:, 0] = rng.random((T, batch))
    cols = np.arange(batch)
    t1 = rng.integers(0, T // 2, size=batch)
    t2 = rng.integers(T // 2, T, size=batch)
    X[t1, 1, cols] = 1.0
    X[t2, 1, cols] = 1.0
    y = X[t1, 0, cols] + X[t2, 0, cols]
    return X, y.astype(dtype)


def adding_metrics(pred: np.ndarray, y: np.ndarray, tol: float = 0.04) -> dict[str, float]:
    """MSE, MSE relative to the predict-the-mean baseline (1/6), and the fraction of sequences
    whose absolute error is below ``tol`` (Hochreiter & Schmidhuber's success criterion)."""
    err = np.asarray(pred, dtype=np.float64).reshape(-1) - np.asarray(y, dtype=np.float64)
    mse = float(np.mean(err**2))
    return {
        "mse": mse,
        "relative_mse": mse / ADDING_BASELINE_MSE,
        "accuracy": float(np.mean(np.abs(err) < tol)),
    }


# --------------------------------------------------------------------------- embedded Reber

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
_R = {s: k for k, s in enumerate(REBER_SYMBOLS)}
# Reber grammar: state -> list of (symbol, next state); state 6 emits E and ends.
_REBER = {
    0: (("B", 1),),
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", None),),
}


def _reber_string(rng: np.random.Generator) -> list[str]:
    out, state = [], 0
    while state is not None:
        options = _REBER[state]
        sym, state = options[int(rng.integers(len(options)))]
        out.append(sym)
    return out


def _embedded_with_legal(rng: np.random.Generator) -> tuple[list[str], list[set[str]]]:
    """One embedded Reber string and, for each symbol, the set of symbols that may follow it."""
    outer = "T" if rng.integers(2) == 0 else "P"
    inner = _reber_string(rng)
    syms = ["B", outer, *inner, outer, "E"]
    legal: list[set[str]] = [{"T", "P"}, {"B"}]
    state = 0
    for sym in inner:  # walk the inner grammar to know what may follow each inner symbol
        state = dict(_REBER[state])[sym]
        legal.append({s for s, _ in _REBER[state]} if state is not None else {outer})
    legal += [{"E"}, {"B"}]  # after the second outer symbol comes E; after E the next string
    return syms, legal


def embedded_reber_stream(
    T: int = 100,
    batch: int = 32,
    seed: int = 0,
    dtype: np.dtype | type = np.float64,
    with_legal: bool = False,
) -> tuple[np.ndarray, ...]:
    """A continual stream of embedded Reber strings, one stream per column (never reset).

    Returns X (T, 7, B) one-hot of symbols 0..T-1 over ``REBER_SYMBOLS``, y (T, B) the next
    symbol ids, and with ``with_legal=True`` also legal (T, 7, B) bool: the symbols the grammar
    allows after each input. The symbol before an embedded string's final E is the long-range
    one: it must repeat the second symbol of that string.
    """
    _check(T, batch, 2)
    rng = np.random.default_rng(seed)
    ids = np.empty((T + 1, batch), dtype=np.int64)
    legal = np.zeros((T + 1, len(REBER_SYMBOLS), batch), dtype=bool)
    for b in range(batch):
        t = 0
        while t < T + 1:
            syms, nexts = _embedded_with_legal(rng)
            for sym, ok in zip(syms, nexts, strict=True):
                if t == T + 1:
                    break
                ids[t, b] = _R[sym]
                legal[t, [_R[s] for s in ok], b] = True
                t += 1
    X = _one_hot(ids[:T], len(REBER_SYMBOLS), dtype)
    if with_legal:
        return X, ids[1:], legal[:T]
    return X, ids[1:]


def reber_accuracy(logits: np.ndarray, legal: np.ndarray) -> float:
    """Fraction of steps whose most likely next symbol is legal. logits, legal: (T, 7, B)."""
    pred = np.argmax(logits, axis=1)  # (T, B)
    T, _, B = legal.shape
    return float(legal[np.arange(T)[:, None], pred, np.arange(B)[None, :]].mean())


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class TaskSpec:
    """A many-to-one task: ``fn(T, batch, seed) -> (X (T, D, B), y (B,))``."""

    name: str
    fn: Callable[..., tuple[np.ndarray, np.ndarray]]
    input_size: int
    n_outputs: int  # classes, or 1 for regression
    kind: str  # "classification" or "regression"
    chance: float  # accuracy of guessing (classification) / baseline MSE (regression)


TASKS: dict[str, TaskSpec] = {
    "temporal_order": TaskSpec("temporal_order", temporal_order, 8, 4, "classification", 0.25),
    "first_symbol": TaskSpec("first_symbol", first_symbol, 8, 4, "classification", 0.25),
    "adding": TaskSpec("adding", adding_problem, 2, 1, "regression", ADDING_BASELINE_MSE),
}


def get_task(name: str) -> TaskSpec:
    """A task by name; ``ValueError`` naming the valid ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join(TASKS)}") from None
