"""The LSTM of ``lstm.py``: a hand-computed example, exact gradients, step pair = sequence pair."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_reference.gradcheck import check_cell_gradients, numerical_gradient, rel_error
from lstm_reference.lstm import (
    PARAM_NAMES,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)


def hand_params() -> dict[str, np.ndarray]:
    """H = D = 1; each row is [weight on h_prev, weight on x]."""
    return {
        "Wf": np.array([[2.0, -1.0]]), "bf": np.zeros((1, 1)),
        "Wi": np.array([[0.0, LN3]]), "bi": np.zeros((1, 1)),
        "WC": np.array([[0.0, LN2]]), "bC": np.zeros((1, 1)),
        "Wo": np.array([[2 * LN4, 0.0]]), "bo": np.zeros((1, 1)),
    }


def test_hand_computed_step() -> None:
    """h_prev = 0.5, x = 1, C_prev = 2, so hx = [0.5, 1]:

    f  = σ(2·0.5 − 1·1)  = σ(0)      = 1/2
    i  = σ(ln 3)         = 3/(3+1)   = 3/4
    C̃  = tanh(ln 2)      = (2 − ½)/(2 + ½) = 3/5
    C  = ½·2 + ¾·⅗       = 1 + 0.45  = 1.45
    o  = σ(2·ln 4·0.5)   = σ(ln 4)   = 4/5
    h  = ⅘·tanh(1.45)

    Backward with dh = 1, dC_next = 0.1, writing τ = tanh(1.45):
    dC      = 1·o·(1 − τ²) + 0.1
    dC_prev = dC·f = dC/2
    dbf = dC·C_prev·f(1−f) = dC·2·¼   = dC/2
    dbi = dC·C̃·i(1−i)     = dC·⅗·3/16 = 0.1125·dC
    dbC = dC·i·(1 − C̃²)   = dC·¾·0.64 = 0.48·dC
    dbo = dh·τ·o(1−o)      = 0.16·τ
    dW* = db*·[0.5, 1];  dx = −1·dbf + ln3·dbi + ln2·dbC;  dh_prev = 2·dbf + 2 ln4·dbo
    (If the code read [x; h] instead of [h; x], f would be σ(2 − 0.5) and everything moves.)
    """
    p = hand_params()
    h, C, cache = lstm_step_forward(np.array([[1.0]]), np.array([[0.5]]), np.array([[2.0]]), p)
    tau = math.tanh(1.45)
    assert C[0, 0] == pytest.approx(1.45, abs=1e-15)
    assert h[0, 0] == pytest.approx(0.8 * tau, abs=1e-15)

    dx, dh_prev, dC_prev, g = lstm_step_backward(np.array([[1.0]]), np.array([[0.1]]), cache)
    dC = 0.8 * (1 - tau**2) + 0.1
    dbf, dbi, dbC, dbo = dC / 2, 0.1125 * dC, 0.48 * dC, 0.16 * tau
    assert dC_prev[0, 0] == pytest.approx(dC / 2, abs=1e-15)
    for name, expected in (("f", dbf), ("i", dbi), ("C", dbC), ("o", dbo)):
        assert g["b" + name][0, 0] == pytest.approx(expected, abs=1e-15), name
        np.testing.assert_allclose(g["W" + name], [[0.5 * expected, expected]], atol=1e-15)
    assert dx[0, 0] == pytest.approx(-dbf + LN3 * dbi + LN2 * dbC, abs=1e-14)
    assert dh_prev[0, 0] == pytest.approx(2 * dbf + 2 * LN4 * dbo, abs=1e-14)


def test_cell_state_gradient_is_scaled_by_the_forget_gate() -> None:
    """With no gradient through h, dC_prev = dC_next ⊙ f exactly: the conveyor belt."""
    rng = np.random.default_rng(0)
    p = init_lstm_params(3, 5, rng)
    x, h, C = rng.standard_normal((3, 2)), rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    _, _, cache = lstm_step_forward(x, h, C, p)
    f = 0.5 * (1 + np.tanh(0.5 * (p["Wf"] @ np.vstack([h, x]) + p["bf"])))
    dC_next = rng.standard_normal((5, 2))
    _, _, dC_prev, _ = lstm_step_backward(np.zeros((5, 2)), dC_next, cache)
    np.testing.assert_allclose(dC_prev, dC_next * f, rtol=1e-14)


def test_step_gradients_match_central_differences() -> None:
    rng = np.random.default_rng(1)
    p = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in init_lstm_params(3, 4, rng).items()}
    x, h, C = rng.standard_normal((3, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    dh, dC_next = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))

    def loss() -> float:
        h_new, C_new, _ = lstm_step_forward(x, h, C, p)
        return float(np.sum(dh * h_new) + np.sum(dC_next * C_new))

    _, _, cache = lstm_step_forward(x, h, C, p)
    dx, dh_prev, dC_prev, grads = lstm_step_backward(dh, dC_next, cache)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert rel_error(dh_prev, numerical_gradient(loss, h)) < 1e-7
    assert rel_error(dC_prev, numerical_gradient(loss, C)) < 1e-7
    for k in PARAM_NAMES:
        assert rel_error(grads[k], numerical_gradient(loss, p[k])) < 1e-7, k


def test_sequence_gradients_match_central_differences() -> None:
    """Every parameter, dX, dh0 and dC0, with gradient arriving at hs and at (h_T, C_T)."""
    for seed in (0, 1):
        assert check_cell_gradients("lstm", T=4, D=3, H=5, B=2, seed=seed) < 1e-7


def test_sequence_equals_looped_steps_with_raw_api() -> None:
    rng = np.random.default_rng(2)
    T, D, H, B = 5, 3, 4, 3
    p = init_lstm_params(D, H, rng)
    X = rng.standard_normal((T, D, B))
    h0, C0 = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    hs, (h_T, C_T), cache = lstm_forward(X, h0, C0, p)
    h, C, caches = h0, C0, []
    for t in range(T):
        h, C, c = lstm_step_forward(X[t], h, C, p)
        np.testing.assert_allclose(hs[t], h, rtol=1e-13, atol=1e-15)
        caches.append(c)
    np.testing.assert_allclose(h_T, h, rtol=1e-13)
    np.testing.assert_allclose(C_T, C, rtol=1e-13)

    dhs = rng.standard_normal((T, H, B))
    dh_T, dC_T = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    dX, (dh0, dC0), grads = lstm_backward(dhs, cache, dh_T, dC_T)
    dh, dC = dh_T, dC_T
    total = {k: np.zeros_like(v) for k, v in p.items()}
    for t in range(T - 1, -1, -1):
        dx, dh, dC, g = lstm_step_backward(dh + dhs[t], dC, caches[t])
        np.testing.assert_allclose(dX[t], dx, rtol=1e-12, atol=1e-14)
        for k in total:
            total[k] += g[k]
    np.testing.assert_allclose(dh0, dh, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dC0, dC, rtol=1e-12, atol=1e-14)
    for k in PARAM_NAMES:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-12, atol=1e-14, err_msg=k)


def test_float32_in_float32_out() -> None:
    rng = np.random.default_rng(3)
    p64 = init_lstm_params(3, 5, rng)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    X = rng.standard_normal((4, 3, 2))
    h0, C0 = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    dhs = rng.standard_normal((4, 5, 2))
    f32 = [a.astype(np.float32) for a in (X, h0, C0)]
    hs32, fin32, c32 = lstm_forward(*f32, p32)
    hs64, fin64, c64 = lstm_forward(X, h0, C0, p64)
    out32 = [hs32, *fin32, *_flat(lstm_backward(dhs.astype(np.float32), c32))]
    out64 = [hs64, *fin64, *_flat(lstm_backward(dhs, c64))]
    for a, b in zip(out32, out64, strict=True):
        assert a.dtype == np.float32
        assert rel_error(a, b) < 1e-4
    h, C, _ = lstm_step_forward(f32[0][0], f32[1], f32[2], p32)
    assert h.dtype == C.dtype == np.float32


def _flat(result: tuple) -> list[np.ndarray]:
    dX, (dh0, dC0), grads = result
    return [dX, dh0, dC0, *(grads[k] for k in PARAM_NAMES)]


def test_inputs_are_not_mutated() -> None:
    rng = np.random.default_rng(4)
    p = init_lstm_params(3, 5, rng)
    X = rng.standard_normal((4, 3, 2))
    h0, C0 = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    dhs = rng.standard_normal((4, 5, 2))
    dh_T, dC_T = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    arrays = [X, h0, C0, dhs, dh_T, dC_T, *p.values()]
    before = [a.copy() for a in arrays]
    _, _, cache = lstm_forward(X, h0, C0, p)
    lstm_backward(dhs, cache, dh_T, dC_T)
    _, _, step_cache = lstm_step_forward(X[0], h0, C0, p)
    lstm_step_backward(dhs[0], dC_T, step_cache)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_init_shapes_and_forget_bias() -> None:
    p = init_lstm_params(3, 5, np.random.default_rng(5), np.float32)
    assert set(p) == set(PARAM_NAMES)
    assert all(p["W" + g].shape == (5, 8) and p["b" + g].shape == (5, 1) for g in "fiCo")
    assert all(v.dtype == np.float32 for v in p.values())
    np.testing.assert_array_equal(p["bf"], 1.0)
