"""The LSTM cell of Colah's post, in column layout (features × batch).

Notation (docs/architecture.md §1), with ``hx = [h_{t-1}; x_t]`` (hidden first, then input)::

    f  = σ(Wf·hx + bf)          forget gate
    i  = σ(Wi·hx + bi)          input gate
    C̃  = tanh(WC·hx + bC)       candidate
    C  = f⊙C_prev + i⊙C̃        cell state: the conveyor belt
    o  = σ(Wo·hx + bo)          output gate
    h  = o⊙tanh(C)

Shapes: ``x`` (D, B); ``h``, ``C`` (H, B); each ``W*`` (H, H + D); each ``b*`` (H, 1).

``lstm_step_forward`` / ``lstm_step_backward`` are the readable one-step pair the exercises ask
for. ``lstm_forward`` / ``lstm_backward`` compute the same thing for a whole sequence, fast:
the four gate matrices are fused into one, the input projection of all T steps is hoisted out
of the time loop, and each step costs one (4H, H)·(H, B) matmul plus a few in-place ufuncs
(see the notes above ``lstm_forward`` for how).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_reference import buffers
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
# How the sequence pass is organised (each choice measured on a 2-core machine):
#
# * Per-step work runs on contiguous (rows, B) blocks: gates, C and tanh(C) are stored (T, ·, B).
#   The per-step products keep the interface's orientation (4H, H)·(H, B): under load from
#   other processes OpenBLAS slows down far less on it than on the transposed (B, H)·(H, 4H).
# * What the products over all steps need is stored "time inside", (rows, T, B): viewed as
#   (rows, T·B) it is an ordinary matrix, so dW and dX are single BLAS calls without copies.
#   That is h (written there once per step) and the pre-activation gradients dZ.
# * One exp per step for all four gates (np.tanh is scalar code, several times slower than the
#   vectorised exp); see lstm_forward. The bias rides along in the input projection as the
#   weight of an extra input fixed at 1, and comes back out of the dWx product as db.
# * The backward pass computes the local derivative factors of several steps with one ufunc
#   call each, a chunk of steps at a time (small enough to stay in cache), so that each step
#   itself costs one matmul and six ufunc calls. With B = 1 the number of calls is what costs.
# * All elementwise work is in place. The large arrays come from buffers.empty, which reuses
#   the arrays of an earlier call once nothing refers to them (fresh memory is slow to touch).

# Internal fused row order: [o, f, i, C̃], so the three sigmoid gates are one contiguous block
# and the three gates driven by dC are another.
_FUSED = ("o", "f", "i", "C")
_SMALL = 2048  # below this many elements a ufunc call costs more than its arithmetic
_CHUNK = 16384  # elements of h per chunk of backward steps (about 6 times that stays in cache)


class LSTMCache(NamedTuple):
    HX: np.ndarray  # (H + D + 1, T + 1, B): column t holds [h_t; x_{t+1}; 1] (x part unused at T)
    Cs: np.ndarray  # (T + 1, H, B) C_0 … C_T
    gates: np.ndarray  # (T, 4H, B) activated gates, rows [o, f, i, C̃]
    tanh_cell: np.ndarray  # (T, H, B) tanh(C_1) … tanh(C_T)
    Wh_scaled: np.ndarray  # (4H, H) fused recurrent weights, rows [o, f, i, C̃] × _scales
    Wxb_scaled: np.ndarray  # (4H, D + 1) fused [input weights, bias], rows × _scales


def fuse_lstm_params(p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the gate matrices: Wh (4H, H), Wx (4H, D), b (4H, 1), rows [o, f, i, C̃]."""
    H = p["bf"].shape[0]
    W = np.concatenate([p["W" + g] for g in _FUSED], axis=0)
    b = np.concatenate([p["b" + g] for g in _FUSED], axis=0)
    return np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:]), b


