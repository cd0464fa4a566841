"""The gated recurrent unit (GRU) in the form of Colah's post (Chung et al. 2014).

With ``hx = [h_{t-1}; x_t]`` (hidden first, then input)::

    z  = σ(Wz·hx + bz)                   update gate
    r  = σ(Wr·hx + br)                   reset gate
    h̃  = tanh(Wh·[r⊙h_{t-1}; x_t] + bh)  candidate
    h  = (1 − z)⊙h_{t-1} + z⊙h̃

``reset_after=True`` gives the variant PyTorch's ``nn.GRU`` computes, where the reset gate is
applied after the recurrent matmul and that matmul has a bias of its own, ``bhn`` (H, 1)::

    h̃  = tanh(Wh_x·x_t + bh + r⊙(Wh_h·h_{t-1} + bhn))

with ``Wh_h = Wh[:, :H]`` and ``Wh_x = Wh[:, H:]`` (the same (H, H + D) matrix, split into its
hidden and input columns).

Shapes: ``x`` (D, B); ``h`` (H, B); ``Wz, Wr, Wh`` (H, H + D); ``bz, br, bh, bhn`` (H, 1).

Mapping to ``torch.nn.GRU`` (one layer, ``reset_after=True``; PyTorch stores (3H, ·) blocks in
gate order (r, z, n), ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), rows of each block below):

* PyTorch writes ``h = (1 − z')⊙n + z'⊙h_prev``, so its update gate is ``z' = 1 − z`` =
  σ(−(our pre-activation)): its z-weights and z-biases are the negation of ours.
* r rows:  ``weight_ih = Wr[:, H:]``,  ``weight_hh = Wr[:, :H]``,
  ``bias_ih + bias_hh = br`` (any split of ``br`` between the two gives the same model).
* z rows:  ``weight_ih = −Wz[:, H:]``, ``weight_hh = −Wz[:, :H]``, ``bias_ih + bias_hh = −bz``.
* n rows:  ``weight_ih = Wh[:, H:]``,  ``weight_hh = Wh[:, :H]``,
  ``bias_ih = bh``, ``bias_hh = bhn`` (these two are *not* interchangeable: ``bhn`` is scaled by r).

Gradients map the same way (negated for z; for r and z both PyTorch biases get our bias gradient).
The default (reset before the matmul) form has no exact ``nn.GRU`` counterpart.

``gru_step_forward`` / ``gru_step_backward`` are the readable one-step pair; ``gru_forward`` /
``gru_backward`` do a whole sequence. With ``reset_after`` the recurrent part is one fused
(3H, H)·(H, B) matmul per step; Colah's form needs two, since the candidate's matmul reads r⊙h.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_reference.activations import sigmoid
from lstm_reference.init import Params, gate_params
from lstm_reference.kernels import sigmoid_, tanh_
from lstm_reference.lstm import seq_matmul, seq_outer

PARAM_NAMES = ("Wz", "Wr", "Wh", "bz", "br", "bh")
PARAM_NAMES_RESET_AFTER = (*PARAM_NAMES, "bhn")
# Internal fused row order: [z, r, h̃].
_FUSED = ("z", "r", "h")


def init_gru_params(
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
    reset_after: bool = False,
) -> Params:
    """Xavier weights (H, H + D), zero biases (H, 1); ``reset_after`` adds a zero ``bhn`` (H, 1)."""
    rng = np.random.default_rng() if rng is None else rng
    names = [("Wz", "bz", 0.0), ("Wr", "br", 0.0), ("Wh", "bh", 0.0)]
    p = gate_params(rng, names, hidden_size, input_size, dtype)
    if reset_after:
        p["bhn"] = np.zeros((hidden_size, 1), dtype)
    return {k: p[k] for k in (PARAM_NAMES_RESET_AFTER if reset_after else PARAM_NAMES)}


# --------------------------------------------------------------------------- one step


def gru_step_forward(
    x: np.ndarray, h_prev: np.ndarray, p: Params, reset_after: bool = False
) -> tuple[np.ndarray, tuple]:
    """One GRU step. x (D, B), h_prev (H, B) -> h (H, B), cache."""
    H = h_prev.shape[0]
    hx = np.concatenate([h_prev, x], axis=0)  # (H + D, B)
    z = sigmoid(p["Wz"] @ hx + p["bz"])
    r = sigmoid(p["Wr"] @ hx + p["br"])
    if reset_after:
        n_h = p["Wh"][:, :H] @ h_prev + p["bhn"]  # recurrent part of the candidate, before r
        h_tilde = np.tanh(p["Wh"][:, H:] @ x + p["bh"] + r * n_h)
        rhx = n_h
    else:
        rhx = np.concatenate([r * h_prev, x], axis=0)  # [r⊙h; x]
        h_tilde = np.tanh(p["Wh"] @ rhx + p["bh"])
    h = (1.0 - z) * h_prev + z * h_tilde
    cache = (hx, z, r, rhx, h_tilde, p, reset_after)
    return h, cache


def gru_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, Params]:
    """Backward through one step.

    dh (H, B): total loss gradient w.r.t. this step's h. Returns dx (D, B), dh_prev (H, B) and
    the parameter gradients (same keys and shapes as the parameters).
    """
    hx, z, r, rhx, h_tilde, p, reset_after = cache
    H = z.shape[0]
    h_prev, x = hx[:H], hx[H:]
    dh_prev = dh * (1.0 - z)  # the direct path, scaled by 1 − z
    dz_pre = dh * (h_tilde - h_prev) * z * (1.0 - z)
    dh_pre = dh * z * (1.0 - h_tilde**2)  # gradient at the candidate's pre-activation
    grads: Params = {"bh": dh_pre.sum(axis=1, keepdims=True)}
    if reset_after:
        n_h = rhx
        dn_h = dh_pre * r
        dr = dh_pre * n_h
        Wh_h, Wh_x = p["Wh"][:, :H], p["Wh"][:, H:]
        grads["Wh"] = np.concatenate([dn_h @ h_prev.T, dh_pre @ x.T], axis=1)
        grads["bhn"] = dn_h.sum(axis=1, keepdims=True)
        dh_prev += Wh_h.T @ dn_h
        dx = Wh_x.T @ dh_pre
    else:
        grads["Wh"] = dh_pre @ rhx.T
        drhx = p["Wh"].T @ dh_pre
        dr = drhx[:H] * h_prev
        dh_prev += drhx[:H] * r
        dx = drhx[H:]
    dr_pre = dr * r * (1.0 - r)
    grads["Wz"] = dz_pre @ hx.T
    grads["bz"] = dz_pre.sum(axis=1, keepdims=True)
    grads["Wr"] = dr_pre @ hx.T
    grads["br"] = dr_pre.sum(axis=1, keepdims=True)
    dhx = p["Wz"].T @ dz_pre + p["Wr"].T @ dr_pre
    dh_prev += dhx[:H]
    dx = dx + dhx[H:]
    names = PARAM_NAMES_RESET_AFTER if reset_after else PARAM_NAMES
    return dx, dh_prev, {k: grads[k] for k in names}


# --------------------------------------------------------------------------- whole sequence


class GRUCache(NamedTuple):
    X: np.ndarray  # (T, D, B) inputs
    hs: np.ndarray  # (T + 1, H, B) h_0 … h_T
    gates: np.ndarray  # (T, 3H, B) rows [z, r, h̃], activated
    rec: np.ndarray  # (T, H, B) r⊙h_{t-1} (Colah's form) or Wh_h·h_{t-1} + bhn (reset_after)
    Wh: np.ndarray  # (3H, H) hidden columns, rows [z, r, h̃]
    Wx: np.ndarray  # (3H, D) input columns
    reset_after: bool


def fuse_gru_params(p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the gate matrices: Wh (3H, H), Wx (3H, D), b (3H, 1), rows [z, r, h̃]."""
    H = p["bz"].shape[0]
    W = np.concatenate([p["W" + g] for g in _FUSED], axis=0)
    b = np.concatenate([p["b" + g] for g in _FUSED], axis=0)
    return np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:]), b


