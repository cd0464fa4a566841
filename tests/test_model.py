"""Char LM, classifier and regressor: losses against a step-by-step recomputation, exact
gradients against central differences, sampling."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference.lstm import lstm_step_forward
from lstm_reference.model import (
    char_lm_forward,
    char_lm_loss,
    classifier_loss,
    init_char_lm,
    init_classifier,
    regressor_loss,
    sample,
)

CELLS = ("lstm", "rnn", "gru")


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative error ‖a − b‖ / max(‖a‖ + ‖b‖, tiny)."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30))


def numerical_grads(f, p: dict, eps: float = 1e-6) -> dict:
    """Central differences of the scalar f() w.r.t. every entry of every array in p."""
    out = {}
    for k, v in p.items():
        g = np.zeros_like(v)
        it = np.nditer(v, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            old = v[idx]
            v[idx] = old + eps
            fp = f()
            v[idx] = old - eps
            fm = f()
            v[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        out[k] = g
    return out


def random_state(cell: str, H: int, B: int, rng: np.random.Generator) -> tuple:
    n = 2 if cell == "lstm" else 1
    return tuple(0.5 * rng.standard_normal((H, B)) for _ in range(n))


@pytest.mark.parametrize("cell", CELLS)
def test_char_lm_gradients_match_central_differences(cell: str) -> None:
    rng = np.random.default_rng(1)
    V, H, T, B = 5, 4, 6, 3
    p = init_char_lm(V, H, cell, rng)
    for v in p.values():  # non-trivial biases, so every term is exercised
        v += 0.1 * rng.standard_normal(v.shape)
    inputs, targets = rng.integers(V, size=(T, B)), rng.integers(V, size=(T, B))
    state = random_state(cell, H, B, rng)
    loss, grads, _ = char_lm_loss(p, inputs, targets, state, cell)
    num = numerical_grads(lambda: char_lm_loss(p, inputs, targets, state, cell)[0], p)
    assert set(grads) == set(p)
    for k in p:
        assert grads[k].shape == p[k].shape
        assert rel_error(grads[k], num[k]) < 1e-7, k
    assert np.isfinite(loss)


def test_char_lm_loss_equals_a_step_by_step_recomputation() -> None:
    """Independent forward: lstm_step_forward one column at a time and a plain softmax."""
    rng = np.random.default_rng(2)
    V, H, T, B = 6, 5, 7, 2
    p = init_char_lm(V, H, "lstm", rng)
    inputs, targets = rng.integers(V, size=(T, B)), rng.integers(V, size=(T, B))
    h0, C0 = 0.3 * rng.standard_normal((H, B)), 0.3 * rng.standard_normal((H, B))
    loss, _, (hT, CT) = char_lm_loss(p, inputs, targets, (h0, C0), "lstm")
    total = 0.0
    for b in range(B):
        h, C = h0[:, b : b + 1], C0[:, b : b + 1]
        for t in range(T):
            x = np.zeros((V, 1))
            x[inputs[t, b]] = 1.0
            h, C, _ = lstm_step_forward(x, h, C, p)
            y = p["Wy"] @ h + p["by"]
            prob = np.exp(y) / np.exp(y).sum()
            total -= np.log(prob[targets[t, b], 0])
        np.testing.assert_allclose(hT[:, b : b + 1], h, atol=1e-12)
        np.testing.assert_allclose(CT[:, b : b + 1], C, atol=1e-12)
    assert loss == pytest.approx(total / (T * B), abs=1e-12)


def test_softmax_is_stable_for_huge_logits() -> None:
    rng = np.random.default_rng(3)
    p = init_char_lm(4, 3, "lstm", rng)
    p["Wy"][:] = 0.0
    p["by"][:] = np.array([[1000.0], [0.0], [-1000.0], [0.0]])
    loss, grads, _ = char_lm_loss(p, np.zeros((3, 2), int), np.full((3, 2), 0), None, "lstm")
    assert np.isfinite(loss) and loss < 1e-6
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    loss2, _, _ = char_lm_loss(p, np.zeros((3, 2), int), np.full((3, 2), 2), None, "lstm")
    assert loss2 == pytest.approx(2000.0, rel=1e-6)


def test_carried_state_splits_a_sequence_exactly() -> None:
    rng = np.random.default_rng(4)
    p = init_char_lm(5, 4, "lstm", rng)
    ids = rng.integers(5, size=(12, 3))
    full, _, _ = char_lm_forward(p, ids)
    a, state, _ = char_lm_forward(p, ids[:5])
    b, _, _ = char_lm_forward(p, ids[5:], state)
    np.testing.assert_allclose(np.concatenate([a, b]), full, atol=1e-14)


@pytest.mark.parametrize("cell", ("lstm", "rnn"))
def test_classifier_gradients_match_central_differences(cell: str) -> None:
    rng = np.random.default_rng(5)
    T, D, B, H, K = 5, 3, 4, 4, 3
    p = init_classifier(D, H, K, cell, rng)
    X = rng.standard_normal((T, D, B))
    y = rng.integers(K, size=B)
    state = random_state(cell, H, B, rng)
    loss, grads, logits = classifier_loss(p, X, y, state, cell)
    assert logits.shape == (K, B)
    num = numerical_grads(lambda: classifier_loss(p, X, y, state, cell)[0], p)
    for k in p:
        assert rel_error(grads[k], num[k]) < 1e-7, k
    # independent loss: log-sum-exp of the returned logits
    ref = np.mean(np.log(np.exp(logits).sum(axis=0)) - logits[y, np.arange(B)])
    assert loss == pytest.approx(ref, abs=1e-12)


def test_classifier_predicts_from_the_last_hidden_state_only() -> None:
    rng = np.random.default_rng(6)
    p = init_classifier(3, 4, 2, "lstm", rng)
    X = rng.standard_normal((6, 3, 2))
    _, _, logits = classifier_loss(p, X, np.array([0, 1]))
    h, C = np.zeros((4, 2)), np.zeros((4, 2))
    for t in range(6):
        h, C, _ = lstm_step_forward(X[t], h, C, p)
    np.testing.assert_allclose(logits, p["Wy"] @ h + p["by"], atol=1e-12)


def test_regressor_gradients_and_loss() -> None:
    rng = np.random.default_rng(7)
    p = init_classifier(2, 3, 1, "lstm", rng)
    X = rng.standard_normal((5, 2, 4))
    y = rng.standard_normal(4)
    loss, grads, pred = regressor_loss(p, X, y)
    assert loss == pytest.approx(np.mean((pred[0] - y) ** 2), abs=1e-14)
    num = numerical_grads(lambda: regressor_loss(p, X, y)[0], p)
    for k in p:
        assert rel_error(grads[k], num[k]) < 1e-7, k


def test_sample_at_low_temperature_is_greedy_decoding() -> None:
    rng = np.random.default_rng(8)
    p = init_char_lm(6, 8, "lstm", rng)
    p["Wy"] *= 5.0  # peaked distributions
    out = sample(p, [1, 2], 10, temperature=1e-3, rng=np.random.default_rng(0))
    seq = [1, 2]
    for _ in range(10):  # recompute greedily from scratch on the growing prefix
        logits, _, _ = char_lm_forward(p, np.array(seq)[:, None])
        seq.append(int(np.argmax(logits[-1, :, 0])))
    assert out.tolist() == seq[2:]


def test_sample_is_reproducible_and_in_range() -> None:
    p = init_char_lm(7, 5, "gru", np.random.default_rng(9))
    a = sample(p, [0], 50, 1.0, np.random.default_rng(1), "gru")
    b = sample(p, [0], 50, 1.0, np.random.default_rng(1), "gru")
    c = sample(p, [0], 50, 1.0, np.random.default_rng(2), "gru")
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert a.min() >= 0 and a.max() < 7 and len(a) == 50
    with pytest.raises(ValueError, match="temperature"):
        sample(p, [0], 5, 0.0, cell="gru")


def test_unknown_cell_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="lstm"):
        init_char_lm(5, 4, "transformer")
