"""Synthetic tasks: properties checked on several seeds and lengths, independently of the
generators' own bookkeeping."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_reference.data.tasks import (
    ADDING_BASELINE_MSE,
    ORDER_SYMBOLS,
    REBER_SYMBOLS,
    adding_metrics,
    adding_problem,
    embedded_reber_stream,
    first_symbol,
    get_task,
    reber_accuracy,
    temporal_order,
)

SEEDS = (0, 1, 7)


def assert_one_hot(X: np.ndarray) -> None:
    assert np.all((X == 0) | (X == 1)) and np.all(X.sum(axis=1) == 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("T", [20, 50, 100])
def test_temporal_order(seed: int, T: int) -> None:
    B = 400
    X, y = temporal_order(T, B, seed)
    assert X.shape == (T, 8, B) and y.shape == (B,)
    assert_one_hot(X)
    ids = X.argmax(axis=1)
    sym = np.array(ORDER_SYMBOLS)[ids]  # (T, B) letters
    assert (sym[0] == "B").all() and (sym[-1] == "E").all()
    for b in range(B):
        pos = [t for t in range(T) if sym[t, b] in "XY"]
        assert len(pos) == 2
        t1, t2 = pos
        assert round(0.1 * T) <= t1 <= round(0.2 * T)
        assert round(0.5 * T) <= t2 <= round(0.6 * T)
        assert y[b] == ["XX", "XY", "YX", "YY"].index(sym[t1, b] + sym[t2, b])
        rest = np.delete(sym[1:-1, b], [t1 - 1, t2 - 1])
        assert set(rest) <= set("abcd")
    assert np.all(np.abs(np.bincount(y, minlength=4) / B - 0.25) < 0.08)
    X2, y2 = temporal_order(T, B, seed)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(temporal_order(T, B, seed + 100)[0], X)


@pytest.mark.parametrize("seed", SEEDS)
def test_first_symbol(seed: int) -> None:
    X, y = first_symbol(30, 300, seed)
    assert X.shape == (30, 8, 300)
    assert_one_hot(X)
    ids = X.argmax(axis=1)
    np.testing.assert_array_equal(ids[0], y)
    assert (ids[1:] >= 4).all()  # distractors come from the other symbols
    assert set(np.unique(y)) == {0, 1, 2, 3}


@pytest.mark.parametrize("seed", SEEDS)
def test_adding_problem(seed: int) -> None:
    T, B = 40, 500
    X, y = adding_problem(T, B, seed)
    assert X.shape == (T, 2, B) and y.shape == (B,)
    assert (X[:, 0] >= 0).all() and (X[:, 0] <= 1).all()
    marks = X[:, 1]
    assert (marks.sum(axis=0) == 2).all()
    assert (marks[: T // 2].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y, (X[:, 0] * marks).sum(axis=0))
    # predicting the mean (1) scores the documented baseline
    base = adding_metrics(np.ones(B), y)["mse"]
    assert base == pytest.approx(ADDING_BASELINE_MSE, rel=0.2)
    perfect = adding_metrics(y, y)
    assert perfect["mse"] == 0 and perfect["accuracy"] == 1


# An embedded Reber string: B, then T or P, a Reber string, the same T or P again, E.
REBER = r"B(?:TS*X(?:S|XT*V(?:PXT*V)*(?:V|PS))|PT*V(?:PXT*V)*(?:V|PS))E"
EMBEDDED = re.compile(r"B([TP])" + REBER + r"\1E")


@pytest.mark.parametrize("seed", SEEDS)
def test_reber_stream_is_a_sequence_of_grammatical_strings(seed: int) -> None:
    T, B = 400, 4
    X, y, legal = embedded_reber_stream(T, B, seed, with_legal=True)
    assert X.shape == (T, 7, B) and y.shape == (T, B) and legal.shape == (T, 7, B)
    assert_one_hot(X)
    ids = X.argmax(axis=1)
    np.testing.assert_array_equal(ids[1:], y[:-1])  # y is the next symbol
    for b in range(B):
        s = "".join(REBER_SYMBOLS[k] for k in ids[:, b]) + REBER_SYMBOLS[y[-1, b]]
        pos, matches = 0, []
        while m := EMBEDDED.match(s, pos):
            matches.append(m)
            pos = m.end()
        assert len(matches) > 5
        assert "EB" not in s[pos:], s[pos:]  # what is left is the start of one more string
        # the real next symbol is always legal
        assert legal[np.arange(T), y[:, b], b].all()
        # the long-range step: before the final E only the string's second symbol is legal
        for m in matches:
            t = m.end() - 3  # index of the last inner E; its successor is the repeated symbol
            if t < T:
                allowed = {REBER_SYMBOLS[k] for k in np.flatnonzero(legal[t, :, b])}
                assert allowed == {m.group(1)}


def test_reber_accuracy_counts_legal_argmax() -> None:
    legal = np.zeros((2, 7, 1), bool)
    legal[0, [1, 2], 0] = True
    legal[1, 0, 0] = True
    logits = np.zeros((2, 7, 1))
    logits[0, 2, 0] = 1.0  # legal
    logits[1, 3, 0] = 1.0  # illegal
    assert reber_accuracy(logits, legal) == 0.5


def test_registry_and_bad_arguments() -> None:
    assert get_task("temporal_order").n_outputs == 4
    assert get_task("adding").kind == "regression"
    with pytest.raises(ValueError, match="temporal_order"):
        get_task("copy")
    with pytest.raises(ValueError):
        temporal_order(5, 3, 0)
    with pytest.raises(ValueError):
        adding_problem(10, 0, 0)