@np.errstate(over="ignore")  # exp-based activations: e^(−a) may overflow to inf, harmlessly
def gru_forward(
    X: np.ndarray, h0: np.ndarray, p: Params, reset_after: bool = False
) -> tuple[np.ndarray, np.ndarray, GRUCache]:
    """Run the GRU over X (T, D, B) from h0 (H, B).

    Returns hs (T, H, B), the final state h_T (H, B) and a cache for :func:`gru_backward`.
    """
    T, _, B = X.shape
    H = h0.shape[0]
    dtype = np.result_type(X, h0, p["Wz"])
    Wh, Wx, b = fuse_gru_params(p)
    gates = seq_matmul(Wx, X)  # input projection for all steps at once
    gates += b
    hs = np.empty((T + 1, H, B), dtype)
    hs[0] = h0
    rec = np.empty((T, H, B), dtype)
    tmp = np.empty((3 * H, B), dtype)
    Wzr = Wh[: 2 * H]
    Whh = Wh[2 * H :]
    bhn = p["bhn"] if reset_after else None
    for t in range(T):
        g, h = gates[t], hs[t]
        zr, cand = g[: 2 * H], g[2 * H :]
        if reset_after:
            np.matmul(Wh, h, out=tmp)  # one fused matmul: [z, r, n] rows
            zr += tmp[: 2 * H]
            np.add(tmp[2 * H :], bhn, out=rec[t])
        else:
            np.matmul(Wzr, h, out=tmp[: 2 * H])
            zr += tmp[: 2 * H]
        sigmoid_(zr)
        z, r = zr[:H], zr[H:]
        if reset_after:
            np.multiply(r, rec[t], out=tmp[:H])
        else:
            np.multiply(r, h, out=rec[t])
            np.matmul(Whh, rec[t], out=tmp[:H])
        cand += tmp[:H]
        tanh_(cand)
        np.subtract(cand, h, out=hs[t + 1])  # h + z⊙(h̃ − h)
        hs[t + 1] *= z
        hs[t + 1] += h
    cache = GRUCache(X, hs, gates, rec, Wh, Wx, reset_after)
    return hs[1:], hs[T].copy(), cache


