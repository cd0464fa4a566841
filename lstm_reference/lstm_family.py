"""One implementation of the LSTM variants: peepholes, coupled gates and Greff et al.'s ablations.

Each variant is the LSTM of ``lstm.py`` with some parts switched on or off (an :class:`LSTMVariant`
of flags). With ``hx = [h_{t-1}; x_t]`` the general cell is::

    f  = σ(Wf·hx + bf [+ pf⊙C_prev])   or 1 without a forget gate
    i  = σ(Wi·hx + bi [+ pi⊙C_prev])   or 1 − f when coupled, or 1 without an input gate
    C̃  = tanh(WC·hx + bC)              or WC·hx + bC without the input activation
    C  = f⊙C_prev + i⊙C̃
    o  = σ(Wo·hx + bo [+ po⊙C])        or 1 without an output gate (o peeks at the *new* C)
    h  = o⊙tanh(C)                     or o⊙C without the output activation

The bracketed peephole terms use diagonal weights ``pf, pi, po`` (H, 1). A removed gate has no
``W*``/``b*`` in the parameter dict. Shapes as in ``lstm.py``: ``x`` (D, B), ``h`` and ``C`` (H, B),
``W*`` (H, H + D), ``b*`` and ``p*`` (H, 1). The plain LSTM is ``lstm.py``; it is not routed through
here, so the exercises' reference stays the simplest possible code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lstm_reference.activations import sigmoid
from lstm_reference.init import Params, gate_params
from lstm_reference.kernels import hoisted_gradients, sigmoid_, tanh_
from lstm_reference.lstm import seq_matmul

# Order of the gates in the fused matrices and in the parameter dicts: the sigmoid gates first.
_ORDER = ("o", "f", "i", "C")
_PARAM_ORDER = ("f", "i", "C", "o")


@dataclass(frozen=True)
class LSTMVariant:
    """Which parts of the LSTM a variant keeps."""

    name: str
    forget_gate: bool = True  # False: f ≡ 1
    input_gate: bool = True  # False: i ≡ 1
    output_gate: bool = True  # False: o ≡ 1
    coupled: bool = False  # True: i = 1 − f, no Wi/bi
    peephole: bool = False  # f, i see C_prev and o sees C through pf, pi, po
    input_activation: bool = True  # False: C̃ is linear
    output_activation: bool = True  # False: h = o⊙C

    def __post_init__(self) -> None:
        if self.coupled and not (self.forget_gate and self.input_gate):
            raise ValueError("a coupled input gate needs both the forget and the input gate")

    @property
    def gates(self) -> tuple[str, ...]:
        """Gates with their own weights, in fused order (a subset of o, f, i, C)."""
        present = {
            "o": self.output_gate,
            "f": self.forget_gate,
            "i": self.input_gate and not self.coupled,
            "C": True,
        }
        return tuple(g for g in _ORDER if present[g])

    @property
    def peepholes(self) -> tuple[str, ...]:
        """Gates with a peephole weight ``p<gate>``."""
        return tuple(g for g in _PARAM_ORDER if self.peephole and g != "C" and g in self.gates)

    @property
    def param_names(self) -> tuple[str, ...]:
        gates = [g for g in _PARAM_ORDER if g in self.gates]
        return (
            *("W" + g for g in gates),
            *("b" + g for g in gates),
            *("p" + g for g in self.peepholes),
        )


def init_variant_params(
    v: LSTMVariant,
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Xavier weights (H, H + D), forget bias 1, other biases 0, peephole weights 0 (H, 1).

    Zero peepholes make the untrained cell the plain one; training moves them.
    """
    rng = np.random.default_rng() if rng is None else rng
    gates = [g for g in _PARAM_ORDER if g in v.gates]
    names = [("W" + g, "b" + g, 1.0 if g == "f" else 0.0) for g in gates]
    p = gate_params(rng, names, hidden_size, input_size, dtype)
    for g in v.peepholes:
        p["p" + g] = np.zeros((hidden_size, 1), dtype)
    return {k: p[k] for k in v.param_names}


# --------------------------------------------------------------------------- one step


