"""A bidirectional layer: one cell reads the sequence forwards, another reads it backwards.

At every step t the output is ``[h→_t; h←_t]`` (forward direction's rows first): ``h→_t`` has seen
``x_1 … x_t`` and ``h←_t`` has seen ``x_t … x_T``, so the pair summarises the whole sequence around
t. Works for any registered cell (``cells.py``); the two directions have their own parameters and
initial states. Shapes: X (T, D, B); hs (T, H_fwd + H_bwd, B), i.e. (T, 2H, B) for equal sizes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lstm_reference.cells import State, get_cell
from lstm_reference.init import Params


class BidirectionalCache(NamedTuple):
    cell_name: str
    H_fwd: int
    cache_fwd: Any
    cache_bwd: Any  # the backward direction's cache, in its own (reversed) time order


def bidirectional_forward(
    cell_name: str,
    X: np.ndarray,
    state_fwd: State,
    state_bwd: State,
    p_fwd: Params,
    p_bwd: Params,
) -> tuple[np.ndarray, tuple[State, State], BidirectionalCache]:
    """Run ``cell_name`` over X (T, D, B) forwards from ``state_fwd``, backwards from ``state_bwd``.

    Returns hs (T, H_fwd + H_bwd, B) with ``hs[t] = [h→_t; h←_t]``, the final states
    ``(final_fwd, final_bwd)`` (the backward direction's final state is the one after reading
    x_1) and a cache for :func:`bidirectional_backward`.
    """
    cell = get_cell(cell_name)
    hs_f, final_f, cache_f = cell.forward(X, state_fwd, p_fwd)
    hs_b, final_b, cache_b = cell.forward(X[::-1], state_bwd, p_bwd)
    hs = np.concatenate([hs_f, hs_b[::-1]], axis=1)
    return hs, (final_f, final_b), BidirectionalCache(cell_name, hs_f.shape[1], cache_f, cache_b)


def bidirectional_backward(
    dhs: np.ndarray,
    cache: BidirectionalCache,
    dfinal: tuple[State | None, State | None] | None = None,
) -> tuple[np.ndarray, tuple[State, State], tuple[Params, Params]]:
    """Backward pass of :func:`bidirectional_forward`.

    dhs (T, H_fwd + H_bwd, B): loss gradient w.r.t. hs; dfinal, optional: gradients w.r.t. the two
    final states (either may be None). Returns dX (T, D, B), the initial-state gradients
    ``(dstate_fwd, dstate_bwd)`` and the parameter gradients ``(grads_fwd, grads_bwd)``.
    """
    cell = get_cell(cache.cell_name)
    df, db = (None, None) if dfinal is None else dfinal
    H = cache.H_fwd
    dX_f, dstate_f, grads_f = cell.backward(np.ascontiguousarray(dhs[:, :H]), cache.cache_fwd, df)
    dhs_b = np.ascontiguousarray(dhs[::-1, H:])
    dX_b, dstate_b, grads_b = cell.backward(dhs_b, cache.cache_bwd, db)
    return dX_f + dX_b[::-1], (dstate_f, dstate_b), (grads_f, grads_b)
