"""The LSTM cell of Colah's post, in column layout (features × batch).

Notation (DESIGN §1), with ``hx = [h_{t-1}; x_t]`` (hidden first, then input)::

    f  = σ(Wf·hx + bf)          forget gate
    i  = σ(Wi·hx + bi)          input gate
    C̃  = tanh(WC·hx + bC)       candidate
    C  = f⊙C_prev + i⊙C̃        cell state: the conveyor belt
    o  = σ(Wo·hx + bo)          output gate
    h  = o⊙tanh(C)

Shapes: ``x`` (D, B); ``h``, ``C`` (H, B); each ``W*`` (H, H + D); each ``b*`` (H, 1).

``lstm_step_forward`` / ``lstm_step_backward`` are the readable one-step pair the exercises ask
for. ``lstm_forward`` / ``lstm_backward`` compute the same thing for a whole sequence, fast:
the four gate matrices are fused into one, the input projection of all T steps is a single
matmul, and each step costs one (4H, H)·(H, B) matmul plus a few in-place ufuncs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_reference.activations import sigmoid
from lstm_reference.init import Params, gate_params

GATES = ("f", "i", "C", "o")
PARAM_NAMES = ("Wf", "Wi", "WC", "Wo", "bf", "bi", "bC", "bo")


def init_lstm_params(
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Xavier weights (H, H + D), forget bias 1, other biases 0."""
    rng = np.random.default_rng() if rng is None else rng
    names = [("Wf", "bf", 1.0), ("Wi", "bi", 0.0), ("WC", "bC", 0.0), ("Wo", "bo", 0.0)]
    return gate_params(rng, names, hidden_size, input_size, dtype)


# --------------------------------------------------------------------------- one step


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step. x (D, B), h_prev (H, B), C_prev (H, B) -> h (H, B), C (H, B), cache."""
    hx = np.concatenate([h_prev, x], axis=0)  # (H + D, B)
    f = sigmoid(p["Wf"] @ hx + p["bf"])
    i = sigmoid(p["Wi"] @ hx + p["bi"])
    C_tilde = np.tanh(p["WC"] @ hx + p["bC"])
    C = f * C_prev + i * C_tilde
    o = sigmoid(p["Wo"] @ hx + p["bo"])
    tanh_C = np.tanh(C)
    h = o * tanh_C
    cache = (hx, C_prev, f, i, C_tilde, o, tanh_C, p)
    return h, C, cache


def lstm_step_backward(
    dh: np.ndarray, dC_next: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Params]:
    """Backward through one step.

    dh (H, B): loss gradient w.r.t. this step's h; dC_next (H, B): gradient arriving at this
    step's C from the next step. Returns dx (D, B), dh_prev (H, B), dC_prev (H, B) and the
    parameter gradients (same keys and shapes as the parameters).
    """
    hx, C_prev, f, i, C_tilde, o, tanh_C, p = cache
    H = C_prev.shape[0]
    do = dh * tanh_C
    dC = dh * o * (1.0 - tanh_C**2) + dC_next  # two paths into C: through h, and from C_{t+1}
    dz = {
        "f": dC * C_prev * f * (1.0 - f),
        "i": dC * C_tilde * i * (1.0 - i),
        "C": dC * i * (1.0 - C_tilde**2),
        "o": do * o * (1.0 - o),
    }
    grads: Params = {}
    dhx = np.zeros_like(hx)
    for g in GATES:
        grads["W" + g] = dz[g] @ hx.T
        grads["b" + g] = dz[g].sum(axis=1, keepdims=True)
        dhx += p["W" + g].T @ dz[g]
    dC_prev = dC * f  # the conveyor belt: scaled by f, no weight matrix in the way
    return dhx[H:], dhx[:H], dC_prev, grads


# --------------------------------------------------------------------------- whole sequence

# Internal fused row order: [o, f, i, C̃], so the three sigmoid gates are one contiguous block
# and the three gates driven by dC are another.
_FUSED = ("o", "f", "i", "C")


class LSTMCache(NamedTuple):
    X: np.ndarray  # (T, D, B) inputs
    hs: np.ndarray  # (T + 1, H, B) h_0 … h_T
    Cs: np.ndarray  # (T + 1, H, B) C_0 … C_T
    gates: np.ndarray  # (T, 4H, B) activated gates, rows [o, f, i, C̃]
    tanh_C: np.ndarray  # (T, H, B)
    Wh: np.ndarray  # (4H, H)
    Wx: np.ndarray  # (4H, D)


def fuse_lstm_params(p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the gate matrices: Wh (4H, H), Wx (4H, D), b (4H, 1), rows [o, f, i, C̃]."""
    H = p["bf"].shape[0]
    W = np.concatenate([p["W" + g] for g in _FUSED], axis=0)
    b = np.concatenate([p["b" + g] for g in _FUSED], axis=0)
    return np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:]), b


