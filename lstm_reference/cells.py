"""The registry of recurrent cells: every cell behind one interface.

A cell's state is a tuple of (H, B) arrays: ``(h, C)`` for the LSTM family, ``(h,)`` for the RNN
and the GRU. Through :class:`CellSpec` every cell is used the same way::

    cell = get_cell("gru")
    p = cell.init(D, H, rng, np.float64)
    hs, final, cache = cell.forward(X, zero_state(cell, H, B, X.dtype), p)   # hs (T, H, B)
    dX, dinitial, grads = cell.backward(dhs, cache, dfinal)                  # dfinal may be None

:data:`STEPS` gives the one-step pairs the same way: ``step_forward(x, state, p) -> state, cache``
and ``step_backward(dstate, cache) -> dx, dstate_prev, grads``, where ``dstate[0]`` is the total
gradient w.r.t. this step's h (its own output's plus what came back from the next step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from lstm_reference import gru, lstm, rnn
from lstm_reference.ablations import ABLATIONS
from lstm_reference.cifg import CIFG
from lstm_reference.init import Params
from lstm_reference.lstm_family import VariantFunctions, bind
from lstm_reference.peephole import PEEPHOLE

State = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class CellSpec:
    name: str  # "lstm", "rnn", "gru", "gru_reset_after", "peephole", "cifg", "nfg", …
    state_names: tuple[str, ...]  # ("h", "C") for the LSTM family, ("h",) for rnn / gru
    init: Callable  # (input_size, hidden_size, rng, dtype) -> Params
    forward: Callable  # (X (T,D,B), state tuple of (H,B), p) -> (hs (T,H,B), final state, cache)
    backward: Callable  # (dhs (T,H,B), cache, dfinal tuple | None) -> (dX, dinitial state, grads)


@dataclass(frozen=True)
class StepSpec:
    """The one-step pair of a cell, with states as tuples like :class:`CellSpec`."""

    forward: Callable  # (x (D,B), state tuple, p) -> (next state tuple, cache)
    backward: Callable  # (dstate tuple, cache) -> (dx (D,B), dstate_prev tuple, grads)


# --------------------------------------------------------------------------- adapters
# Cells with state (h, C) take and return it as two arrays, like lstm.py; (h,) cells as one.


def _hc_forward(forward: Callable, X: np.ndarray, state: State, p: Params) -> tuple:
    h0, C0 = state
    hs, final, cache = forward(X, h0, C0, p)
    return hs, tuple(final), cache


def _hc_backward(backward: Callable, dhs: np.ndarray, cache: Any, dfinal: State | None) -> tuple:
    dX, dinit, grads = backward(dhs, cache, *(dfinal or (None, None)))
    return dX, tuple(dinit), grads


def _hc_step_forward(step: Callable, x: np.ndarray, state: State, p: Params) -> tuple:
    h, C, cache = step(x, *state, p)
    return (h, C), cache


def _hc_step_backward(step: Callable, dstate: State, cache: Any) -> tuple:
    dx, dh_prev, dC_prev, grads = step(*dstate, cache)
    return dx, (dh_prev, dC_prev), grads


def _h_forward(forward: Callable, X: np.ndarray, state: State, p: Params) -> tuple:
    hs, h_T, cache = forward(X, state[0], p)
    return hs, (h_T,), cache


def _h_backward(backward: Callable, dhs: np.ndarray, cache: Any, dfinal: State | None) -> tuple:
    dX, dh0, grads = backward(dhs, cache, None if dfinal is None else dfinal[0])
    return dX, (dh0,), grads


def _h_step_forward(step: Callable, x: np.ndarray, state: State, p: Params) -> tuple:
    h, cache = step(x, state[0], p)
    return (h,), cache


def _h_step_backward(step: Callable, dstate: State, cache: Any) -> tuple:
    dx, dh_prev, grads = step(dstate[0], cache)
    return dx, (dh_prev,), grads


def _hc_cell(name: str, funcs: VariantFunctions) -> tuple[CellSpec, StepSpec]:
    cell = CellSpec(
        name,
        ("h", "C"),
        funcs.init,
        partial(_hc_forward, funcs.forward),
        partial(_hc_backward, funcs.backward),
    )
    step = StepSpec(
        partial(_hc_step_forward, funcs.step_forward),
        partial(_hc_step_backward, funcs.step_backward),
    )
    return cell, step


def _h_cell(
    name: str,
    init: Callable,
    step_forward: Callable,
    step_backward: Callable,
    forward: Callable,
    backward: Callable,
) -> tuple[CellSpec, StepSpec]:
    cell = CellSpec(
        name, ("h",), init, partial(_h_forward, forward), partial(_h_backward, backward)
    )
    step = StepSpec(
        partial(_h_step_forward, step_forward), partial(_h_step_backward, step_backward)
    )
    return cell, step


def _registry() -> dict[str, tuple[CellSpec, StepSpec]]:
    plain_lstm = VariantFunctions(
        lstm.init_lstm_params,
        lstm.lstm_step_forward,
        lstm.lstm_step_backward,
        lstm.lstm_forward,
        lstm.lstm_backward,
    )
    entries = {
        "lstm": _hc_cell("lstm", plain_lstm),
        "rnn": _h_cell(
            "rnn",
            rnn.init_rnn_params,
            rnn.rnn_step_forward,
            rnn.rnn_step_backward,
            rnn.rnn_forward,
            rnn.rnn_backward,
        ),
        "gru": _h_cell(
            "gru",
            gru.init_gru_params,
            gru.gru_step_forward,
            gru.gru_step_backward,
            gru.gru_forward,
            gru.gru_backward,
        ),
        "gru_reset_after": _h_cell(
            "gru_reset_after",
            partial(gru.init_gru_params, reset_after=True),
            partial(gru.gru_step_forward, reset_after=True),
            gru.gru_step_backward,
            partial(gru.gru_forward, reset_after=True),
            gru.gru_backward,
        ),
        "peephole": _hc_cell("peephole", bind(PEEPHOLE)),
        "cifg": _hc_cell("cifg", bind(CIFG)),
    }
    entries.update({name: _hc_cell(name, funcs) for name, funcs in ABLATIONS.items()})
    return entries


_ENTRIES = _registry()
CELLS: dict[str, CellSpec] = {name: cell for name, (cell, _) in _ENTRIES.items()}
STEPS: dict[str, StepSpec] = {name: step for name, (_, step) in _ENTRIES.items()}


def get_cell(name: str) -> CellSpec:
    """The registered cell called ``name``; ValueError naming the valid cells otherwise."""
    if name not in CELLS:
        raise ValueError(f"unknown cell {name!r}; valid cells: {', '.join(CELLS)}")
    return CELLS[name]


def get_step(name: str) -> StepSpec:
    """The one-step pair of the registered cell ``name`` (ValueError like :func:`get_cell`)."""
    get_cell(name)
    return STEPS[name]


def zero_state(
    cell: CellSpec, hidden_size: int, batch: int, dtype: np.dtype | type = np.float64
) -> State:
    """The all-zero initial state of ``cell``: one (H, B) array per state name."""
    return tuple(np.zeros((hidden_size, batch), dtype) for _ in cell.state_names)
