"""Known-bug variants of the reference: the mistakes students make, written down on purpose.

When a check fails, :mod:`autograder.diagnose` runs the same check on each variant below and,
if the student's outputs match one of them, names the likely bug. Every variant has the same
signature as the reference function it replaces:

* ``lstm_step_forward(x (D,B), h_prev (H,B), C_prev (H,B), p) -> h (H,B), C (H,B), cache``
* ``lstm_step_backward(dh (H,B), dC_next (H,B), cache) -> dx, dh_prev, dC_prev, grads``
* ``lstm_forward(X (T,D,B), h0, C0, p) -> hs (T,H,B), (h_T, C_T), cache``
* ``lstm_backward(dhs (T,H,B), cache, dh_T=None, dC_T=None) -> dX, (dh0, dC0), grads``
* ``gru_step_forward(x (D,B), h_prev (H,B), p) -> h (H,B), cache``

A :class:`Bug` replaces some of these functions; :func:`implementation` fills in the rest with
correct code, so a check that needs a forward AND a backward function can run a variant whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from lstm_reference.activations import sigmoid
from lstm_reference.init import Params

Fn = Callable[..., Any]


# --------------------------------------------------------------------------- LSTM, one step


def _step_forward(x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: Params, *,
                  swap_fi: bool = False, swap_fo: bool = False, xh_order: bool = False,
                  sigmoid_candidate: bool = False, h_without_tanh: bool = False,
                  drop_C_prev: bool = False) -> tuple[np.ndarray, np.ndarray, tuple]:
    """The reference step with optional mistakes; shapes as in ``lstm_step_forward``."""
    if xh_order:  # the student reads [x; h] against weights laid out for [h; x]
        hx = np.concatenate([x, h_prev], axis=0)
    else:
        hx = np.concatenate([h_prev, x], axis=0)
    Wf, bf, Wi, bi = (p["Wi"], p["bi"], p["Wf"], p["bf"]) if swap_fi else (
        p["Wf"], p["bf"], p["Wi"], p["bi"])
    Wo, bo = p["Wo"], p["bo"]
    if swap_fo:
        Wf, bf, Wo, bo = Wo, bo, Wf, bf
    f = sigmoid(Wf @ hx + bf)
    i = sigmoid(Wi @ hx + bi)
    zc = p["WC"] @ hx + p["bC"]
    C_tilde = sigmoid(zc) if sigmoid_candidate else np.tanh(zc)
    C = (0.0 if drop_C_prev else f * C_prev) + i * C_tilde
    o = sigmoid(Wo @ hx + bo)
    tanh_C = C if h_without_tanh else np.tanh(C)
    h = o * tanh_C
    cache = (hx, C_prev, f, i, C_tilde, o, tanh_C, p)
    return h, C, cache


def _step_backward(dh: np.ndarray, dC_next: np.ndarray, cache: tuple, *,
                   drop_dC_next: bool = False, dC_prev_unscaled: bool = False,
                   transposed_dW: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          Params]:
    """The reference backward step with optional mistakes (cache from :func:`_step_forward`)."""
    hx, C_prev, f, i, C_tilde, o, tanh_C, p = cache
    H = C_prev.shape[0]
    do = dh * tanh_C
    dC = dh * o * (1.0 - tanh_C**2) + (0.0 if drop_dC_next else dC_next)
    dz = {
        "f": dC * C_prev * f * (1.0 - f),
        "i": dC * C_tilde * i * (1.0 - i),
        "C": dC * i * (1.0 - C_tilde**2),
        "o": do * o * (1.0 - o),
    }
    grads: Params = {}
    dhx = np.zeros_like(hx)
    for g in ("f", "i", "C", "o"):
        dW = dz[g] @ hx.T
        grads["W" + g] = dW.T if transposed_dW else dW
        grads["b" + g] = dz[g].sum(axis=1, keepdims=True)
        dhx += p["W" + g].T @ dz[g]
    dC_prev = dC if dC_prev_unscaled else dC * f
    return dhx[H:], dhx[:H], dC_prev, grads


# --------------------------------------------------------------------------- LSTM, sequence


def _seq_forward(X: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: Params, *,
                 step: Fn = _step_forward, carry_C: bool = True,
                 ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], list]:
    """Loop ``step`` over X (T, D, B); ``carry_C=False`` restarts every step from C0."""
    h, C = h0, C0
    hs, caches = [], []
    for t in range(X.shape[0]):
        h, C, cache = step(X[t], h, C if carry_C else C0, p)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), (h, C), caches


def _seq_backward(dhs: np.ndarray, caches: list, dh_T: np.ndarray | None = None,
                  dC_T: np.ndarray | None = None, *, step: Fn = _step_backward,
                  carry_dh: bool = True, carry_dC: bool = True, use_final: bool = True,
                  ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Params]:
    """BPTT over the caches of :func:`_seq_forward`; the flags drop dh_prev or dC_prev
    between steps, or ignore the gradients dh_T, dC_T arriving at the final state."""
    T, H, B = dhs.shape
    dh = np.zeros((H, B)) if dh_T is None or not use_final else dh_T
    dC = np.zeros((H, B)) if dC_T is None or not use_final else dC_T
    dXs: list[np.ndarray] = [np.empty(0)] * T
    total: Params = {}
    for t in range(T - 1, -1, -1):
        dx, dh_prev, dC, grads = step(dhs[t] + dh, dC, caches[t])
        dh = dh_prev if carry_dh else np.zeros_like(dh_prev)
        dC = dC if carry_dC else np.zeros_like(dC)
        dXs[t] = dx
        for k, v in grads.items():
            total[k] = total[k] + v if k in total else v
    return np.stack(dXs), (dh, dC), total


# --------------------------------------------------------------------------- GRU, one step


def _gru_step_forward(x: np.ndarray, h_prev: np.ndarray, p: Params, *,
                      swap_z: bool = False, reset_after: bool = False,
                      ) -> tuple[np.ndarray, tuple]:
    """GRU step (Colah's form): h = (1−z)⊙h_prev + z⊙h̃; x (D,B), h_prev (H,B) -> h (H,B)."""
    hx = np.concatenate([h_prev, x], axis=0)
    z = sigmoid(p["Wz"] @ hx + p["bz"])
    r = sigmoid(p["Wr"] @ hx + p["br"])
    H = h_prev.shape[0]
    if reset_after:  # r applied after the matmul instead of to h_prev before it
        h_tilde = np.tanh(r * (p["Wh"][:, :H] @ h_prev) + p["Wh"][:, H:] @ x + p["bh"])
    else:
        h_tilde = np.tanh(p["Wh"] @ np.concatenate([r * h_prev, x], axis=0) + p["bh"])
    h = z * h_prev + (1.0 - z) * h_tilde if swap_z else (1.0 - z) * h_prev + z * h_tilde
    return h, (hx, z, r, h_tilde, p)


# --------------------------------------------------------------------------- the catalogue

CORRECT: dict[str, Fn] = {
    "lstm_step_forward": _step_forward,
    "lstm_step_backward": _step_backward,
    "lstm_forward": _seq_forward,
    "lstm_backward": _seq_backward,
    "gru_step_forward": _gru_step_forward,
}


@dataclass(frozen=True)
class Bug:
    """A known mistake: ``message`` tells the student what it is and how to fix it."""

    name: str
    message: str
    replaces: dict[str, Fn] = field(default_factory=dict)


def _fwd_bug(**kw: bool) -> dict[str, Fn]:
    step = partial(_step_forward, **kw)
    return {"lstm_step_forward": step, "lstm_forward": partial(_seq_forward, step=step)}


def _bwd_bug(**kw: bool) -> dict[str, Fn]:
    step = partial(_step_backward, **kw)
    return {"lstm_step_backward": step, "lstm_backward": partial(_seq_backward, step=step)}


BUGS: dict[str, Bug] = {b.name: b for b in [
    Bug("swap_fi", "the forget and input gates look swapped: f uses Wf/bf and "
        "multiplies C_prev; i uses Wi/bi and multiplies the candidate", _fwd_bug(swap_fi=True)),
    Bug("swap_fo", "the forget and output gates look swapped: check which weights each gate "
        "uses", _fwd_bug(swap_fo=True)),
    Bug("no_cell_state", "the old cell state is dropped: C = f⊙C_prev + i⊙C̃",
        _fwd_bug(drop_C_prev=True)),
    Bug("xh", "the concatenation looks like [x; h]: the gates read [h_prev; x] "
        "(hidden state first, then input)", _fwd_bug(xh_order=True)),
    Bug("sigmoid_candidate", "the candidate C̃ looks squashed with sigmoid: it uses tanh "
        "(values in (-1, 1)), the three gates use sigmoid", _fwd_bug(sigmoid_candidate=True)),
    Bug("no_tanh", "h looks like o⊙C: the output is o⊙tanh(C)",
        _fwd_bug(h_without_tanh=True)),
    Bug("missing_dC_next", "dC ignores dC_next: the cell state gets gradient from this "
        "step's h AND from the next step's C (add dC_next)", _bwd_bug(drop_dC_next=True)),
    Bug("wrong_dC_prev", "dC_prev is not scaled by the forget gate: the gradient flows to "
        "C_prev through f (dC_prev = dC⊙f)", _bwd_bug(dC_prev_unscaled=True)),
    Bug("transposed_dW", "the weight gradients look transposed: dW = dz·[h_prev; x]ᵀ has "
        "the shape of W, (H, H + D)", _bwd_bug(transposed_dW=True)),
    Bug("state_not_carried", "the cell state is not carried between steps: each step "
        "must start from the previous step's C, not from C0",
        {"lstm_forward": partial(_seq_forward, carry_C=False)}),
    Bug("dh_not_carried", "the hidden-state gradient is not carried back: add dh_prev from "
        "step t+1 to the gradient of h_t", {"lstm_backward": partial(_seq_backward,
                                                                     carry_dh=False)}),
    Bug("dC_not_carried", "the cell-state gradient is not carried back: each step's dC_prev "
        "is the dC_next of the step before", {"lstm_backward": partial(_seq_backward,
                                                                       carry_dC=False)}),
    Bug("final_ignored", "dh_T / dC_T (gradients arriving at the final state) are ignored: "
        "start the backward loop from them", {"lstm_backward": partial(_seq_backward,
                                                                       use_final=False)}),
    Bug("gru_z_swapped", "z and 1−z look swapped: h = (1−z)⊙h_prev + z⊙h̃ (z is how much "
        "of the candidate to take)", {"gru_step_forward": partial(_gru_step_forward,
                                                                  swap_z=True)}),
    Bug("gru_reset_after", "the reset gate looks applied after the matmul: this course "
        "writes h̃ = tanh(Wh·[r⊙h_prev; x] + bh)", {"gru_step_forward": partial(
            _gru_step_forward, reset_after=True)}),
]}


def implementation(bug: Bug | None = None) -> dict[str, Fn]:
    """Every function of the catalogue, correct except those ``bug`` replaces."""
    impl = dict(CORRECT)
    if bug is not None:
        impl.update(bug.replaces)
    return impl
