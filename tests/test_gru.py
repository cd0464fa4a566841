"""The GRU, both reset placements: hand examples, limiting cases, and the nn.GRU weight mapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_reference.gradcheck import numerical_gradient, rel_error
from lstm_reference.gru import (
    PARAM_NAMES,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from lstm_reference.rnn import rnn_backward, rnn_forward

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)
BIG = 60.0  # σ(60 + small) is exactly 1.0 in float64, σ(−60 + small) is ~1e-26


def hand_params(bhn: float | None = None) -> dict[str, np.ndarray]:
    """H = D = 1, rows [weight on h, weight on x]."""
    p = {
        "Wz": np.array([[0.0, LN3]]), "bz": np.zeros((1, 1)),
        "Wr": np.array([[0.0, 0.0]]), "br": np.full((1, 1), LN4),
        "Wh": np.array([[1.25 * LN2, 0.5 * LN2]]), "bh": np.zeros((1, 1)),
    }
    if bhn is not None:
        p["bhn"] = np.full((1, 1), bhn)
    return p


def test_hand_computed_step_colah_form() -> None:
    """h_prev = 0.5, x = 1:

    z  = σ(ln 3) = 3/4;   r = σ(ln 4) = 4/5
    h̃  = tanh(1.25 ln2·(r·h_prev) + 0.5 ln2·1) = tanh(0.5 ln2 + 0.5 ln2) = tanh(ln 2) = 3/5
    h  = (1 − ¾)·0.5 + ¾·⅗ = 0.125 + 0.45 = 0.575

    Backward with dh = 1:
    dbz = (h̃ − h_prev)·z(1−z) = 0.1·3/16 = 0.01875
    dbh = z·(1 − h̃²)          = ¾·0.64   = 0.48;   dWh = 0.48·[r·h_prev, x] = [0.192, 0.48]
    dbr = (1.25 ln2·dbh)·h_prev·r(1−r) = 0.3 ln2·0.16 = 0.048 ln2
    dh_prev = (1 − z) + 1.25 ln2·dbh·r = 0.25 + 0.48 ln2   (Wz, Wr have no h-weight here)
    dx = ln3·dbz + 0.5 ln2·dbh = 0.01875 ln3 + 0.24 ln2
    """
    h, cache = gru_step_forward(np.array([[1.0]]), np.array([[0.5]]), hand_params())
    assert h[0, 0] == pytest.approx(0.575, abs=1e-15)
    dx, dh_prev, g = gru_step_backward(np.array([[1.0]]), cache)
    assert g["bz"][0, 0] == pytest.approx(0.01875, abs=1e-15)
    assert g["bh"][0, 0] == pytest.approx(0.48, abs=1e-15)
    np.testing.assert_allclose(g["Wh"], [[0.192, 0.48]], atol=1e-15)
    assert g["br"][0, 0] == pytest.approx(0.048 * LN2, abs=1e-15)
    assert dh_prev[0, 0] == pytest.approx(0.25 + 0.48 * LN2, abs=1e-15)
    assert dx[0, 0] == pytest.approx(0.01875 * LN3 + 0.24 * LN2, abs=1e-15)


def test_hand_computed_step_reset_after() -> None:
    """Same parameters plus bhn = 0.625 ln2; h_prev = 0.5, x = 1:

    n_h = 1.25 ln2·0.5 + 0.625 ln2 = 1.25 ln2
    h̃   = tanh(0.5 ln2·1 + 0 + r·n_h) = tanh(0.5 ln2 + ln2) = tanh(1.5 ln2) = (8 − 1)/(8 + 1) = 7/9
    h   = 0.125 + ¾·7/9 = 17/24

    Backward with dh = 1:
    dbh  = z·(1 − 49/81) = 8/27;   dbhn = dbh·r = 6.4/27;   dbr = dbh·n_h·r(1−r) = 1.6 ln2/27
    dbz  = (7/9 − ½)·3/16 = 5/96;  dh_prev = ¼ + 1.25 ln2·dbhn = ¼ + 8 ln2/27
    """
    h, cache = gru_step_forward(
        np.array([[1.0]]), np.array([[0.5]]), hand_params(0.625 * LN2), reset_after=True
    )
    assert h[0, 0] == pytest.approx(17 / 24, abs=1e-15)
    _, dh_prev, g = gru_step_backward(np.array([[1.0]]), cache)
    assert g["bh"][0, 0] == pytest.approx(8 / 27, abs=1e-15)
    assert g["bhn"][0, 0] == pytest.approx(6.4 / 27, abs=1e-15)
    assert g["br"][0, 0] == pytest.approx(1.6 * LN2 / 27, abs=1e-15)
    assert g["bz"][0, 0] == pytest.approx(5 / 96, abs=1e-15)
    assert dh_prev[0, 0] == pytest.approx(0.25 + 8 * LN2 / 27, abs=1e-15)


def _problem(seed: int, reset_after: bool = False, T: int = 4, D: int = 3, H: int = 5, B: int = 2):
    rng = np.random.default_rng(seed)
    p = init_gru_params(D, H, rng, reset_after=reset_after)
    p = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in p.items()}
    X = rng.standard_normal((T, D, B))
    h0 = rng.standard_normal((H, B))
    dhs = rng.standard_normal((T, H, B))
    return p, X, h0, dhs


def test_update_gate_open_gives_the_candidate() -> None:
    """z ≡ 1: h = h̃ = tanh(Wh·[r⊙h_prev; x] + bh), the formula written out once more."""
    p, X, h0, _ = _problem(0)
    p["bz"][:] = BIG
    h, _ = gru_step_forward(X[0], h0, p)
    r = 1 / (1 + np.exp(-(p["Wr"] @ np.vstack([h0, X[0]]) + p["br"])))
    np.testing.assert_allclose(h, np.tanh(p["Wh"] @ np.vstack([r * h0, X[0]]) + p["bh"]),
                               rtol=1e-13)


@pytest.mark.parametrize("reset_after", [False, True])
def test_open_update_and_reset_gates_give_the_vanilla_rnn(reset_after: bool) -> None:
    """z ≡ 1 and r ≡ 1 (and bhn = 0): h = tanh(Wh·[h; x] + bh), the RNN, gradients included."""
    p, X, h0, dhs = _problem(1, reset_after)
    p["bz"][:] = BIG
    p["br"][:] = BIG
    if reset_after:
        p["bhn"][:] = 0.0
    hs, _, cache = gru_forward(X, h0, p, reset_after=reset_after)
    rnn_p = {"Wh": p["Wh"], "bh": p["bh"]}
    hs_rnn, _, rnn_cache = rnn_forward(X, h0, rnn_p)
    np.testing.assert_allclose(hs, hs_rnn, rtol=1e-13, atol=1e-15)
    dX, dh0, g = gru_backward(dhs, cache)
    dX_rnn, dh0_rnn, g_rnn = rnn_backward(dhs, rnn_cache)
    np.testing.assert_allclose(dX, dX_rnn, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dh0, dh0_rnn, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["Wh"], g_rnn["Wh"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["bh"], g_rnn["bh"], rtol=1e-12, atol=1e-14)
    for k in ("Wz", "bz", "Wr", "br"):  # saturated gates learn nothing
        assert np.abs(g[k]).max() < 1e-20, k


@pytest.mark.parametrize("reset_after", [False, True])
def test_closed_update_gate_copies_the_state(reset_after: bool) -> None:
    """z ≡ 0: h_t = h_0 for all t, so dh0 = Σ dhs and no gradient reaches X."""
    p, X, h0, dhs = _problem(2, reset_after)
    p["bz"][:] = -BIG
    hs, _, cache = gru_forward(X, h0, p, reset_after=reset_after)
    np.testing.assert_allclose(hs, np.broadcast_to(h0, hs.shape), rtol=1e-20, atol=1e-20)
    dX, dh0, _ = gru_backward(dhs, cache)
    assert np.abs(dX).max() < 1e-20
    np.testing.assert_allclose(dh0, dhs.sum(axis=0), rtol=1e-14)


def test_reset_after_with_open_reset_and_zero_bhn_is_colahs_form() -> None:
    p, X, h0, dhs = _problem(3, reset_after=True)
    p["br"][:] = BIG
    p["bhn"][:] = 0.0
    colah = {k: p[k] for k in PARAM_NAMES}
    hs_a, _, cache_a = gru_forward(X, h0, p, reset_after=True)
    hs_c, _, cache_c = gru_forward(X, h0, colah)
    np.testing.assert_allclose(hs_a, hs_c, rtol=1e-13, atol=1e-15)
    dX_a, dh0_a, g_a = gru_backward(dhs, cache_a)
    dX_c, dh0_c, g_c = gru_backward(dhs, cache_c)
    np.testing.assert_allclose(dX_a, dX_c, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dh0_a, dh0_c, rtol=1e-12, atol=1e-14)
    for k in PARAM_NAMES:
        np.testing.assert_allclose(g_a[k], g_c[k], rtol=1e-12, atol=1e-14, err_msg=k)
    # bhn is then the bias of the recurrent term: its gradient is the bias gradient of h̃.
    np.testing.assert_allclose(g_a["bhn"], g_a["bh"], rtol=1e-12)


def test_the_two_reset_placements_differ_in_general() -> None:
    p, X, h0, _ = _problem(4, reset_after=True)
    hs_a, _, _ = gru_forward(X, h0, p, reset_after=True)
    hs_c, _, _ = gru_forward(X, h0, {k: p[k] for k in PARAM_NAMES})
    assert rel_error(hs_a, hs_c) > 1e-3


def test_init_parameter_sets() -> None:
    rng = np.random.default_rng(5)
    assert set(init_gru_params(3, 4, rng)) == set(PARAM_NAMES)
    p = init_gru_params(3, 4, rng, np.float32, reset_after=True)
    assert set(p) == {*PARAM_NAMES, "bhn"}
    assert p["bhn"].shape == (4, 1) and p["bhn"].dtype == np.float32


# ------------------------------------------------------------------- mapping to torch.nn.GRU


def _sig(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def torch_gru_equations(X: np.ndarray, h0: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """nn.GRU's documented equations in its own row layout: x (B, D), h (B, H), rows (r, z, n).

    r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr);  z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
    n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn));  h' = (1 − z) ⊙ n + z ⊙ h
    """
    H = h0.shape[1]
    h, out = h0, []
    for x in X:
        gi = x @ w["weight_ih"].T + w["bias_ih"]
        gh = h @ w["weight_hh"].T + w["bias_hh"]
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out)


def to_torch_layout(p: dict[str, np.ndarray], split: float = 0.3) -> dict[str, np.ndarray]:
    """The mapping documented in gru.py (r/z biases split arbitrarily between ih and hh)."""
    H = p["bz"].shape[0]
    hcol, xcol = slice(0, H), slice(H, None)
    rest = 1.0 - split
    return {
        "weight_ih": np.concatenate([p["Wr"][:, xcol], -p["Wz"][:, xcol], p["Wh"][:, xcol]]),
        "weight_hh": np.concatenate([p["Wr"][:, hcol], -p["Wz"][:, hcol], p["Wh"][:, hcol]]),
        "bias_ih": np.concatenate([split * p["br"], -split * p["bz"], p["bh"]]).ravel(),
        "bias_hh": np.concatenate([rest * p["br"], -rest * p["bz"], p["bhn"]]).ravel(),
    }


def test_reset_after_matches_nn_gru_equations_under_the_documented_mapping() -> None:
    p, X, h0, dhs = _problem(6, reset_after=True, T=3, D=2, H=3, B=2)
    w = to_torch_layout(p)
    hs_torch = torch_gru_equations(X.transpose(0, 2, 1), h0.T, w).transpose(0, 2, 1)
    hs, _, cache = gru_forward(X, h0, p, reset_after=True)
    np.testing.assert_allclose(hs, hs_torch, rtol=1e-13, atol=1e-15)

    # Gradients map the same way: both r/z biases get our bias gradient (negated for z).
    _, _, g = gru_backward(dhs, cache)

    def loss() -> float:
        out = torch_gru_equations(X.transpose(0, 2, 1), h0.T, w).transpose(0, 2, 1)
        return float(np.sum(dhs * out))

    H = 3
    d_bias_hh = numerical_gradient(loss, w["bias_hh"])
    d_bias_ih = numerical_gradient(loss, w["bias_ih"])
    expected_hh = np.concatenate([g["br"], -g["bz"], g["bhn"]]).ravel()
    expected_ih = np.concatenate([g["br"], -g["bz"], g["bh"]]).ravel()
    assert rel_error(d_bias_hh, expected_hh) < 1e-7
    assert rel_error(d_bias_ih, expected_ih) < 1e-7
    d_weight_hh = numerical_gradient(loss, w["weight_hh"])
    expected_w = np.concatenate([g["Wr"][:, :H], -g["Wz"][:, :H], g["Wh"][:, :H]])
    assert rel_error(d_weight_hh, expected_w) < 1e-7
