"""The vanilla tanh RNN, the baseline the LSTM was built to improve on.

With ``hx = [h_{t-1}; x_t]`` (hidden first, then input)::

    h = tanh(Wh·hx + bh)

Shapes: ``x`` (D, B); ``h`` (H, B); ``Wh`` (H, H + D); ``bh`` (H, 1).

Backpropagating through time multiplies the gradient by ``Whᵀ·diag(1 − h²)`` at every step, with
no additive path around it: this is why its gradients vanish (or explode) over long sequences.

``rnn_step_forward`` / ``rnn_step_backward`` are the readable one-step pair; ``rnn_forward`` /
``rnn_backward`` do a whole sequence with the input projection of all steps in one matmul and one
(H, H)·(H, B) matmul per step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_reference.init import Params, gate_params
from lstm_reference.kernels import hoisted_gradients, tanh_
from lstm_reference.lstm import seq_matmul

PARAM_NAMES = ("Wh", "bh")


def init_rnn_params(
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Xavier ``Wh`` (H, H + D), zero ``bh`` (H, 1)."""
    rng = np.random.default_rng() if rng is None else rng
    return gate_params(rng, [("Wh", "bh", 0.0)], hidden_size, input_size, dtype)


# --------------------------------------------------------------------------- one step


def rnn_step_forward(
    x: np.ndarray, h_prev: np.ndarray, p: Params
) -> tuple[np.ndarray, tuple]:
    """One step. x (D, B), h_prev (H, B) -> h (H, B), cache."""
    hx = np.concatenate([h_prev, x], axis=0)  # (H + D, B)
    h = np.tanh(p["Wh"] @ hx + p["bh"])
    return h, (hx, h, p)


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, Params]:
    """Backward through one step.

    dh (H, B): total loss gradient w.r.t. this step's h (its own output plus what came back from
    the next step). Returns dx (D, B), dh_prev (H, B) and grads {Wh (H, H + D), bh (H, 1)}.
    """
    hx, h, p = cache
    H = h.shape[0]
    dz = dh * (1.0 - h**2)  # through tanh
    grads: Params = {"Wh": dz @ hx.T, "bh": dz.sum(axis=1, keepdims=True)}
    dhx = p["Wh"].T @ dz
    return dhx[H:], dhx[:H], grads


# --------------------------------------------------------------------------- whole sequence


class RNNCache(NamedTuple):
    X: np.ndarray  # (T, D, B) inputs
    hs: np.ndarray  # (T + 1, H, B) h_0 … h_T
    Wh: np.ndarray  # (H, H) recurrent columns of Wh
    Wx: np.ndarray  # (H, D) input columns of Wh


@np.errstate(over="ignore")  # exp-based activations: e^(−a) may overflow to inf, harmlessly
def rnn_forward(
    X: np.ndarray, h0: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray, RNNCache]:
    """Run the RNN over X (T, D, B) from h0 (H, B).

    Returns hs (T, H, B) — the hidden state after every step —, the final state h_T (H, B) and a
    cache for :func:`rnn_backward`.
    """
    T, _, B = X.shape
    H = h0.shape[0]
    dtype = np.result_type(X, h0, p["Wh"])
    Wh = np.ascontiguousarray(p["Wh"][:, :H])
    Wx = np.ascontiguousarray(p["Wh"][:, H:])
    hs = np.empty((T + 1, H, B), dtype)
    hs[0] = h0
    hs[1:] = seq_matmul(Wx, X)  # input projection for all steps at once
    hs[1:] += p["bh"]
    rec = np.empty((H, B), dtype)
    for t in range(T):
        np.matmul(Wh, hs[t], out=rec)
        hs[t + 1] += rec
        tanh_(hs[t + 1])
    return hs[1:], hs[T].copy(), RNNCache(X, hs, Wh, Wx)


def rnn_backward(
    dhs: np.ndarray, cache: RNNCache, dh_T: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, Params]:
    """Backpropagation through time for :func:`rnn_forward`.

    dhs (T, H, B): loss gradient w.r.t. every output h_t; dh_T (H, B), optional: gradient arriving
    at the final state from later chunks. Returns dX (T, D, B), dh0 (H, B) and grads.
    """
    X, hs, Wh, Wx = cache
    T, H, B = dhs.shape
    dZ = 1.0 - hs[1:] ** 2  # tanh' for every step, filled below with the pre-activation gradient
    WhT = np.ascontiguousarray(Wh.T)
    dh = np.zeros((H, B), dhs.dtype) if dh_T is None else dh_T.astype(dhs.dtype, copy=True)
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        dZ[t] *= dh
        np.matmul(WhT, dZ[t], out=dh)
    dW, db, dX = hoisted_gradients(dZ, hs[:-1], X, Wx)
    return dX, dh, {"Wh": dW, "bh": db}
