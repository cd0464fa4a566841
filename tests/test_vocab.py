"""Character vocabulary and one-hot batches."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference.vocab import Vocab, one_hot


def test_vocab_is_sorted_unique_characters_and_round_trips() -> None:
    text = "hello, wörld — ünïcode!\n"
    v = Vocab.from_text(text)
    assert v.chars == "".join(sorted(set(text)))
    assert len(v) == len(set(text))
    ids = v.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert v.decode(ids) == text
    assert v.encode("l").tolist() == [v.chars.index("l")]


def test_unknown_character_and_bad_vocab_are_errors() -> None:
    v = Vocab.from_text("abc")
    with pytest.raises(KeyError, match="'z'"):
        v.encode("abz")
    with pytest.raises(ValueError):
        Vocab("")
    with pytest.raises(ValueError):
        Vocab("aa")


def test_one_hot_layout_is_time_vocab_batch() -> None:
    ids = np.array([[0, 2], [1, 1], [3, 0]])  # (T=3, B=2)
    X = one_hot(ids, 4)
    assert X.shape == (3, 4, 2)
    for t in range(3):
        for b in range(2):
            expected = np.zeros(4)
            expected[ids[t, b]] = 1.0
            np.testing.assert_array_equal(X[t, :, b], expected)
    assert one_hot(np.array([1, 0]), 3, np.float32).shape == (2, 3, 1)
    assert one_hot(np.array([1, 0]), 3, np.float32).dtype == np.float32
    with pytest.raises(ValueError):
        one_hot(np.array([[5]]), 4)
