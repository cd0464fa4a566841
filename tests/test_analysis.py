"""lstm_reference.analysis against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference import analysis
from lstm_reference.lstm import init_lstm_params, lstm_forward
from lstm_reference.model import init_classifier


def test_record_lstm_matches_the_fast_forward_and_the_gate_formulas() -> None:
    rng = np.random.default_rng(0)
    T, D, H, B = 6, 3, 4, 2
    p = init_lstm_params(D, H, rng)
    X = rng.standard_normal((T, D, B))
    h0, C0 = rng.standard_normal((H, B)), rng.standard_normal((H, B))
    rec = analysis.record_lstm(X, h0, C0, p)
    hs, (_, C_T), _ = lstm_forward(X, h0, C0, p)
    np.testing.assert_allclose(rec["h"], hs, atol=1e-12)
    np.testing.assert_allclose(rec["C"][-1], C_T, atol=1e-12)
    h_prev = np.concatenate([h0[None], hs[:-1]])
    C_prev = np.concatenate([C0[None], rec["C"][:-1]])
    for t in range(T):
        hx = np.vstack([h_prev[t], X[t]])

        def sig(z: np.ndarray) -> np.ndarray:
            return 1.0 / (1.0 + np.exp(-z))

        f, i = sig(p["Wf"] @ hx + p["bf"]), sig(p["Wi"] @ hx + p["bi"])
        o, g = sig(p["Wo"] @ hx + p["bo"]), np.tanh(p["WC"] @ hx + p["bC"])
        for key, want in (
            ("f", f),
            ("i", i),
            ("o", o),
            ("C_tilde", g),
            ("C", f * C_prev[t] + i * g),
        ):
            np.testing.assert_allclose(rec[key][t], want, atol=1e-12, err_msg=f"{key} at t={t}")


def test_tracking_correlations_equal_numpy_corrcoef_and_ignore_constant_units() -> None:
    rng = np.random.default_rng(1)
    acts = rng.standard_normal((50, 5))
    acts[:, 3] = 0.7  # never changes
    signal = rng.standard_normal(50)
    r = analysis.tracking_correlations(acts, signal)
    for k in (0, 1, 2, 4):
        assert r[k] == pytest.approx(np.corrcoef(acts[:, k], signal)[0, 1], abs=1e-12)
    assert r[3] == 0.0


def test_best_tracking_unit_ranks_by_absolute_correlation() -> None:
    rng = np.random.default_rng(2)
    signal = rng.standard_normal(200)
    acts = 0.3 * rng.standard_normal((200, 4))
    acts[:, 1] += 0.5 * signal
    acts[:, 2] -= signal  # strongest, negative
    unit, corr = analysis.best_tracking_unit(acts, signal)
    assert unit == 2 and corr < -0.9


def test_batched_activations_pair_each_column_with_its_signal() -> None:
    rng = np.random.default_rng(3)
    signal = rng.standard_normal((30, 2))  # (T, B)
    acts = rng.standard_normal((30, 3, 2))  # (T, H, B)
    acts[:, 0, :] = signal
    assert analysis.tracking_correlations(acts, signal)[0] == pytest.approx(1.0)


def test_saturation_counts_strictly_below_and_above() -> None:
    gate = np.array([[0.05, 0.5], [0.1, 0.95], [0.9, 0.99], [0.0, 0.2]])  # (T=4, H=2)
    left, right = analysis.saturation(gate)
    np.testing.assert_allclose(left, [0.5, 0.0])
    np.testing.assert_allclose(right, [0.0, 0.5])


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_gradient_flow_matches_finite_differences(cell: str) -> None:
    rng = np.random.default_rng(4)
    T, D, H, B = 5, 3, 4, 2
    p = init_classifier(D, H, 2, cell=cell, rng=rng)
    p = {k: v for k, v in p.items() if k not in ("Wy", "by")}
    X = rng.standard_normal((T, D, B))
    from lstm_reference.cells import get_cell, zero_state

    spec = get_cell(cell)

    def loss(X_: np.ndarray) -> float:
        hs, _, _ = spec.forward(X_, zero_state(spec, H, B, X_.dtype), p)
        return float(hs[-1].sum())

    grad = np.zeros_like(X)
    eps = 1e-6
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += eps
        Xm[idx] -= eps
        grad[idx] = (loss(Xp) - loss(Xm)) / (2 * eps)
    want = np.linalg.norm(grad, axis=1).mean(axis=1)
    np.testing.assert_allclose(analysis.gradient_flow(cell, p, X), want, rtol=1e-6)


def test_correlation_ratio_matches_its_definition_and_ignores_unlabelled_steps() -> None:
    rng = np.random.default_rng(3)
    T, H, K = 400, 5, 4
    labels = rng.integers(-1, K, size=T)
    acts = rng.standard_normal((T, H))
    acts[:, 2] += 3.0 * (labels == 1)  # unit 2 separates category 1 from the rest
    acts[labels == -1, 4] = 100.0  # huge, but only where there is no label
    acts[:, 3] = 0.7  # never changes
    eta = analysis.correlation_ratios(acts, labels)
    keep = labels >= 0
    for unit in range(H):
        a, y = acts[keep, unit], labels[keep]
        total = ((a - a.mean()) ** 2).sum()
        between = sum((y == k).sum() * (a[y == k].mean() - a.mean()) ** 2 for k in range(K))
        want = 0.0 if total < 1e-12 else np.sqrt(between / total)
        assert eta[unit] == pytest.approx(want, abs=1e-12)
    assert eta[3] == 0.0
    assert analysis.best_category_unit(acts, labels)[0] == 2
    assert eta[4] < 0.3  # the unlabelled steps do not count


def test_correlation_ratio_of_two_categories_is_abs_pearson() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=300)
    acts = rng.standard_normal((300, 3)) - 0.8 * labels[:, None]
    r = analysis.tracking_correlations(acts, labels.astype(float))
    np.testing.assert_allclose(analysis.correlation_ratios(acts, labels), np.abs(r), atol=1e-12)
