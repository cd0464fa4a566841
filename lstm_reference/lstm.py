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
#
# Layout of the fast path. Inside lstm_forward / lstm_backward every array that takes part in a
# matmul over all T·B columns is stored "time inside": (rows, T, B), so that viewed as
# (rows, T·B) it is an ordinary matrix and the hoisted products (input projection, dW, dX) are
# single BLAS calls without a copy. Step t is then the (rows, B) slice [:, t], a strided but
# BLAS-compatible matrix. C and tanh(C), which only meet elementwise operations, stay (T, H, B).

# Internal fused row order: [o, f, i, C̃], so the three sigmoid gates are one contiguous block
# and the three gates driven by dC are another.
_FUSED = ("o", "f", "i", "C")


class LSTMCache(NamedTuple):
    X: np.ndarray  # (D, T·B) inputs, column t·B + b is x_t[:, b]
    hs: np.ndarray  # (H, T + 1, B) h_0 … h_T
    Cs: np.ndarray  # (T + 1, H, B) C_0 … C_T
    gates: np.ndarray  # (4H, T, B) activated gates, rows [o, f, i, C̃]
    tanh_cell: np.ndarray  # (T, H, B) tanh(C_1) … tanh(C_T)
    Wh: np.ndarray  # (4H, H)
    Wx: np.ndarray  # (4H, D)


