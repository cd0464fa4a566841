"""Character vocabulary: the sorted set of characters of a text, and one-hot batches."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocab:
    """A character vocabulary. Index ``k`` is the ``k``-th character in sorted order.

    >>> v = Vocab.from_text("hello")
    >>> v.chars, v.decode(v.encode("hole"))
    ('ehlo', 'hole')
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = "".join(chars)
        if not chars:
            raise ValueError("a vocabulary needs at least one character")
        if len(set(chars)) != len(chars):
            raise ValueError("vocabulary characters must be unique")
        self.chars: str = chars
        self.index: dict[str, int] = {c: k for k, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """The sorted unique characters of ``text``."""
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        return f"Vocab({self.chars!r})"

    def encode(self, text: str) -> np.ndarray:
        """Character ids of ``text``, int64 (len(text),). Unknown characters raise ``KeyError``."""
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise KeyError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        """The text for a sequence of ids."""
        return "".join(self.chars[int(k)] for k in ids)


def one_hot(ids: np.ndarray, vocab_size: int, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """One-hot encode ids (T, B) -> (T, V, B); ids (T,) -> (T, V, 1)."""
    ids = np.asarray(ids)
    if ids.ndim == 1:
        ids = ids[:, None]
    if ids.ndim != 2:
        raise ValueError(f"ids must be (T,) or (T, B), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    T, B = ids.shape
    X = np.zeros((T, vocab_size, B), dtype=dtype)
    t_idx, b_idx = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    X[t_idx, ids, b_idx] = 1.0
    return X
