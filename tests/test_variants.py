"""Peephole, CIFG and Greff et al.'s ablations, each checked against the plain LSTM or a formula.

These checks are independent of the shared implementation: a variant that is consistent with its
own backward pass but computes the wrong function fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference.ablations import ABLATIONS, VARIANTS
from lstm_reference.cifg import cifg_backward, cifg_forward, init_cifg_params
from lstm_reference.lstm import PARAM_NAMES, init_lstm_params, lstm_backward, lstm_forward
from lstm_reference.lstm_family import LSTMVariant
from lstm_reference.peephole import (
    init_peephole_params,
    peephole_backward,
    peephole_forward,
    peephole_step_forward,
)

BIG = 60.0  # σ(60 + small) is exactly 1.0 in float64
T, D, H, B = 4, 3, 5, 2


def sig(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _data(seed: int):
    rng = np.random.default_rng(seed)
    p = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in init_lstm_params(D, H, rng).items()}
    X = rng.standard_normal((T, D, B))
    h0, C0 = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    dhs = rng.standard_normal((T, H, B))
    dh_T, dC_T = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    return rng, p, X, h0, C0, dhs, dh_T, dC_T


def _assert_same_run(a: tuple, b: tuple, keys) -> None:
    """Compare (forward, backward) results of two cells on the shared parameter keys."""
    (hs_a, fin_a, (dX_a, dinit_a, g_a)), (hs_b, fin_b, (dX_b, dinit_b, g_b)) = a, b
    for x, y in [(hs_a, hs_b), *zip(fin_a, fin_b, strict=True), (dX_a, dX_b),
                 *zip(dinit_a, dinit_b, strict=True)]:
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    for k in keys:
        np.testing.assert_allclose(g_a[k], g_b[k], rtol=1e-12, atol=1e-14, err_msg=k)


def _run(forward, backward, X, h0, C0, p, dhs, dh_T, dC_T) -> tuple:
    hs, final, cache = forward(X, h0, C0, p)
    return hs, final, backward(dhs, cache, dh_T, dC_T)


def test_lstm_variant_flags_are_validated() -> None:
    with pytest.raises(ValueError, match="coupled"):
        LSTMVariant("bad", forget_gate=False, coupled=True)


# --------------------------------------------------------------------------- peephole


def test_peephole_with_zero_peepholes_is_the_lstm() -> None:
    _, p, X, h0, C0, dhs, dh_T, dC_T = _data(0)
    pp = {**p, "pf": np.zeros((H, 1)), "pi": np.zeros((H, 1)), "po": np.zeros((H, 1))}
    lstm = _run(lstm_forward, lstm_backward, X, h0, C0, p, dhs, dh_T, dC_T)
    peep = _run(peephole_forward, peephole_backward, X, h0, C0, pp, dhs, dh_T, dC_T)
    _assert_same_run(peep, lstm, PARAM_NAMES)


def test_peephole_one_step_formula() -> None:
    """f, i peek at C_prev; o peeks at the new C."""
    rng, p, X, h0, C0, *_ = _data(1)
    pf, pi, po = (rng.standard_normal((H, 1)) for _ in range(3))
    pp = {**p, "pf": pf, "pi": pi, "po": po}
    hx = np.vstack([h0, X[0]])
    f = sig(p["Wf"] @ hx + p["bf"] + pf * C0)
    i = sig(p["Wi"] @ hx + p["bi"] + pi * C0)
    C = f * C0 + i * np.tanh(p["WC"] @ hx + p["bC"])
    h = sig(p["Wo"] @ hx + p["bo"] + po * C) * np.tanh(C)
    hs, (_, C_T), _ = peephole_forward(X[:1], h0, C0, pp)
    np.testing.assert_allclose(hs[0], h, rtol=1e-13)
    np.testing.assert_allclose(C_T, C, rtol=1e-13)
    h_step, C_step, _ = peephole_step_forward(X[0], h0, C0, pp)
    np.testing.assert_allclose(h_step, h, rtol=1e-13)
    np.testing.assert_allclose(C_step, C, rtol=1e-13)


def test_peephole_parameters() -> None:
    p = init_peephole_params(D, H, np.random.default_rng(2))
    assert set(p) == {*PARAM_NAMES, "pf", "pi", "po"}
    assert all(p[k].shape == (H, 1) and not p[k].any() for k in ("pf", "pi", "po"))


# --------------------------------------------------------------------------- CIFG


def test_cifg_is_the_lstm_with_input_weights_tied_to_minus_forget() -> None:
    """i = 1 − σ(a_f) = σ(−a_f): the LSTM with Wi = −Wf, bi = −bf.

    Forward identical; with the tie, ∂L/∂Wf(CIFG) = ∂L/∂Wf(LSTM) − ∂L/∂Wi(LSTM).
    """
    _, p, X, h0, C0, dhs, dh_T, dC_T = _data(3)
    tied = {**p, "Wi": -p["Wf"], "bi": -p["bf"]}
    cifg_p = {k: v for k, v in p.items() if k not in ("Wi", "bi")}
    lstm = _run(lstm_forward, lstm_backward, X, h0, C0, tied, dhs, dh_T, dC_T)
    cifg = _run(cifg_forward, cifg_backward, X, h0, C0, cifg_p, dhs, dh_T, dC_T)
    _assert_same_run(cifg, lstm, ("WC", "bC", "Wo", "bo"))
    g_cifg, g_lstm = cifg[2][2], lstm[2][2]
    for w in ("Wf", "bf"):
        expected = g_lstm[w] - g_lstm[w.replace("f", "i")]
        np.testing.assert_allclose(g_cifg[w], expected, rtol=1e-12, atol=1e-14, err_msg=w)


def test_cifg_parameters_have_no_input_gate() -> None:
    p = init_cifg_params(D, H, np.random.default_rng(4))
    assert set(p) == {"Wf", "WC", "Wo", "bf", "bC", "bo"}
    np.testing.assert_array_equal(p["bf"], 1.0)


# --------------------------------------------------------------------------- ablations


@pytest.mark.parametrize(("name", "gate"), [("nfg", "f"), ("nig", "i"), ("nog", "o")])
def test_removing_a_gate_is_the_lstm_with_that_gate_saturated_open(name: str, gate: str) -> None:
    """NFG = LSTM with bf → +∞ (f = 1), and likewise for the input and output gates."""
    _, p, X, h0, C0, dhs, dh_T, dC_T = _data(5)
    opened = {**p, "b" + gate: np.full((H, 1), BIG)}
    ablated = {k: v for k, v in p.items() if k not in ("W" + gate, "b" + gate)}
    funcs = ABLATIONS[name]
    assert set(funcs.init(D, H, np.random.default_rng(0))) == set(ablated)
    lstm = _run(lstm_forward, lstm_backward, X, h0, C0, opened, dhs, dh_T, dC_T)
    abl = _run(funcs.forward, funcs.backward, X, h0, C0, ablated, dhs, dh_T, dC_T)
    _assert_same_run(abl, lstm, ablated)


def test_nfg_cell_state_accumulates() -> None:
    """Without a forget gate the cell state only adds: C_T = C_0 + Σ_t i_t⊙C̃_t.

    Over one step C_1 = C_0 + i⊙C̃ with i, C̃ read from (h_0, x) only, so dC_0 = dC_1 exactly.
    """
    _, p, X, h0, C0, _, _, dC_T = _data(6)
    p = {k: v for k, v in p.items() if k not in ("Wf", "bf")}
    nfg = ABLATIONS["nfg"]
    _, _, cache = nfg.forward(X[:1], h0, C0, p)
    _, (_, dC0), _ = nfg.backward(np.zeros((1, H, B)), cache, np.zeros((H, B)), dC_T)
    np.testing.assert_array_equal(dC0, dC_T)  # the belt passes gradients unscaled
    _, (_, C_T), _ = nfg.forward(X, h0, C0, p)
    h, C = h0, C0
    for x in X:  # the sum, computed with one-line formulas
        hx = np.vstack([h, x])
        C = C + sig(p["Wi"] @ hx + p["bi"]) * np.tanh(p["WC"] @ hx + p["bC"])
        h = sig(p["Wo"] @ hx + p["bo"]) * np.tanh(C)
    np.testing.assert_allclose(C_T, C, rtol=1e-13)


@pytest.mark.parametrize("name", ["niaf", "noaf"])
def test_activation_ablations_one_step_formula(name: str) -> None:
    """NIAF: C̃ = WC·hx + bC (linear). NOAF: h = o⊙C."""
    _, p, X, h0, C0, *_ = _data(7)
    hx = np.vstack([h0, X[0]])
    f, i, o = (sig(p["W" + g] @ hx + p["b" + g]) for g in "fio")
    a_C = p["WC"] @ hx + p["bC"]
    if name == "niaf":
        C = f * C0 + i * a_C
        h = o * np.tanh(C)
    else:
        C = f * C0 + i * np.tanh(a_C)
        h = o * C
    hs, (_, C_T), _ = ABLATIONS[name].forward(X[:1], h0, C0, p)
    np.testing.assert_allclose(hs[0], h, rtol=1e-13)
    np.testing.assert_allclose(C_T, C, rtol=1e-13)
    h_step, C_step, _ = ABLATIONS[name].step_forward(X[0], h0, C0, p)
    np.testing.assert_allclose(h_step, h, rtol=1e-13)
    np.testing.assert_allclose(C_step, C, rtol=1e-13)


@pytest.mark.parametrize("name", ["niaf", "noaf"])
def test_activation_ablations_keep_all_lstm_parameters(name: str) -> None:
    assert set(ABLATIONS[name].init(D, H, np.random.default_rng(0))) == set(PARAM_NAMES)


def test_ablation_functions_are_named_after_their_variant() -> None:
    assert set(ABLATIONS) == set(VARIANTS) == {"nfg", "nig", "nog", "niaf", "noaf"}
    for name, funcs in ABLATIONS.items():
        assert funcs.forward.__name__ == f"{name}_forward"
        assert funcs.step_forward.__name__ == f"{name}_step_forward"
        assert funcs.init.__name__ == f"init_{name}_params"
        assert name in funcs.forward.__doc__