def gru_backward(
    dhs: np.ndarray, cache: GRUCache, dh_T: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, Params]:
    """Backpropagation through time for :func:`gru_forward`.

    dhs (T, H, B): loss gradient w.r.t. every output h_t; dh_T (H, B), optional: gradient arriving
    at the final state from later chunks. Returns dX (T, D, B), dh0 (H, B) and grads.
    """
    X, hs, gates, rec, Wh, Wx, reset_after = cache
    T, H, B = dhs.shape
    G = gates.reshape(T, 3, H, B)
    z, r, h_tilde = G[:, 0], G[:, 1], G[:, 2]
    h_prev = hs[:-1]
    # Local derivatives that do not depend on the incoming gradient, for all T at once.
    K = np.empty_like(G)
    K[:, 0] = (h_tilde - h_prev) * z * (1.0 - z)  # dz_pre = dh ⊙ K0
    K[:, 2] = z * (1.0 - h_tilde**2)  # dh̃_pre = dh ⊙ K2
    K[:, 1] = r * (1.0 - r) * (rec if reset_after else h_prev)  # dr_pre = (…) ⊙ K1
    one_minus_z = 1.0 - z
    dZ = np.empty_like(G)  # pre-activation gradients, rows [z, r, h̃]
    dN = np.empty((T, H, B), dhs.dtype)  # gradient at r⊙h (Colah) or at Wh_h·h + bhn (reset_after)
    WhT = np.ascontiguousarray(Wh.T)  # (H, 3H)
    WzrT = WhT[:, : 2 * H]
    WhhT = np.ascontiguousarray(Wh[2 * H :].T)
    dh = np.zeros((H, B), dhs.dtype) if dh_T is None else dh_T.astype(dhs.dtype, copy=True)
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        np.multiply(dh, K[t, 0], out=dZ[t, 0])
        np.multiply(dh, K[t, 2], out=dZ[t, 2])
        if reset_after:
            np.multiply(dZ[t, 2], K[t, 1], out=dZ[t, 1])
            np.multiply(dZ[t, 2], r[t], out=dN[t])
            dh *= one_minus_z[t]
            dh += WzrT @ dZ[t, :2].reshape(2 * H, B)
            dh += WhhT @ dN[t]
        else:
            np.matmul(WhhT, dZ[t, 2], out=dN[t])  # gradient at r⊙h_{t-1}
            np.multiply(dN[t], K[t, 1], out=dZ[t, 1])
            dh *= one_minus_z[t]
            dh += dN[t] * r[t]
            dh += WzrT @ dZ[t, :2].reshape(2 * H, B)
    dZ3 = dZ.reshape(T, 3 * H, B)
    dWx = seq_outer(dZ3, X)
    dX = seq_matmul(np.ascontiguousarray(Wx.T), dZ3)
    dW_zr = seq_outer(dZ3[:, : 2 * H], h_prev)
    # Hidden columns of Wh: Colah's form reads r⊙h; reset_after reads h, with gradient dN.
    dW_hh = seq_outer(dN, h_prev) if reset_after else seq_outer(dZ[:, 2], rec)
    db = dZ3.sum(axis=(0, 2))[:, None]
    grads: Params = {
        "Wz": np.concatenate([dW_zr[:H], dWx[:H]], axis=1),
        "Wr": np.concatenate([dW_zr[H:], dWx[H : 2 * H]], axis=1),
        "Wh": np.concatenate([dW_hh, dWx[2 * H :]], axis=1),
        "bz": db[:H],
        "br": db[H : 2 * H],
        "bh": db[2 * H :],
    }
    if reset_after:
        grads["bhn"] = dN.sum(axis=(0, 2))[:, None]
    return dX, dh, grads
