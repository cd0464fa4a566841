"""Shared helpers for the cell tests: random problems and a step-by-step reference loop."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_reference.cells import STEPS, get_cell
from lstm_reference.init import Params

SIZES = {"T": 4, "D": 3, "H": 5, "B": 2}


class Problem(NamedTuple):
    p: Params
    X: np.ndarray  # (T, D, B)
    state: tuple[np.ndarray, ...]  # one (H, B) per state name
    dhs: np.ndarray  # (T, H, B)
    dfinal: tuple[np.ndarray, ...]


def random_problem(
    name: str, seed: int = 0, dtype: type = np.float64, T: int = 4, D: int = 3, H: int = 5,
    B: int = 2,
) -> Problem:
    """Random parameters (init + noise, so no entry is special), inputs, states and gradients."""
    cell = get_cell(name)
    rng = np.random.default_rng(seed)
    p = cell.init(D, H, rng, np.float64)
    p = {k: (v + 0.5 * rng.standard_normal(v.shape)).astype(dtype) for k, v in p.items()}
    X = rng.standard_normal((T, D, B)).astype(dtype)
    state = tuple(rng.standard_normal((H, B)).astype(dtype) for _ in cell.state_names)
    dhs = rng.standard_normal((T, H, B)).astype(dtype)
    dfinal = tuple(rng.standard_normal((H, B)).astype(dtype) for _ in cell.state_names)
    return Problem(p, X, state, dhs, dfinal)


def cast(prob: Problem, dtype: type) -> Problem:
    """The same problem in another dtype."""
    return Problem(
        {k: v.astype(dtype) for k, v in prob.p.items()},
        prob.X.astype(dtype),
        tuple(s.astype(dtype) for s in prob.state),
        prob.dhs.astype(dtype),
        tuple(d.astype(dtype) for d in prob.dfinal),
    )


def run_sequence(name: str, prob: Problem) -> tuple:
    """Sequence forward + backward: hs, final, dX, dinitial, grads."""
    cell = get_cell(name)
    hs, final, cache = cell.forward(prob.X, prob.state, prob.p)
    dX, dinit, grads = cell.backward(prob.dhs, cache, prob.dfinal)
    return hs, final, dX, dinit, grads


def run_steps(name: str, prob: Problem) -> tuple:
    """The same as :func:`run_sequence`, by looping the cell's one-step pair (BPTT by hand)."""
    step = STEPS[name]
    state, caches, hs = prob.state, [], []
    for x in prob.X:
        state, cache = step.forward(x, state, prob.p)
        caches.append(cache)
        hs.append(state[0])
    dstate = prob.dfinal
    grads = {k: np.zeros_like(v) for k, v in prob.p.items()}
    dX = np.zeros_like(prob.X)
    for t in range(len(caches) - 1, -1, -1):
        dstate = (dstate[0] + prob.dhs[t], *dstate[1:])  # h feeds the output and the next step
        dX[t], dstate, g = step.backward(dstate, caches[t])
        for k in grads:
            grads[k] += g[k]
    return np.stack(hs), state, dX, dstate, grads
