"""The vanilla RNN: a hand-computed sequence, the vanishing-gradient bound, raw API checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_reference.gradcheck import check_cell_gradients
from lstm_reference.rnn import init_rnn_params, rnn_backward, rnn_forward, rnn_step_forward

W_X = math.log(2)
W_H = math.log(3) / 1.2


def test_hand_computed_two_steps() -> None:
    """H = D = B = 1, Wh = [w_h, w_x] = [ln3/1.2, ln2], bh = 0, h0 = 0, inputs x = (1, 0).

    h1 = tanh(w_x·1)        = tanh(ln 2)   = (2 − ½)/(2 + ½) = 0.6
    h2 = tanh(w_h·0.6 + 0)  = tanh(½ ln 3) = (3 − 1)/(3 + 1) = 0.5

    Backward with dhs = (0, 1), no final-state gradient:
    dz2 = 1·(1 − 0.5²)          = 0.75
    dz1 = w_h·dz2·(1 − 0.6²)    = 0.48·w_h
    dWh = dz2·[h1, x2] + dz1·[h0, x1] = [0.45, 0.48·w_h];  dbh = 0.75 + 0.48·w_h
    dX  = (w_x·dz1, w_x·dz2);  dh0 = w_h·dz1 = 0.48·w_h²
    """
    p = {"Wh": np.array([[W_H, W_X]]), "bh": np.zeros((1, 1))}
    X = np.array([1.0, 0.0]).reshape(2, 1, 1)
    hs, h_T, cache = rnn_forward(X, np.zeros((1, 1)), p)
    np.testing.assert_allclose(hs.ravel(), [0.6, 0.5], atol=1e-15)
    assert h_T[0, 0] == pytest.approx(0.5, abs=1e-15)

    dX, dh0, g = rnn_backward(np.array([0.0, 1.0]).reshape(2, 1, 1), cache)
    dz1 = 0.48 * W_H
    np.testing.assert_allclose(g["Wh"], [[0.45, dz1]], atol=1e-15)
    np.testing.assert_allclose(g["bh"], [[0.75 + dz1]], atol=1e-15)
    np.testing.assert_allclose(dX.ravel(), [W_X * dz1, W_X * 0.75], atol=1e-15)
    assert dh0[0, 0] == pytest.approx(0.48 * W_H**2, abs=1e-15)


def test_gradient_through_time_is_bounded_by_the_recurrent_norm() -> None:
    """|tanh'| ≤ 1, so ‖∂L/∂h_0‖ ≤ ‖Wh_h‖₂^T · ‖∂L/∂h_T‖: the gradient vanishes geometrically."""
    rng = np.random.default_rng(0)
    H, D, B, T = 6, 3, 1, 12
    p = init_rnn_params(D, H, rng)
    p["Wh"][:, :H] *= 0.6 / np.linalg.norm(p["Wh"][:, :H], 2)  # spectral norm 0.6
    X = rng.standard_normal((T, D, B))
    _, _, cache = rnn_forward(X, rng.standard_normal((H, B)), p)
    dhs = np.zeros((T, H, B))
    dh_T = rng.standard_normal((H, B))
    _, dh0, _ = rnn_backward(dhs, cache, dh_T)
    assert np.linalg.norm(dh0) <= 0.6**T * np.linalg.norm(dh_T)
    assert np.linalg.norm(dh0) > 0


def test_gradients_match_central_differences() -> None:
    assert check_cell_gradients("rnn", T=5, D=2, H=4, B=3, seed=3) < 1e-7


def test_step_and_sequence_agree_on_raw_api() -> None:
    rng = np.random.default_rng(1)
    p = init_rnn_params(3, 4, rng, np.float32)
    X = rng.standard_normal((3, 3, 2)).astype(np.float32)
    h = np.zeros((4, 2), np.float32)
    hs, h_T, _ = rnn_forward(X, h, p)
    for t in range(3):
        h, _ = rnn_step_forward(X[t], h, p)
        np.testing.assert_allclose(hs[t], h, rtol=1e-6, atol=1e-6)
    assert hs.dtype == h_T.dtype == h.dtype == np.float32
    # The formula, written out once more: tanh(Wh·[h; x] + bh).
    np.testing.assert_allclose(
        hs[0], np.tanh(p["Wh"] @ np.vstack([np.zeros((4, 2)), X[0]]) + p["bh"]), rtol=1e-6
    )
