"""Large work arrays reused from one call to the next.

A training step allocates the same large arrays every time: the fused weights, the gates, the
cell states and the gradients. Memory that the C library has just handed back to the operating
system costs a page fault per 4 KiB when it is touched again, and for a small model at batch
size 1 that was about a quarter of a step. :func:`empty` instead returns an array that an
earlier call allocated, as long as nothing refers to it any more — no caller, cache or view
holds it, which CPython's reference count tells exactly — so an array someone still uses is
never handed out twice.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

MAX_KEYS = 32  # distinct (shape, dtype) kept per thread; the least recently used go first
PER_KEY = 4  # arrays kept per (shape, dtype)
MIN_BYTES = 64 * 1024  # smaller arrays come from the C library's own free lists quickly

_local = threading.local()


def empty(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """Like ``np.empty(shape, dtype)``, but may return a kept array nobody refers to."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if int(np.prod(shape)) * dtype.itemsize < MIN_BYTES:
        return np.empty(shape, dtype)
    pool: OrderedDict = _local.__dict__.setdefault("pool", OrderedDict())
    key = (shape, dtype)
    kept = pool.get(key)
    if kept is None:
        kept = pool[key] = []
        if len(pool) > MAX_KEYS:
            pool.popitem(last=False)
    else:
        pool.move_to_end(key)
        for k in range(len(kept)):
            if sys.getrefcount(kept[k]) == 2:  # the list's reference and getrefcount's argument
                return kept[k]
    out = np.empty(shape, dtype)
    if len(kept) < PER_KEY:
        kept.append(out)
    return out