def seq_matmul(W: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """W (M, K) applied to every step of Z (T, K, B) as one matmul -> (T, M, B)."""
    T, K, B = Z.shape
    flat = Z.transpose(1, 0, 2).reshape(K, T * B)
    return np.ascontiguousarray((W @ flat).reshape(W.shape[0], T, B).transpose(1, 0, 2))


def seq_outer(dZ: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Σ_t dZ[t] · A[t]ᵀ as one matmul: dZ (T, M, B), A (T, K, B) -> (M, K)."""
    return np.tensordot(dZ, A, axes=([0, 2], [0, 2]))


def lstm_forward(
    X: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: Params
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], LSTMCache]:
    """Run the LSTM over X (T, D, B) from (h0, C0), each (H, B).

    Returns hs (T, H, B) — the hidden state after every step —, the final state (h_T, C_T)
    and a cache for :func:`lstm_backward`.
    """
    T, D, B = X.shape
    H = h0.shape[0]
    dtype = np.result_type(X, h0, p["Wf"])
    Wh, Wx, b = fuse_lstm_params(p)
    gates = seq_matmul(Wx, X)  # input projection for all steps at once
    gates += b
    hs = np.empty((T + 1, H, B), dtype)
    Cs = np.empty((T + 1, H, B), dtype)
    tanh_C = np.empty((T, H, B), dtype)
    hs[0], Cs[0] = h0, C0
    tmp = np.empty((H, B), dtype)
    rec = np.empty((4 * H, B), dtype)
    for t in range(T):
        z = gates[t]
        np.matmul(Wh, hs[t], out=rec)
        z += rec
        s = z[: 3 * H]  # σ(z) = ½(1 + tanh(z/2)) for o, f, i; tanh for C̃
        s *= 0.5
        np.tanh(z, out=z)
        s += 1.0
        s *= 0.5
        o, f, i, g = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        np.multiply(f, Cs[t], out=Cs[t + 1])
        np.multiply(i, g, out=tmp)
        Cs[t + 1] += tmp
        np.tanh(Cs[t + 1], out=tanh_C[t])
        np.multiply(o, tanh_C[t], out=hs[t + 1])
    cache = LSTMCache(X, hs, Cs, gates, tanh_C, Wh, Wx)
    return hs[1:], (hs[T].copy(), Cs[T].copy()), cache


def lstm_backward(
    dhs: np.ndarray,
    cache: LSTMCache,
    dh_T: np.ndarray | None = None,
    dC_T: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Params]:
    """Backpropagation through time for :func:`lstm_forward`.

    dhs (T, H, B): loss gradient w.r.t. every output h_t. dh_T, dC_T (H, B), optional: gradient
    arriving at the final state from later chunks. Returns dX (T, D, B), the gradient of the
    initial state (dh_0, dC_0) and the parameter gradients (same keys as the parameters).
    """
    X, hs, Cs, gates, tanh_C, Wh, Wx = cache
    T, H, B = dhs.shape
    G = gates.reshape(T, 4, H, B)
    o, f, i, g = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
    # Every local derivative that does not depend on the incoming gradient, for all T at once.
    dC_from_h = o * (1.0 - tanh_C**2)  # ∂C-gradient per unit of dh
    K = np.empty_like(G)  # dz = [dh, dC, dC, dC] ⊙ K
    K[:, 0] = tanh_C * o * (1.0 - o)
    K[:, 1] = Cs[:-1] * f * (1.0 - f)
    K[:, 2] = g * i * (1.0 - i)
    K[:, 3] = i * (1.0 - g**2)
    dZ = np.empty_like(G)
    WhT = np.ascontiguousarray(Wh.T)
    dh = np.zeros((H, B), dhs.dtype) if dh_T is None else dh_T.astype(dhs.dtype, copy=True)
    dC = np.zeros((H, B), dhs.dtype) if dC_T is None else dC_T.astype(dhs.dtype, copy=True)
    tmp = np.empty((H, B), dhs.dtype)
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        np.multiply(dh, dC_from_h[t], out=tmp)
        dC += tmp
        np.multiply(dh, K[t, 0], out=dZ[t, 0])
        np.multiply(K[t, 1:], dC, out=dZ[t, 1:])
        dC *= f[t]
        np.matmul(WhT, dZ[t].reshape(4 * H, B), out=dh)
    dZ = dZ.reshape(T, 4 * H, B)
    dWh = seq_outer(dZ, hs[:-1])
    dWx = seq_outer(dZ, X)
    db = dZ.sum(axis=(0, 2))[:, None]
    dX = seq_matmul(np.ascontiguousarray(Wx.T), dZ)
    grads: Params = {}
    for k, name in enumerate(_FUSED):
        rows = slice(k * H, (k + 1) * H)
        grads["W" + name] = np.concatenate([dWh[rows], dWx[rows]], axis=1)
        grads["b" + name] = db[rows]
    grads = {k: grads[k] for k in PARAM_NAMES}
    return dX, (dh, dC), grads
