"""Looking inside a trained LSTM: gate recordings, tracking units, saturation, gradient flow.

Everything here works on recordings in the kit's sequence layout: an activation array is
``(T, H, B)`` (or ``(T, H)`` for one sequence) and a signal is ``(T,)`` (or ``(T, B)``), one
value per step, aligned with the state *after* reading the input of that step.

* :func:`record_lstm` runs the reference LSTM and keeps every gate, the cell state and h.
* :func:`tracking_correlations` / :func:`best_tracking_unit` find the unit whose activation
  follows a signal (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding
  Recurrent Networks").
* :func:`saturation` gives the fraction of time a gate is left-saturated (< 0.1, almost
  closed) or right-saturated (> 0.9, almost open), per unit — the statistic of that paper.
* :func:`gradient_flow` measures how much gradient from the last step reaches each earlier step.
"""

from __future__ import annotations

import numpy as np

from lstm_reference.init import Params
from lstm_reference.lstm import lstm_step_forward

RECORDED = ("f", "i", "o", "C_tilde", "C", "h")


def record_lstm(X: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: Params) -> dict[str, np.ndarray]:
    """Run the LSTM over X (T, D, B) from (h0, C0) (H, B) and keep everything it computed.

    Returns a dict with ``f, i, o, C_tilde, C, h``, each (T, H, B): the gates and candidate of
    every step, the cell state and hidden state after every step. Uses the readable one-step
    function, whose cache holds the gates.
    """
    T, _, B = X.shape
    H = h0.shape[0]
    out = {k: np.empty((T, H, B), dtype=np.result_type(X, h0, p["Wf"])) for k in RECORDED}
    h, C = h0, C0
    for t in range(T):
        h, C, cache = lstm_step_forward(X[t], h, C, p)
        _, _, f, i, C_tilde, o, _, _ = cache
        for key, value in zip(RECORDED, (f, i, o, C_tilde, C, h), strict=True):
            out[key][t] = value
    return out


def _as_steps_by_units(acts: np.ndarray) -> np.ndarray:
    """(T, H) or (T, H, B) -> (T·B, H): every (step, column) is one observation."""
    acts = np.asarray(acts, dtype=np.float64)
    if acts.ndim == 2:
        return acts
    if acts.ndim == 3:
        return acts.transpose(0, 2, 1).reshape(-1, acts.shape[1])
    raise ValueError(f"activations must be (T, H) or (T, H, B), got shape {acts.shape}")


def tracking_correlations(acts: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """Pearson correlation of every unit with the signal.

    acts (T, H) with signal (T,), or acts (T, H, B) with signal (T, B). Returns (H,); a unit
    (or a signal) that never changes has correlation 0.
    """
    A = _as_steps_by_units(acts)
    s = np.asarray(signal, dtype=np.float64).reshape(-1)
    if s.shape[0] != A.shape[0]:
        raise ValueError(f"signal has {s.shape[0]} values, activations have {A.shape[0]} steps")
    A = A - A.mean(axis=0)
    s = s - s.mean()
    num = s @ A
    den = np.sqrt((A**2).sum(axis=0) * (s**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), 0.0)
    return r


def best_tracking_unit(acts: np.ndarray, signal: np.ndarray) -> tuple[int, float]:
    """The unit with the largest |correlation| with the signal, and that (signed) correlation.

    A unit that is strongly *anti*-correlated tracks the signal just as well (the sign of a
    hidden unit is arbitrary). Ties go to the lowest unit index.
    """
    r = tracking_correlations(acts, signal)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def correlation_ratios(acts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """How well every unit separates the categories of a categorical signal: η per unit.

    acts (T, H) with labels (T,), or acts (T, H, B) with labels (T, B): integer category ids,
    −1 where no category applies (those steps are left out). The correlation ratio is

        η² = Σ_k n_k (mean_k − mean)² / Σ_t (a_t − mean)²

    over the labelled steps: the share of a unit's variance explained by the category, in
    [0, 1] (for two categories it is |Pearson r| with the 0/1 indicator). Returns (H,); a unit
    that never changes on the labelled steps has η = 0.
    """
    A = _as_steps_by_units(acts)
    y = np.asarray(labels).reshape(-1)
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"labels has {y.shape[0]} values, activations have {A.shape[0]} steps")
    keep = y >= 0
    A, y = A[keep], y[keep].astype(np.int64)
    if A.shape[0] == 0:
        return np.zeros(A.shape[1])
    A = A - A.mean(axis=0)
    counts = np.bincount(y)
    sums = np.zeros((counts.shape[0], A.shape[1]))
    np.add.at(sums, y, A)
    present = counts > 0
    between = (sums[present] ** 2 / counts[present, None]).sum(axis=0)
    total = (A**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eta2 = np.where(total > 1e-12, between / np.where(total > 1e-12, total, 1.0), 0.0)
    return np.sqrt(np.clip(eta2, 0.0, 1.0))


def best_category_unit(acts: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
    """The unit with the largest correlation ratio η with the labels, and that η.

    Ties go to the lowest unit index.
    """
    eta = correlation_ratios(acts, labels)
    unit = int(np.argmax(eta))
    return unit, float(eta[unit])


def saturation(
    gate: np.ndarray, low: float = 0.1, high: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the fraction of observations with gate < low and with gate > high.

    gate (T, H) or (T, H, B) with values in [0, 1]. Returns (left, right), each (H,):
    left-saturated = almost closed, right-saturated = almost open.
    """
    G = _as_steps_by_units(gate)
    return (G < low).mean(axis=0), (G > high).mean(axis=0)


# --------------------------------------------------------------------------- gradient flow


def gradient_flow(cell: str, p: Params, X: np.ndarray) -> np.ndarray:
    """How much gradient of the last step's output reaches each input step.

    Runs ``cell`` (a name from :mod:`lstm_reference.cells`) over X (T, D, B) from the zero
    state, takes L = Σ h_T (the sum of the last hidden state) and returns (T,): the norm of
    ∂L/∂x_t, averaged over the batch. A vanilla RNN's curve falls off exponentially going
    back in time; the LSTM's cell state carries gradient much further.
    """
    from lstm_reference.model import get_cell_spec, initial_state

    spec = get_cell_spec(cell)
    B = X.shape[2]
    H = next(v for k, v in p.items() if k.startswith("b") and k != "by").shape[0]
    state = initial_state(spec, H, B, X.dtype)
    hs, _, cache = spec.forward(X, state, p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dX, _, _ = spec.backward(dhs, cache, None)
    return np.linalg.norm(dX, axis=1).mean(axis=1)