def seq_matmul(W: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """W (M, K) applied to every step of Z (T, K, B) -> (T, M, B), contiguous."""
    T, _, B = Z.shape
    out = np.empty((T, W.shape[0], B), np.result_type(W, Z))
    if B == 1:  # (T, K, 1) is a (T, K) matrix: one product for all steps instead of T
        np.matmul(Z[:, :, 0], W.T, out=out[:, :, 0])
        return out
    # One (M, K)·(K, B) product per step straight into the result: no transposed copies.
    return np.matmul(W, Z, out=out)


def seq_outer(dZ: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Σ_t dZ[t] · A[t]ᵀ as one matmul: dZ (T, M, B), A (T, K, B) -> (M, K)."""
    return _time_inside(dZ) @ _time_inside(A).T


def _time_inside(Z: np.ndarray) -> np.ndarray:
    """(T, K, B) -> (K, T·B), column t·B + b = Z[t, :, b] (a copy)."""
    T, K, B = Z.shape
    return np.ascontiguousarray(Z.transpose(1, 0, 2)).reshape(K, T * B)


def _scales() -> tuple[float, ...]:
    """Row scale of each fused gate block, in _FUSED order (see lstm_forward)."""
    return (-1.0, -1.0, -1.0, -2.0)


def _row_scales(H: int, dtype: np.dtype) -> np.ndarray:
    """(4H, 1): the scale of every fused row."""
    return np.repeat(np.asarray(_scales(), dtype), H)[:, None]


def _tanh_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = tanh(z), as 2 / (1 + e^(−2z)) − 1 for large arrays (see the notes above)."""
    if z.size < _SMALL:
        return np.tanh(z, out=out)
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
    # One exp serves all four gates: σ(a) = 1 / (1 + e^(−a)) and tanh(a) = 2σ(2a) − 1. Scaling
    # the fused rows by −1 (o, f, i) and −2 (C̃) makes the matmuls produce −a resp. −2a
    # directly; multiplying by a power of two is exact, so nothing is lost. The bias becomes the
    # last column of the input weights, the weight of an input fixed at 1.
    W_scaled = buffers.empty((4 * H, H + D + 1), dtype)  # [Wh | Wx | b], rows × scales
    for k, (g, s) in enumerate(zip(_FUSED, _scales(), strict=True)):
        rows = slice(k * H, (k + 1) * H)
        np.multiply(p["W" + g], s, out=W_scaled[rows, : H + D])
        np.multiply(p["b" + g], s, out=W_scaled[rows, H + D :])
    Wh_scaled, Wxb_scaled = W_scaled[:, :H], W_scaled[:, H:]
    # One buffer holds what the weight gradients need, time inside: column t is [h_t; x_{t+1}; 1].
    HX = buffers.empty((H + D + 1, T + 1, B), dtype)
    HX[:H, 0] = h0
    HX[H : H + D, :T] = X.transpose(1, 0, 2)
    HX[H + D] = 1.0
    gates = buffers.empty((T, 4 * H, B), dtype)
    X1 = HX[H:, :T]  # (D + 1, T, B)
    if B == 1:  # input projection of every step: one matmul, or one per step
        np.matmul(X1[:, :, 0].T, Wxb_scaled.T, out=gates[:, :, 0])
    else:
        np.matmul(Wxb_scaled, X1.transpose(1, 0, 2), out=gates)
    Cs = buffers.empty((T + 1, H, B), dtype)
    tanh_cell = buffers.empty((T, H, B), dtype)
    h_out = buffers.empty((T, H, B), dtype)  # the result, in the interface's layout
    Cs[0] = C0
    rec = np.empty((4 * H, B), dtype)
    tmp = np.empty((H, B), dtype)
    h_prev = h0
    with np.errstate(over="ignore"):
        for t in range(T):
            z = gates[t]
            np.matmul(Wh_scaled, h_prev, out=rec)
            z += rec  # z = −a for o, f, i; −2a for C̃
            np.exp(z, out=z)
            z += 1.0
            np.divide(1.0, z, out=z)  # σ(a) for o, f, i; σ(2a) for C̃
            o, f, i, g = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
            g *= 2.0
            g -= 1.0  # tanh(a)
            C = Cs[t + 1]
            np.multiply(f, Cs[t], out=C)
            np.multiply(i, g, out=tmp)
            C += tmp
            _tanh_into(C, tanh_cell[t])
            h_prev = h_out[t]
            np.multiply(o, tanh_cell[t], out=h_prev)
    HX[:H, 1:] = h_out.transpose(1, 0, 2)
    cache = LSTMCache(HX, Cs, gates, tanh_cell, Wh_scaled, Wxb_scaled)
    return h_out, (h_out[T - 1].copy() if T else h0.copy(), Cs[T].copy()), cache


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
    HX, Cs, gates, tanh_cell, Wh_scaled, Wxb_scaled = cache
    T, H, B = dhs.shape
    D = Wxb_scaled.shape[1] - 1
    dtype = gates.dtype
    # The weights at hand are scaled by s = −1 (o, f, i) and −2 (C̃) per row (lstm_forward).
    # Working with dZ / s instead of the pre-activation gradient dZ cancels that exactly:
    # Wh_scaledᵀ·(dZ / s) = Whᵀ·dZ and likewise for dX; only dW and db come out divided by s.
    # dZ / s: the scaled pre-activation gradients, (4H, T, B). With B = 1 each step's column is
    # kept contiguous (time outside), which the matmuls after the loop take as a transpose.
    if B == 1:
        dZ = buffers.empty((T, 4 * H, 1), dtype).transpose(1, 0, 2)
    else:
        dZ = buffers.empty((4 * H, T, B), dtype)
    n = max(1, min(T, _CHUNK // (H * B)))  # steps per chunk
    K = buffers.empty((n, 4 * H, B), dtype)  # dZ[:, t] = [dh, dC, dC, dC] ⊙ K (K includes 1 / s)
    KC = buffers.empty((n, H, B), dtype)  # dC += dh ⊙ KC
    dh = np.zeros((H, B), dtype) if dh_T is None else dh_T.astype(dtype, copy=True)
    dC = np.zeros((H, B), dtype) if dC_T is None else dC_T.astype(dtype, copy=True)
    tmp = np.empty((H, B), dtype)
    # A contiguous copy of the transposed recurrent weights: BLAS reads it faster than the
    # transposed view, and the copy costs less than one step's product.
    WhT = buffers.empty((H, 4 * H), dtype)
    WhT[...] = Wh_scaled.T
    for t1 in range(T, 0, -n):
        t0 = max(0, t1 - n)
        _local_factors(gates[t0:t1], Cs[t0:t1], tanh_cell[t0:t1], K, KC)
        for t in range(t1 - 1, t0 - 1, -1):
            k, dz = t - t0, dZ[:, t]
            dh += dhs[t]
            np.multiply(dh, KC[k], out=tmp)
            dC += tmp  # h = o⊙tanh(C) passes dh on to C
            np.multiply(K[k, :H], dh, out=dz[:H])  # o
            # f, i, C̃ all act through C = f⊙C_prev + i⊙C̃: one call on a (3, H, B) view
            np.multiply(K[k, H:].reshape(3, H, B), dC, out=dz[H:].reshape(3, H, B))
            dC *= gates[t, H : 2 * H]  # the conveyor belt: scaled by f, no matrix in the way
            np.matmul(WhT, dz, out=dh)
    # Everything that does not feed back into the recursion: one matmul each over all T·B
    # columns. Against the ones row of the [h; x; 1] columns, the product also sums dZ into db,
    # so the gradients of all weights and biases are one product, returned as views of it.
    dZ2 = dZ.reshape(4 * H, T * B)
    dX = buffers.empty((T, D, B), dtype)
    if B == 1:
        np.matmul(dZ2.T, Wxb_scaled[:, :D], out=dX[:, :, 0])
    else:
        dX[...] = (Wxb_scaled[:, :D].T @ dZ2).reshape(D, T, B).transpose(1, 0, 2)
    dW = buffers.empty((4 * H, H + D + 1), dtype)
    np.matmul(dZ2, HX[:, :T].reshape(H + D + 1, T * B).T, out=dW)
    dW *= _row_scales(H, dtype)  # gradients of dZ / s -> gradients of dZ
    grads: Params = {}
    for k, name in enumerate(_FUSED):
        rows = slice(k * H, (k + 1) * H)
        grads["W" + name], grads["b" + name] = dW[rows, : H + D], dW[rows, H + D :]
    grads = {k: grads[k] for k in PARAM_NAMES}
    return dX, (dh, dC), grads


def _local_factors(
    s: np.ndarray, C_prev: np.ndarray, tanh_C: np.ndarray, K: np.ndarray, KC: np.ndarray
) -> None:
    """Derivative factors of a chunk of m steps, written into K[:m] and KC[:m].

    s (m, 4H, B): activated gates [o, f, i, C̃]; C_prev, tanh_C (m, H, B). K[:m] (m, 4H, B)
    gets [tanh C·σ'(o), C_prev·σ'(f), C̃·σ'(i), i·(1 − C̃²)] divided by the row scales
    (−1, −1, −1, −2) of the weights; KC[:m] (m, H, B) gets o·(1 − tanh²C).
    """
    m, H = C_prev.shape[0], C_prev.shape[1]
    K, KC = K[:m], KC[:m]
    o, i, g = s[:, :H], s[:, 2 * H : 3 * H], s[:, 3 * H :]
    np.subtract(s[:, : 3 * H], 1.0, out=K[:, : 3 * H])
    K[:, : 3 * H] *= s[:, : 3 * H]  # −σ'(a) = σ(σ − 1) for o, f, i at once
    K[:, :H] *= tanh_C
    K[:, H : 2 * H] *= C_prev
    K[:, 2 * H : 3 * H] *= g
    np.multiply(g, g, out=K[:, 3 * H :])
    K[:, 3 * H :] -= 1.0  # −tanh' = tanh² − 1
    K[:, 3 * H :] *= i
    K[:, 3 * H :] *= 0.5
    np.multiply(tanh_C, tanh_C, out=KC)
    np.subtract(1.0, KC, out=KC)
    KC *= o