def variant_step_forward(
    v: LSTMVariant, x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One step of variant ``v``. x (D, B), h_prev, C_prev (H, B) -> h (H, B), C (H, B), cache."""
    hx = np.concatenate([h_prev, x], axis=0)  # (H + D, B)
    one = np.ones_like(C_prev)

    def pre(g: str, peek: np.ndarray | None = None) -> np.ndarray:
        a = p["W" + g] @ hx + p["b" + g]
        return a + p["p" + g] * peek if g in v.peepholes else a

    f = sigmoid(pre("f", C_prev)) if v.forget_gate else one
    if v.coupled:
        i = 1.0 - f
    else:
        i = sigmoid(pre("i", C_prev)) if v.input_gate else one
    a_C = pre("C")
    C_tilde = np.tanh(a_C) if v.input_activation else a_C
    C = f * C_prev + i * C_tilde
    o = sigmoid(pre("o", C)) if v.output_gate else one
    act_C = np.tanh(C) if v.output_activation else C
    h = o * act_C
    cache = (v, hx, C_prev, f, i, C_tilde, C, o, act_C, p)
    return h, C, cache


def variant_step_backward(
    dh: np.ndarray, dC_next: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Params]:
    """Backward through one step of any variant.

    dh (H, B): total loss gradient w.r.t. this step's h; dC_next (H, B): gradient arriving at this
    step's C from the next step. Returns dx (D, B), dh_prev (H, B), dC_prev (H, B) and the
    parameter gradients (same keys and shapes as the parameters).
    """
    v, hx, C_prev, f, i, C_tilde, C, o, act_C, p = cache
    H = C_prev.shape[0]
    dact = 1.0 - act_C**2 if v.output_activation else 1.0
    dC = dC_next + dh * o * dact  # two paths into C: through h, and from C_{t+1}
    dz: Params = {}
    if v.output_gate:
        dz["o"] = dh * act_C * o * (1.0 - o)
        if v.peephole:
            dC = dC + dz["o"] * p["po"]  # o peeks at C
    df = dC * C_prev
    di = dC * C_tilde
    if v.coupled:
        df = df - di  # i = 1 − f
    if v.forget_gate:
        dz["f"] = df * f * (1.0 - f)
    if "i" in v.gates:
        dz["i"] = di * i * (1.0 - i)
    dz["C"] = dC * i * ((1.0 - C_tilde**2) if v.input_activation else 1.0)
    dC_prev = dC * f  # the conveyor belt
    grads: Params = {}
    dhx = np.zeros_like(hx)
    for g in v.gates:
        grads["W" + g] = dz[g] @ hx.T
        grads["b" + g] = dz[g].sum(axis=1, keepdims=True)
        dhx += p["W" + g].T @ dz[g]
    for g in v.peepholes:
        peek = C if g == "o" else C_prev
        grads["p" + g] = (dz[g] * peek).sum(axis=1, keepdims=True)
        if g != "o":
            dC_prev = dC_prev + dz[g] * p["p" + g]
    return dhx[H:], dhx[:H], dC_prev, {k: grads[k] for k in v.param_names}


# --------------------------------------------------------------------------- whole sequence


class VariantCache(NamedTuple):
    variant: LSTMVariant
    X: np.ndarray  # (T, D, B) inputs
    hs: np.ndarray  # (T + 1, H, B) h_0 … h_T
    Cs: np.ndarray  # (T + 1, H, B) C_0 … C_T
    gates: np.ndarray  # (T, G, H, B) activated gates, in ``variant.gates`` order
    cell_out: np.ndarray  # (T, H, B) tanh(C_t), or C_t without the output activation
    Wh: np.ndarray  # (G·H, H)
    Wx: np.ndarray  # (G·H, D)
    peep: dict[str, np.ndarray]  # peephole weights (H, 1) by gate


def _gate_views(v: LSTMVariant, G: np.ndarray) -> dict[str, np.ndarray]:
    """Views of the gate rows of G (…, len(v.gates), H, B) by gate name."""
    return {g: G[..., k, :, :] for k, g in enumerate(v.gates)}


@np.errstate(over="ignore")  # exp-based activations: e^(−a) may overflow to inf, harmlessly
def variant_forward(
    v: LSTMVariant, X: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: Params
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], VariantCache]:
    """Run variant ``v`` over X (T, D, B) from (h0, C0), each (H, B).

    Returns hs (T, H, B), the final state (h_T, C_T) and a cache for :func:`variant_backward`.
    One (G·H, H)·(H, B) matmul per step, G the number of gates with weights.
    """
    T, _, B = X.shape
    H = h0.shape[0]
    dtype = np.result_type(X, h0, p["WC"])
    nG = len(v.gates)
    W = np.concatenate([p["W" + g] for g in v.gates], axis=0)
    b = np.concatenate([p["b" + g] for g in v.gates], axis=0)
    Wh, Wx = np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:])
    gates = seq_matmul(Wx, X)  # input projection for all steps at once
    gates += b
    gates = gates.reshape(T, nG, H, B)
    peep = {g: p["p" + g] for g in v.peepholes}
    hs = np.empty((T + 1, H, B), dtype)
    Cs = np.empty((T + 1, H, B), dtype)
    act_C = np.empty((T, H, B), dtype)
    hs[0], Cs[0] = h0, C0
    tmp = np.empty((H, B), dtype)
    rec = np.empty((nG * H, B), dtype)
    # Gates activated before C is known: every sigmoid gate but a peeping o.
    early = [k for k, g in enumerate(v.gates) if g != "C" and not (g == "o" and "o" in peep)]
    early_block = slice(early[0], early[-1] + 1) if early else slice(0, 0)
    for t in range(T):
        np.matmul(Wh, hs[t], out=rec)
        z = gates[t]
        z += rec.reshape(nG, H, B)
        a = _gate_views(v, z)
        for g in ("f", "i"):
            if g in peep:
                np.multiply(peep[g], Cs[t], out=tmp)
                a[g] += tmp
        sigmoid_(z[early_block])
        if v.input_activation:
            tanh_(a["C"])
        C = Cs[t + 1]
        if v.forget_gate:
            np.multiply(a["f"], Cs[t], out=C)
        else:
            C[...] = Cs[t]
        if "i" in a:
            np.multiply(a["i"], a["C"], out=tmp)
        elif v.coupled:  # (1 − f)⊙C̃ = C̃ − f⊙C̃
            np.multiply(a["f"], a["C"], out=tmp)
            np.subtract(a["C"], tmp, out=tmp)
        else:
            tmp[...] = a["C"]
        C += tmp
        if "o" in peep:
            np.multiply(peep["o"], C, out=tmp)
            a["o"] += tmp
            sigmoid_(a["o"])
        if v.output_activation:
            tanh_(C, act_C[t])
        else:
            act_C[t] = C
        if v.output_gate:
            np.multiply(a["o"], act_C[t], out=hs[t + 1])
        else:
            hs[t + 1] = act_C[t]
    cache = VariantCache(v, X, hs, Cs, gates, act_C, Wh, Wx, peep)
    return hs[1:], (hs[T].copy(), Cs[T].copy()), cache


def variant_backward(
    dhs: np.ndarray,
    cache: VariantCache,
    dh_T: np.ndarray | None = None,
    dC_T: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Params]:
    """Backpropagation through time for :func:`variant_forward`.

    dhs (T, H, B): loss gradient w.r.t. every output h_t; dh_T, dC_T (H, B), optional: gradient
    arriving at the final state from later chunks. Returns dX (T, D, B), the gradient of the
    initial state (dh_0, dC_0) and the parameter gradients (same keys as the parameters).
    """
    v, X, hs, Cs, G, act_C, Wh, Wx, peep = cache
    T, H, B = dhs.shape
    nG = len(v.gates)
    a = _gate_views(v, G)
    one = np.ones((), G.dtype)
    o, f = a.get("o", one), a.get("f", one)
    i = 1.0 - f if v.coupled else a.get("i", one)
    g = a["C"]
    C_prev, C = Cs[:-1], Cs[1:]
    # Every local derivative that does not depend on the incoming gradient, for all T at once.
    dC_from_h = o * (1.0 - act_C**2) if v.output_activation else o * np.ones_like(act_C)
    Karr = np.empty_like(G)
    K = _gate_views(v, Karr)  # dz_o = dh ⊙ K_o, every other gate dz = dC ⊙ K
    if v.output_gate:
        K["o"][...] = act_C * o * (1.0 - o)
    if v.forget_gate:
        K["f"][...] = (C_prev - g if v.coupled else C_prev) * f * (1.0 - f)
    if "i" in K:
        K["i"][...] = g * i * (1.0 - i)
    K["C"][...] = i * (1.0 - g**2) if v.input_activation else i
    dZ = np.empty_like(G)
    dC_gates = slice(1 if v.output_gate else 0, nG)  # rows driven by dC
    WhT = np.ascontiguousarray(Wh.T)
    dh = np.zeros((H, B), dhs.dtype) if dh_T is None else dh_T.astype(dhs.dtype, copy=True)
    dC = np.zeros((H, B), dhs.dtype) if dC_T is None else dC_T.astype(dhs.dtype, copy=True)
    tmp = np.empty((H, B), dhs.dtype)
    dz = _gate_views(v, dZ)
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        np.multiply(dh, dC_from_h[t], out=tmp)
        dC += tmp
        if v.output_gate:
            np.multiply(dh, Karr[t, 0], out=dZ[t, 0])
            if "o" in peep:
                np.multiply(dZ[t, 0], peep["o"], out=tmp)
                dC += tmp
        np.multiply(Karr[t, dC_gates], dC, out=dZ[t, dC_gates])
        if v.forget_gate:
            dC *= f[t]
        for gate in ("f", "i"):
            if gate in peep:
                np.multiply(dz[gate][t], peep[gate], out=tmp)
                dC += tmp
        np.matmul(WhT, dZ[t].reshape(nG * H, B), out=dh)
    dW, db, dX = hoisted_gradients(dZ.reshape(T, nG * H, B), hs[:-1], X, Wx)
    grads: Params = {}
    for k, gate in enumerate(v.gates):
        rows = slice(k * H, (k + 1) * H)
        grads["W" + gate] = dW[rows]
        grads["b" + gate] = db[rows]
    for gate in peep:
        peek = C if gate == "o" else C_prev
        grads["p" + gate] = (dz[gate] * peek).sum(axis=(0, 2))[:, None]
    return dX, (dh, dC), {k: grads[k] for k in v.param_names}


# --------------------------------------------------------------------------- named functions


class VariantFunctions(NamedTuple):
    """The init / step / sequence functions of one variant, with the variant bound in."""

    init: Callable[..., Params]
    step_forward: Callable[..., tuple[np.ndarray, np.ndarray, tuple]]
    step_backward: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, Params]]
    forward: Callable[..., tuple[np.ndarray, tuple[np.ndarray, np.ndarray], VariantCache]]
    backward: Callable[..., tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Params]]


def bind(v: LSTMVariant) -> VariantFunctions:
    """The functions of variant ``v``, named ``init_<name>_params``, ``<name>_step_forward``, …

    Signatures are those of ``lstm.py``: ``init(input_size, hidden_size, rng, dtype)``,
    ``step_forward(x, h_prev, C_prev, p)``, ``step_backward(dh, dC_next, cache)``,
    ``forward(X, h0, C0, p)``, ``backward(dhs, cache, dh_T=None, dC_T=None)``.
    """

    def init(
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator | None = None,
        dtype: np.dtype | type = np.float64,
    ) -> Params:
        return init_variant_params(v, input_size, hidden_size, rng, dtype)

    def step_forward(
        x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: Params
    ) -> tuple[np.ndarray, np.ndarray, tuple]:
        return variant_step_forward(v, x, h_prev, C_prev, p)

    def forward(
        X: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: Params
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], VariantCache]:
        return variant_forward(v, X, h0, C0, p)

    funcs = {
        f"init_{v.name}_params": (init, init_variant_params),
        f"{v.name}_step_forward": (step_forward, variant_step_forward),
        f"{v.name}_forward": (forward, variant_forward),
    }
    for name, (fn, generic) in funcs.items():
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"{generic.__doc__}\n\n    Bound to the {v.name!r} variant."
    return VariantFunctions(
        init, step_forward, variant_step_backward, forward, variant_backward
    )
