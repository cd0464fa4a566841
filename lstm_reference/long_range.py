"""Synthetic long-range tasks: Hochreiter & Schmidhuber's (1997) temporal order problem, and
remembering the first symbol.

Temporal order (their experiment 6a, with windows scaled to the length T). Alphabet, one-hot
with D = 8 in this order: ``a b c d`` (distractors), ``B`` (begin), ``E`` (end), ``X``, ``Y``.
A sequence is ``B``, then distractors, then ``E`` at the last step; two steps hold ``X`` or
``Y`` instead of a distractor: one at t1 ∈ [T//10, 2·T//10], one at t2 ∈ [T//2, 6·T//10]. The
class is the order of the two: 0 = XX, 1 = XY, 2 = YX, 3 = YY (``2·[first is Y] + [second
is Y]``). Nothing between them matters, so the model must carry two bits across ≈ 0.3–0.5 T
steps of noise and read them out at the end.

First symbol: step 0 is ``X`` or ``Y`` (class 0 / 1), the rest are distractors. The answer
sits at a fixed position, so even a vanilla RNN learns to latch it at T = 50: it does not
separate the two models.
"""

from __future__ import annotations

import numpy as np

SYMBOLS = "abcdBEXY"
N_SYMBOLS = len(SYMBOLS)
BEGIN, END, SYM_X, SYM_Y = 4, 5, 6, 7


def order_windows(T: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The inclusive position windows (t1_lo, t1_hi), (t2_lo, t2_hi) for length T (≥ 10)."""
    if T < 10:
        raise ValueError(f"the temporal order task needs T >= 10, got {T}")
    return (T // 10, 2 * T // 10), (T // 2, 6 * T // 10)


def _one_hot(ids: np.ndarray) -> np.ndarray:
    T, B = ids.shape
    X = np.zeros((T, N_SYMBOLS, B))
    X[np.arange(T)[:, None], ids, np.arange(B)[None, :]] = 1.0
    return X


def temporal_order_ids(
    T: int, batch: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Symbol ids (T, B) int64 and labels (B,) int64 of the temporal order task."""
    (lo1, hi1), (lo2, hi2) = order_windows(T)
    ids = rng.integers(0, 4, size=(T, batch))
    ids[0], ids[-1] = BEGIN, END
    cols = np.arange(batch)
    t1 = rng.integers(lo1, hi1 + 1, size=batch)
    t2 = rng.integers(lo2, hi2 + 1, size=batch)
    first = rng.integers(0, 2, size=batch)
    second = rng.integers(0, 2, size=batch)
    ids[t1, cols] = SYM_X + first
    ids[t2, cols] = SYM_X + second
    return ids.astype(np.int64), (2 * first + second).astype(np.int64)


def temporal_order(T: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One-hot inputs X (T, 8, B) and labels y (B,) in {0, 1, 2, 3}."""
    ids, y = temporal_order_ids(T, batch, rng)
    return _one_hot(ids), y


def first_symbol(T: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One-hot inputs X (T, 8, B) whose step 0 is X or Y, and labels y (B,) in {0, 1}."""
    ids = rng.integers(0, 4, size=(T, batch))
    y = rng.integers(0, 2, size=batch)
    ids[0] = SYM_X + y
    return _one_hot(ids), y.astype(np.int64)