def fuse_lstm_params(p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the gate matrices: Wh (4H, H), Wx (4H, D), b (4H, 1), rows [o, f, i, C̃]."""
    H = p["bf"].shape[0]
    W = np.concatenate([p["W" + g] for g in _FUSED], axis=0)
    b = np.concatenate([p["b" + g] for g in _FUSED], axis=0)
    return np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:]), b


def seq_matmul(W: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """W (M, K) applied to every step of Z (T, K, B) -> (T, M, B), contiguous."""
    # One (M, K)·(K, B) product per step straight into the result: no transposed copies.
    T, _, B = Z.shape
    out = np.empty((T, W.shape[0], B), np.result_type(W, Z))
    return np.matmul(W, Z, out=out)


def seq_outer(dZ: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Σ_t dZ[t] · A[t]ᵀ as one matmul: dZ (T, M, B), A (T, K, B) -> (M, K)."""
    return _time_inside(dZ) @ _time_inside(A).T


def _time_inside(Z: np.ndarray) -> np.ndarray:
    """(T, K, B) -> (K, T·B), column t·B + b = Z[t, :, b] (a copy)."""
    T, K, B = Z.shape
    return np.ascontiguousarray(Z.transpose(1, 0, 2)).reshape(K, T * B)


def _tanh_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = tanh(z) = 2 / (1 + e^(−2z)) − 1: np.tanh is scalar libm, exp is vectorised."""
    np.multiply(z, -2.0, out=out)
    np.exp(out, out=out)  # may overflow to inf for z ≪ 0, which correctly gives −1
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
    return out


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
    Wh, Wx, b = (a.astype(dtype, copy=False) for a in fuse_lstm_params(p))
    # One exp serves all four gates: σ(a) = 1 / (1 + e^(−a)) and tanh(a) = 2σ(2a) − 1. Scaling
    # the fused rows by −1 (o, f, i) and −2 (C̃) makes the matmuls produce −a resp. −2a
    # directly; multiplying by a power of two is exact, so nothing is lost.
    scale = np.full((4 * H, 1), -1.0, dtype)
    scale[3 * H :] = -2.0
    X2 = np.ascontiguousarray(X.transpose(1, 0, 2), dtype=dtype).reshape(D, T * B)
    gates = np.empty((4 * H, T, B), dtype)
    G2 = gates.reshape(4 * H, T * B)
    np.matmul(Wx * scale, X2, out=G2)  # input projection for all steps at once
    G2 += b * scale
    Wh_scaled = Wh * scale
    hs = np.empty((H, T + 1, B), dtype)
    Cs = np.empty((T + 1, H, B), dtype)
    tanh_C = np.empty((T, H, B), dtype)
    hs[:, 0] = h0
    Cs[0] = C0
    z = np.empty((4 * H, B), dtype)  # the current step's gates, contiguous
    tmp = np.empty((H, B), dtype)
    o, f, i, g = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
    with np.errstate(over="ignore"):
        for t in range(T):
            np.matmul(Wh_scaled, hs[:, t], out=z)
            z += gates[:, t]  # z = −a for o, f, i; −2a for C̃
            np.exp(z, out=z)
            z += 1.0
            np.divide(1.0, z, out=z)  # σ(a) for o, f, i; σ(2a) for C̃
            g *= 2.0
            g -= 1.0  # tanh(a)
            gates[:, t] = z
            C = Cs[t + 1]
            np.multiply(f, Cs[t], out=C)
            np.multiply(i, g, out=tmp)
            C += tmp
            _tanh_into(C, tanh_C[t])
            np.multiply(o, tanh_C[t], out=hs[:, t + 1])
    cache = LSTMCache(X2, hs, Cs, gates, tanh_C, Wh, Wx)
    h_out = np.ascontiguousarray(hs[:, 1:].transpose(1, 0, 2))
    return h_out, (h_out[-1].copy(), Cs[T].copy()), cache


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
    X2, hs, Cs, gates, tanh_C, Wh, Wx = cache
    T, H, B = dhs.shape
    D = Wx.shape[1]
    dtype = gates.dtype
    dZ = np.empty((4 * H, T, B), dtype)  # gradient w.r.t. the gate pre-activations a
    WhT = np.ascontiguousarray(Wh.T)
    dh = np.zeros((H, B), dtype) if dh_T is None else dh_T.astype(dtype, copy=True)
    dC = np.zeros((H, B), dtype) if dC_T is None else dC_T.astype(dtype, copy=True)
    s = np.empty((4 * H, B), dtype)  # this step's gates, contiguous
    u = np.empty((3 * H, B), dtype)
    dz = np.empty((4 * H, B), dtype)
    tmp = np.empty((H, B), dtype)
    o, f, i, g = s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H :]
    dz_o, dz_f, dz_i, dz_g = dz[:H], dz[H : 2 * H], dz[2 * H : 3 * H], dz[3 * H :]
    for t in range(T - 1, -1, -1):
        s[:] = gates[:, t]
        th = tanh_C[t]
        dh += dhs[t]
        np.subtract(1.0, s[: 3 * H], out=u)
        u *= s[: 3 * H]  # σ'(a) = σ(1 − σ) for o, f, i at once
        # h = o⊙tanh(C): into o, and into C (added to the gradient from step t + 1)
        np.multiply(dh, th, out=dz_o)
        dz_o *= u[:H]
        np.multiply(th, th, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dC += tmp
        # C = f⊙C_prev + i⊙C̃
        np.multiply(dC, Cs[t], out=dz_f)
        dz_f *= u[H : 2 * H]
        np.multiply(dC, g, out=dz_i)
        dz_i *= u[2 * H :]
        np.multiply(g, g, out=dz_g)
        np.subtract(1.0, dz_g, out=dz_g)  # tanh' = 1 − tanh²
        dz_g *= i
        dz_g *= dC
        dC *= f  # the conveyor belt: scaled by f, no weight matrix in the way
        dZ[:, t] = dz
        np.matmul(WhT, dz, out=dh)
    # Everything that does not feed back into the recursion: one matmul each over all T·B columns.
    dZ2 = dZ.reshape(4 * H, T * B)
    dW = np.empty((4 * H, H + D), dtype)
    np.matmul(dZ2, hs[:, :T].reshape(H, T * B).T, out=dW[:, :H])
    np.matmul(dZ2, X2.T, out=dW[:, H:])
    db = dZ2.sum(axis=1, keepdims=True)
    dX = np.ascontiguousarray((Wx.T @ dZ2).reshape(D, T, B).transpose(1, 0, 2))
    grads: Params = {}
    for k, name in enumerate(_FUSED):
        rows = slice(k * H, (k + 1) * H)
        grads["W" + name] = dW[rows]
        grads["b" + name] = db[rows]
    grads = {k: grads[k] for k in PARAM_NAMES}
    return dX, (dh, dC), grads
